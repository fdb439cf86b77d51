/**
 * Topics and consumer groups the connectors of a run leave at the brokers
 * (Debezium's `cdcb_<runId>.public.cdcb_events`, the JDBC sink's
 * `connect-cdcb-<runId>-jdbc-sink`), against the real broker and worker: a
 * finished run deletes them; a killed run's are deleted by `cdcb clean` (after
 * a dry run that names them and changes nothing); a topic the config names
 * for every run, and a user's topic, are never touched.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Admin } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresDebeziumJdbcPostgres } from '../../../examples/postgres-debezium-jdbc-postgres/pipeline.js'
import { postgresDebeziumKafka } from '../../../examples/postgres-debezium-kafka/pipeline.js'
import { connectorNames, type Databases, env, run, sleep, startEmbeddedDatabases } from './helpers.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/bin/run.js')
const JDBC_CONFIG = 'examples/postgres-debezium-jdbc-postgres/bench.config.ts'

async function until(check: () => Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

describe.skipIf(env.skip)('topics and consumer groups of a run’s connectors', () => {
  let db: Databases
  let admin: Admin
  const userTopic = `cdcb-user-topic-${process.pid}`
  const topics = async () => new Set(await admin.listTopics())
  const groups = async () => new Set((await admin.listGroups()).keys())
  const runTopic = (runId: string) => `cdcb_${runId}.public.cdcb_events`
  const sinkGroup = (runId: string) => `connect-cdcb-${runId}-jdbc-sink`

  beforeAll(async () => {
    admin = new Admin({ clientId: 'cdcb-test', bootstrapBrokers: env.brokers!.split(',') })
    // A user's topic that happens to look like cdcb's: no run may delete it.
    await admin.createTopics({ topics: [userTopic], partitions: 1, replicas: 1 })
    db = await startEmbeddedDatabases()
  })
  afterAll(async () => {
    await admin?.deleteTopics({ topics: [userTopic] }).catch(() => {})
    await admin?.close()
    await db?.stop()
  })

  it('a finished run deletes the topic its connectors used and the sink’s consumer group, and nothing else', async () => {
    const before = await topics()
    const servers = {
      sourceUrl: db.sourceUrl,
      targetUrl: db.targetUrl,
      brokers: env.brokers!,
      connectUrl: env.connectUrl!,
    }
    const config = postgresDebeziumJdbcPostgres(servers, {
      rate: 100,
      duration: '3s',
      keys: 300,
      drainTimeout: '90s',
    })
    let seen = false
    const { result, logs, runId } = await run(
      { ...config, slo: { lost: '== 0' }, workers: 1 },
      async (_control, id) => {
        await until(
          async () => (await topics()).has(runTopic(id)) && (await groups()).has(sinkGroup(id)),
          'the run’s topic and consumer group',
        )
        seen = true
      },
    )
    expect(result.events.lost).toBe(0)
    expect(seen).toBe(true)
    expect(logs).toContain(
      `kafka-connect: deleted topic ${runTopic(runId)}, consumer group ${sinkGroup(runId)} of run ${runId} at ${env.brokers}`,
    )
    const after = await topics()
    expect(after.has(runTopic(runId))).toBe(false)
    expect((await groups()).has(sinkGroup(runId))).toBe(false)
    expect([...before].filter((t) => !after.has(t))).toEqual([])
    expect(after.has(userTopic)).toBe(true)
  })

  it('a topic whose name the config fixes for every run is kept, and said to be', async () => {
    const servers = { sourceUrl: db.sourceUrl, brokers: env.brokers!, connectUrl: env.connectUrl! }
    const config = postgresDebeziumKafka(servers, {
      rate: 50,
      duration: '2s',
      keys: 100,
      drainTimeout: '60s',
    })
    const { logs, runId } = await run({ ...config, slo: { lost: '== 0' }, workers: 1 })
    expect(logs).toContain(
      `kafka-connect: kept topic cdcb.public.cdcb_events (used by cdcb-${runId}-source): not named for run ${runId} ({runId} is not in the name the config gives it)`,
    )
    expect((await topics()).has('cdcb.public.cdcb_events')).toBe(true)
    expect(logs.filter((l) => l.startsWith('kafka-connect: deleted'))).toEqual([])
  })

  const cliEnv = () => ({
    ...process.env,
    CI: '1',
    NO_COLOR: '1',
    SOURCE_URL: db.sourceUrl,
    TARGET_URL: db.targetUrl,
    KAFKA_BROKERS: env.brokers!,
    CONNECT_URL: env.connectUrl!,
  })

  /** A `cdcb run` of the JDBC example killed with SIGKILL once changes flow through its topic; returns its run id and pid. */
  async function killedRun(): Promise<{ runId: string; pid: number }> {
    const before = new Set(await connectorNames())
    const args = [CLI, 'run', '--config', JDBC_CONFIG, '--duration', '5m', '--rate', '50', '--workers', '1']
    const child = spawn(process.execPath, args, { cwd: ROOT, env: cliEnv(), stdio: 'ignore' })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    let runId = ''
    try {
      await until(async () => {
        const source = (await connectorNames()).find((n) => !before.has(n) && n.endsWith('-source'))
        runId = source ? /^cdcb-(.+)-source$/.exec(source)![1]! : ''
        return runId !== '' && (await topics()).has(runTopic(runId)) && (await groups()).has(sinkGroup(runId))
      }, 'the run’s connectors, topic and consumer group')
      // Changes flowing: the worker has recorded that the source wrote the topic.
      await until(async () => {
        const url = `${env.connectUrl}/connectors/cdcb-${runId}-source/topics`
        const used = (await (await fetch(url)).json()) as Record<string, { topics: string[] }>
        return used[`cdcb-${runId}-source`]?.topics.includes(runTopic(runId)) ?? false
      }, 'the source to write its topic')
    } finally {
      child.kill('SIGKILL')
      await exited
    }
    await sleep(1000)
    // Teardown never ran: the topic and the group stay.
    expect((await topics()).has(runTopic(runId))).toBe(true)
    expect((await groups()).has(sinkGroup(runId))).toBe(true)
    return { runId, pid: child.pid! }
  }

  function clean(extra: string[]): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [CLI, 'clean', '--config', JDBC_CONFIG, ...extra], {
      cwd: ROOT,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })))
  }

  it('a run killed with kill -9 leaves them; cdcb clean --dry-run names them, cdcb clean deletes them', async () => {
    const { runId, pid } = await killedRun()
    const dry = await clean(['--dry-run'])
    expect(dry.code, dry.output).toBe(0)
    const named = dry.output.split('\n').filter((l) => l.includes(`cdcb run ${runId}`))
    expect(named, dry.output).toHaveLength(2)
    expect(named[0]).toContain(
      `connector cdcb-${runId}-jdbc-sink (RUNNING, 1 task) was registered by cdcb run ${runId}, which is no longer running (its cdcb process ${pid} on this host is gone); would delete it, and topic ${runTopic(runId)} and consumer group ${sinkGroup(runId)} at ${env.brokers} (--dry-run)`,
    )
    expect(named[1]).toContain(`, and topic ${runTopic(runId)} at ${env.brokers} (--dry-run)`)
    expect((await topics()).has(runTopic(runId))).toBe(true)
    expect((await groups()).has(sinkGroup(runId))).toBe(true)

    const done = await clean([])
    expect(done.code, done.output).toBe(0)
    expect(done.output).toContain(
      `cdcb: kafka-connect: deleted topic ${runTopic(runId)}, consumer group ${sinkGroup(runId)} of run ${runId} at ${env.brokers}`,
    )
    expect((await topics()).has(runTopic(runId))).toBe(false)
    expect((await groups()).has(sinkGroup(runId))).toBe(false)
    expect((await topics()).has(userTopic)).toBe(true)
  })

  it('the next run deletes what a killed run left at the brokers before it starts', async () => {
    const dead = await killedRun()
    const servers = {
      sourceUrl: db.sourceUrl,
      targetUrl: db.targetUrl,
      brokers: env.brokers!,
      connectUrl: env.connectUrl!,
    }
    const config = postgresDebeziumJdbcPostgres(servers, {
      rate: 50,
      duration: '1s',
      keys: 50,
      drainTimeout: '90s',
    })
    const { logs, runId } = await run({ ...config, slo: { lost: '== 0' }, workers: 1 })
    expect(logs, logs.join('\n')).toContain(
      `kafka-connect: deleted topic ${runTopic(dead.runId)}, consumer group ${sinkGroup(dead.runId)} of run ${dead.runId} at ${env.brokers}`,
    )
    const after = await topics()
    expect(after.has(runTopic(dead.runId))).toBe(false)
    expect(after.has(runTopic(runId))).toBe(false)
    expect((await groups()).has(sinkGroup(dead.runId))).toBe(false)
    expect(after.has(userTopic)).toBe(true)
  })
})
