/**
 * Topics of runs killed with kill -9: a real `cdcb run` that creates its
 * topic to delete after the run (deleteTopic) is killed mid-run, and the next
 * run, `cdcb clean --dry-run` and `cdcb clean` find and delete exactly what it
 * left — never a live run's topic, nor another host's.
 */
import { spawn } from 'node:child_process'
import { hostname } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Admin, ConfigResourceTypes, Consumer } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { optionsSchema } from '../src/options.js'
import { OWNERS_TOPIC, readOwners, recordOwner } from '../src/owners.js'
import { brokers, env, listTopics, runKafka, uniqueTopic } from './helpers.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/bin/run.js')
const CONFIG = 'packages/plugin-kafka/test/fixtures/killed-run.config.ts'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(250)
  }
}

function cli(
  args: string[],
  topic: string,
): { exited: Promise<{ code: number | null; output: string }>; pid: number; kill: () => void } {
  const child = spawn(process.execPath, [CLI, ...args, '--config', CONFIG], {
    cwd: ROOT,
    env: { ...process.env, CI: '1', NO_COLOR: '1', KAFKA_BROKERS: brokers, CDCB_TEST_TOPIC: topic },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  return {
    exited: new Promise((resolve) => child.on('close', (code) => resolve({ code, output }))),
    pid: child.pid!,
    kill: () => child.kill('SIGKILL'),
  }
}

const options = () => optionsSchema.parse({ brokers: [brokers], topic: 'unused' })

async function withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-test' })
  try {
    return await use(admin)
  } finally {
    await admin.close()
  }
}

async function endOffset(topic: string): Promise<bigint> {
  const consumer = new Consumer({
    bootstrapBrokers: [brokers],
    clientId: 'cdcb-test',
    groupId: 'cdcb-test-offsets',
  })
  try {
    return (await consumer.listOffsets({ topics: [topic] })).get(topic)?.[0] ?? 0n
  } finally {
    await consumer.close(true)
  }
}

/** Starts `cdcb run` on `topic`, waits until records flow, kills it with SIGKILL; returns its pid. */
async function killedRun(topic: string): Promise<number> {
  const run = cli(['run'], topic)
  try {
    await until(async () => (await listTopics()).includes(topic), 'the run to create its topic')
    await until(async () => (await endOffset(topic)) > 0n, 'the run to write records')
  } finally {
    run.kill()
    await run.exited
  }
  // Teardown never ran: the topic is still there, and so is its owner record.
  expect(await listTopics()).toContain(topic)
  const owned = await withAdmin((admin) => readOwners(options(), admin))
  expect(owned.find((o) => o.topic === topic)).toMatchObject({
    process: expect.stringMatching(new RegExp(`^\\S+ ${run.pid}$`)),
    owner: { state: 'dead' },
  })
  return run.pid
}

describe.skipIf(env.skip)('topics of runs killed with kill -9', () => {
  it('the next run says what the dead run’s topic held, deletes it, and creates its own', async () => {
    const topic = uniqueTopic('killed')
    const pid = await killedRun(topic)
    const { result, logs, notices, sinkCounts } = await runKafka({
      source: { topic, deleteTopic: true },
      load: { rate: 50, duration: '1s', keys: 100, drainTimeout: '20s' },
      workers: 1,
    })
    const swept = logs.filter((line) => line.includes('no longer running'))
    expect(swept, logs.join('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^kafka: at ${brokers}, topic ${topic} was created by cdcb run \\S+, which is no longer running \\(its cdcb process ${pid} on this host is gone\\), holding [1-9]\\d* records? in 1 partition — deleting it$`,
        ),
      ),
    ])
    // A notice: said even under --quiet.
    expect(notices).toEqual(swept)
    // The new run read only its own records: the dead run's went with its topic.
    expect(sinkCounts.foreign).toBe(0)
    expect(result.events.lost).toBe(0)
    expect(await listTopics()).not.toContain(topic)
    const owned = await withAdmin((admin) => readOwners(options(), admin))
    expect(owned.filter((o) => o.topic === topic)).toEqual([])
  })

  it('cdcb clean --dry-run names the dead run’s topic and changes nothing; cdcb clean deletes exactly it', async () => {
    const dead = uniqueTopic('clean-dead')
    const live = uniqueTopic('clean-live')
    const far = uniqueTopic('clean-far')
    const pid = await killedRun(dead)
    await withAdmin(async (admin) => {
      for (const topic of [live, far])
        await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 })
      await recordOwner(options(), admin, live, { run: 'liverun', process: `${hostname()} ${process.pid}` })
      await recordOwner(options(), admin, far, { run: 'farrun', process: 'other-host-xyz 1' })
    })
    try {
      const mine = (output: string) =>
        output.split('\n').filter((l) => [dead, live, far].some((t) => l.includes(`topic ${t} `)))
      const dry = await cli(['clean', '--dry-run'], dead).exited
      expect(dry.code, dry.output).toBe(0)
      expect(mine(dry.output), dry.output).toEqual([
        expect.stringMatching(
          new RegExp(
            `^cdcb: kafka: at ${brokers}, topic ${dead} was created by cdcb run \\S+, which is no longer running \\(its cdcb process ${pid} on this host is gone\\), holding [1-9]\\d* records? in 1 partition; would delete it \\(--dry-run\\)$`,
          ),
        ),
        `cdcb: kafka: at ${brokers}, topic ${far} belongs to cdcb run farrun, which may still be running (its cdcb ran on host other-host-xyz); left in place`,
        `cdcb: kafka: at ${brokers}, topic ${live} belongs to cdcb run liverun, which is still running (its cdcb process ${process.pid} is running); left in place`,
      ])
      // Said once, although the config names the cluster in two slots.
      expect(dry.output.split(`topic ${dead} `)).toHaveLength(2)
      expect(await listTopics()).toContain(dead)

      const done = await cli(['clean'], dead).exited
      expect(done.code, done.output).toBe(0)
      expect(mine(done.output)[0]).toMatch(/ — deleting it$/)
      const topics = await listTopics()
      expect(topics).not.toContain(dead)
      expect(topics).toContain(live)
      expect(topics).toContain(far)

      const again = await cli(['clean'], dead).exited
      expect(again.output).toContain(`cdcb: kafka: at ${brokers}, no topic left by a cdcb run that is gone`)
    } finally {
      await withAdmin(async (admin) => {
        await admin.deleteTopics({ topics: [live, far] })
        for (const topic of [live, far]) await recordOwner(options(), admin, topic, undefined)
      })
    }
  })

  it('a run whose topic a live run will delete refuses in one line, naming that run', async () => {
    const topic = uniqueTopic('taken')
    await withAdmin(async (admin) => {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 })
      await recordOwner(options(), admin, topic, { run: 'liverun', process: `${hostname()} ${process.pid}` })
    })
    try {
      await expect(
        runKafka({ source: { topic }, load: { rate: 50, duration: '1s', keys: 100 }, workers: 1 }),
      ).rejects.toThrow(
        `source.options.topic: topic "${topic}" at ${brokers} belongs to cdcb run liverun, which is still running (its cdcb process ${process.pid} is running) and deletes it when it ends (deleteTopic); give this run another topic name, or wait until that run ends`,
      )
    } finally {
      await withAdmin(async (admin) => {
        await admin.deleteTopics({ topics: [topic] })
        await recordOwner(options(), admin, topic, undefined)
      })
    }
  })

  it(`keeps ${OWNERS_TOPIC} compacted: one record per topic`, async () => {
    const described = await withAdmin((admin) =>
      admin.describeConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: OWNERS_TOPIC,
            configurationKeys: ['cleanup.policy'],
          },
        ],
      }),
    )
    expect(described[0]?.configs.find((c) => c.name === 'cleanup.policy')?.value).toBe('compact')
  })
})
