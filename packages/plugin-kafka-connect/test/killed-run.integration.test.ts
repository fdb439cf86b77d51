/**
 * Connectors of runs killed with kill -9: a real `cdcb run` of
 * examples/postgres-debezium-kafka is killed mid-run, its connector keeps
 * RUNNING in the real worker (with its slot and publication), and the next
 * run, `cdcb clean --dry-run` and `cdcb clean` find and remove exactly what
 * the dead run left — never a live run's connector, nor another host's.
 */
import { spawn } from 'node:child_process'
import { hostname } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jdbcSink } from '../../../examples/postgres-debezium-jdbc-postgres/pipeline.js'
import { postgresDebeziumKafka } from '../../../examples/postgres-debezium-kafka/pipeline.js'
import {
  connectorNames,
  type Databases,
  env,
  leftovers,
  run,
  sleep,
  startEmbeddedDatabases,
} from './helpers.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/bin/run.js')
const CONFIG = 'examples/postgres-debezium-kafka/bench.config.ts'

async function until(check: () => Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

async function connectorState(name: string): Promise<string | undefined> {
  const response = await fetch(`${env.connectUrl}/connectors/${encodeURIComponent(name)}/status`)
  if (response.status === 404) return undefined
  const status = (await response.json()) as { connector: { state: string }; tasks: { state: string }[] }
  return [status.connector.state, ...status.tasks.map((t) => t.state)].join('/')
}

async function register(name: string, config: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${env.connectUrl}/connectors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])),
    }),
  })
  expect(response.status, await response.text()).toBe(201)
}

async function remove(name: string): Promise<void> {
  await fetch(`${env.connectUrl}/connectors/${encodeURIComponent(name)}`, { method: 'DELETE' })
}

describe.skipIf(env.skip)('connectors of runs killed with kill -9', () => {
  let db: Databases
  const cliEnv = () => ({
    ...process.env,
    CI: '1',
    NO_COLOR: '1',
    SOURCE_URL: db.sourceUrl,
    KAFKA_BROKERS: env.brokers!,
    CONNECT_URL: env.connectUrl!,
  })
  beforeAll(async () => {
    db = await startEmbeddedDatabases()
  })
  afterAll(async () => {
    await db?.stop()
  })

  /** Starts `cdcb run` of the example, waits until its connector runs, and kills it with SIGKILL; returns what it left. */
  async function killedRun(): Promise<{ connector: string; runId: string; pid: number }> {
    const before = new Set(await connectorNames())
    const args = [CLI, 'run', '--config', CONFIG, '--duration', '5m', '--rate', '50', '--workers', '1']
    const child = spawn(process.execPath, args, { cwd: ROOT, env: cliEnv(), stdio: 'ignore' })
    const exited = new Promise((resolve) => child.on('exit', resolve))
    let connector = ''
    try {
      await until(async () => {
        connector = (await connectorNames()).find((n) => !before.has(n) && n.endsWith('-source')) ?? ''
        return connector !== '' && (await connectorState(connector)) === 'RUNNING/RUNNING'
      }, 'the run to register its connector')
      await sleep(2000) // changes flowing
    } finally {
      child.kill('SIGKILL')
      await exited
    }
    const runId = /^cdcb-(.+)-source$/.exec(connector)![1]!
    // Teardown never ran: Connect keeps the connector running, and it keeps its slot.
    expect(await connectorState(connector)).toBe('RUNNING/RUNNING')
    expect(await leftovers(db.sourceUrl, runId)).toEqual([`slot cdcb_${runId}`, `publication cdcb_${runId}`])
    return { connector, runId, pid: child.pid! }
  }

  it('the next run says what the dead run left, deletes its connector, slot and publication, and runs clean', async () => {
    const dead = await killedRun()
    const servers = { sourceUrl: db.sourceUrl, brokers: env.brokers!, connectUrl: env.connectUrl! }
    const config = postgresDebeziumKafka(servers, {
      rate: 50,
      duration: '2s',
      keys: 100,
      drainTimeout: '60s',
    })
    const { result, logs, notices, runId } = await run({ ...config, slo: { lost: '== 0' }, workers: 1 })
    expect(
      logs.filter((l) => l.startsWith('kafka-connect:') && l.includes('no longer running')),
      logs.join('\n'),
    ).toEqual([
      `kafka-connect: at ${env.connectUrl}, connector ${dead.connector} (RUNNING, 1 task) was registered by cdcb run ${dead.runId}, which is no longer running (its cdcb process ${dead.pid} on this host is gone) — deleting it and its slot cdcb_${dead.runId} and publication cdcb_${dead.runId} in ${new URL(db.sourceUrl).host}/${new URL(db.sourceUrl).pathname.slice(1)}`,
    ])
    // A notice: said even under --quiet.
    expect(
      notices.filter((l) => l.startsWith('kafka-connect:') && l.includes('no longer running')),
    ).toHaveLength(1)
    expect(logs).toContain(
      `kafka-connect: dropped slot cdcb_${dead.runId} and publication cdcb_${dead.runId} in ${new URL(db.sourceUrl).host}/${new URL(db.sourceUrl).pathname.slice(1)}`,
    )
    expect(result.events.lost).toBe(0)
    expect(await connectorState(dead.connector)).toBeUndefined()
    expect(await leftovers(db.sourceUrl, dead.runId)).toEqual([])
    expect((await connectorNames()).filter((n) => n.includes(runId))).toEqual([])
  })

  it('cdcb clean --dry-run names the dead run’s connector and changes nothing; cdcb clean removes exactly it, not a live run’s or another host’s', async () => {
    const dead = await killedRun()
    // A connector of a live run on this host (this test process), and one of a run on another host.
    const sink = { ...jdbcSink(db.targetUrl, 'cdcb-sweep-test-none'), 'cdcb.run': 'liverun' }
    const live = `cdcb-live-${process.pid}`
    const elsewhere = `cdcb-elsewhere-${process.pid}`
    await register(live, { ...sink, 'cdcb.process': `${hostname()} ${process.pid}` })
    await register(elsewhere, { ...sink, 'cdcb.run': 'farrun', 'cdcb.process': 'other-host-xyz 1' })
    try {
      const dry = await cli(['clean', '--config', CONFIG, '--dry-run'])
      expect(dry.code, dry.output).toBe(0)
      const where = `${new URL(db.sourceUrl).host}/${new URL(db.sourceUrl).pathname.slice(1)}`
      const lines = dry.output.split('\n').filter((l) => l.startsWith('cdcb: kafka-connect:'))
      expect(lines, dry.output).toEqual([
        `cdcb: kafka-connect: at ${env.connectUrl}, connector ${dead.connector} (RUNNING, 1 task) was registered by cdcb run ${dead.runId}, which is no longer running (its cdcb process ${dead.pid} on this host is gone); would delete it and its slot cdcb_${dead.runId} and publication cdcb_${dead.runId} in ${where} (--dry-run); by hand: curl -X DELETE ${env.connectUrl}/connectors/${dead.connector}`,
        `cdcb: kafka-connect: at ${env.connectUrl}, connector ${elsewhere} belongs to cdcb run farrun, which may still be running (its cdcb ran on host other-host-xyz); left in place`,
        `cdcb: kafka-connect: at ${env.connectUrl}, connector ${live} belongs to cdcb run liverun, which is still running (its cdcb process ${process.pid} is running); left in place`,
      ])
      expect(await connectorState(dead.connector)).toBe('RUNNING/RUNNING')
      expect(await leftovers(db.sourceUrl, dead.runId)).toHaveLength(2)

      const done = await cli(['clean', '--config', CONFIG])
      expect(done.code, done.output).toBe(0)
      expect(done.output).toContain(`deleting it and its slot cdcb_${dead.runId}`)
      expect(done.output).toContain(
        `cdcb: kafka-connect: dropped slot cdcb_${dead.runId} and publication cdcb_${dead.runId} in ${where}`,
      )
      expect(await connectorState(dead.connector)).toBeUndefined()
      expect(await leftovers(db.sourceUrl, dead.runId)).toEqual([])
      expect(await connectorState(live)).toBeDefined()
      expect(await connectorState(elsewhere)).toBeDefined()

      const again = await cli(['clean', '--config', CONFIG])
      expect(again.output).toContain(
        `cdcb: kafka-connect: at ${env.connectUrl}, no connector left by a cdcb run that is gone`,
      )
    } finally {
      await remove(live)
      await remove(elsewhere)
    }
  })

  it('a run whose connector name a live run uses refuses in one line, naming that run', async () => {
    const name = `cdcb-taken-${process.pid}`
    await register(name, {
      ...jdbcSink(db.targetUrl, 'cdcb-sweep-test-none'),
      'cdcb.run': 'liverun',
      'cdcb.process': `${hostname()} ${process.pid}`,
    })
    try {
      const servers = { sourceUrl: db.sourceUrl, brokers: env.brokers!, connectUrl: env.connectUrl! }
      const config = postgresDebeziumKafka(servers, { rate: 50, duration: '1s', keys: 100 })
      const pipeline = config.pipeline as { options: { connectors: { name: string }[] } }
      pipeline.options.connectors[0]!.name = name
      await expect(run(config)).rejects.toThrow(
        new RegExp(
          `^pipeline\\.options\\.connectors: connector "${name}" at \\S+ belongs to cdcb run liverun, which is still running \\(its cdcb process ${process.pid} is running\\); two runs cannot share a connector — put \\{runId\\} in its name`,
        ),
      )
      expect(await connectorState(name)).toBeDefined()
    } finally {
      await remove(name)
    }
  })

  function cli(args: string[]): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })))
  }
})
