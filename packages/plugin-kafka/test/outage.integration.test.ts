import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Admin, Consumer } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { freezer } from '../../../services/freeze.mjs'
import { status } from '../../../services/index.mjs'
import { PartitionReader } from '../src/reader.js'
import { brokers, env, runKafka, uniqueTopic } from './helpers.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const cli = path.join(root, 'packages/cli/bin/run.js')

describe.skipIf(!brokers || !env.harness)('the broker frozen mid-run', () => {
  it('survives a 5 s SIGSTOP: errors and latency show the outage, nothing acknowledged is lost', async () => {
    const kafka = await status('kafka')
    expect(kafka.startedByCdcb && kafka.pid).toBeTruthy()
    const pid = kafka.pid!
    // Thawed 5000 ms after the freeze really happened (a busy event loop fires its timers late).
    const freeze = freezer(pid, { afterMs: 2500, forMs: 5000 })
    try {
      const { result } = await runKafka({
        // Requests time out after 1.5 s and are retried once, so writes during the freeze fail.
        source: {
          topic: uniqueTopic('freeze'),
          partitions: 4,
          deleteTopic: true,
          requestTimeout: '1500ms',
          retries: 1,
        },
        verify: false,
        load: { rate: 400, duration: '10s', keys: 1000, drainTimeout: '30s', seed: 3 },
        onStart: () => freeze.start(),
      })
      expect(freeze.frozenMs).toBeGreaterThanOrEqual(4900)
      const { events } = result
      // The outage is visible: failed writes (by kind) and latencies of seconds.
      expect(events.errors).toBeGreaterThan(0)
      expect(result.errors.length).toBeGreaterThan(0)
      expect(result.plugins.source.requestTimeouts).toBeGreaterThan(0)
      expect(result.metrics.e2e.max).toBeGreaterThan(3000)
      // The run survived and every acknowledged write arrived after the broker came back.
      expect(events.acked).toBeGreaterThan(3000)
      expect(events.lost).toBe(0)
      expect(events.observed).toBeGreaterThanOrEqual(events.acked)
    } finally {
      freeze.thaw()
    }
  })

  it('a broker frozen at teardown: the run says which topic it left and what deletes it', async () => {
    const kafka = await status('kafka')
    const topic = uniqueTopic('frozen-teardown')
    // Frozen from the load's last half second on, past the teardown's deadline.
    const freeze = freezer(kafka.pid!, { afterMs: 1500, forMs: 60_000 })
    let run: Awaited<ReturnType<typeof runKafka>>
    try {
      run = await runKafka({
        source: { topic, partitions: 1, deleteTopic: true, connectTimeout: '2s', requestTimeout: '2s' },
        sink: { connectTimeout: '2s' },
        verify: false,
        load: { rate: 50, duration: '2s', keys: 100, drainTimeout: '1s' },
        onStart: () => freeze.start(),
      })
    } finally {
      freeze.thaw()
    }
    const said = [run.result.reason ?? '', ...run.result.warnings, ...run.logs].join('\n')
    expect(said).toMatch(new RegExp(`left behind: topic ${topic} at ${brokers} — cdcb clean --config`))
    // The broker holds whatever the sink had not read: unresolved, never lost (its fetches went unanswered).
    expect(run.result.events.lost ?? 0).toBe(0)
  }, 120_000)

  it('the sink tells core when the broker answers its fetches, and stops while the broker is frozen', async () => {
    const kafka = await status('kafka')
    const topic = uniqueTopic('answers')
    const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-test' })
    const consumer = new Consumer({ bootstrapBrokers: [brokers], clientId: 'cdcb-test', groupId: 'unused' })
    const answers: number[] = []
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: -1 })
      const reader = new PartitionReader(consumer, [{ topic, partition: 0, offset: 0n }], () => {}, {
        maxWaitMs: 100,
        log: () => {},
        what: 'test',
        onAnswer: () => answers.push(Date.now()),
      })
      await reader.start()
      // A broker just thawed by the test before (or a partition still electing its leader) answers late at
      // first: the idle second measured starts with the reader's first answer.
      for (let i = 0; i < 300 && answers.length === 0; i++) await new Promise((r) => setTimeout(r, 100))
      const freeze = freezer(kafka.pid!, { afterMs: 1000, forMs: 2000 })
      try {
        freeze.start()
        await new Promise((r) => setTimeout(r, 4000))
      } finally {
        freeze.thaw()
      }
      await new Promise((r) => setTimeout(r, 2000))
      reader.stop()
      const { frozenAt, thawedAt } = freeze
      expect(freeze.frozenMs).toBeGreaterThanOrEqual(1900)
      // Idle fetches are answered every 100 ms; none while the broker is frozen (after one in flight as it froze).
      expect(answers.filter((t) => t < frozenAt).length).toBeGreaterThanOrEqual(5)
      expect(answers.filter((t) => t > frozenAt + 200 && t < thawedAt)).toEqual([])
      expect(answers.filter((t) => t > thawedAt).length).toBeGreaterThanOrEqual(3)
    } finally {
      await consumer.close(true)
      await admin.deleteTopics({ topics: [topic] }).catch(() => {})
      await admin.close()
    }
  }, 60_000)
})

async function runCli(options: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-kafka-'))
  const file = path.join(dir, 'bench.config.json')
  writeFileSync(
    file,
    JSON.stringify({
      source: { plugin: 'kafka', options },
      sink: { plugin: 'kafka', options },
      workers: 2,
      load: { rate: 100, duration: '2s' },
    }),
  )
  const started = Date.now()
  const run = promisify(execFile)(process.execPath, [cli, 'run', '--config', file, '--no-tui'], {
    cwd: root,
    timeout: 60_000,
  })
  const outcome = await run.then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  )
  return { ...outcome, seconds: (Date.now() - started) / 1000 }
}

/**
 * Seconds the CLI takes to start and stop on a config it refuses before any
 * connection (exit 2): the part of a run's time that is the machine's, not
 * Kafka's. On a loaded machine it is seconds; bounds below add it.
 */
let startup: number | undefined
async function startupSeconds(): Promise<number> {
  startup ??= (await runCli({ brokers: '127.0.0.1:9092', topic: 't', acks: 2 })).seconds
  return startup
}

describe('a broker address that does not answer, and bad options', () => {
  it('refused: one line naming the brokers, exit 3, within the connect timeout', async () => {
    const { code, stderr, seconds } = await runCli({
      brokers: '127.0.0.1:1',
      topic: 't',
      connectTimeout: '3s',
    })
    expect(code).toBe(3)
    const lines = stderr.trim().split('\n')
    expect(lines, stderr).toHaveLength(1)
    expect(lines[0]).toMatch(/cannot reach Kafka at 127\.0\.0\.1:1 .*ECONNREFUSED/)
    expect(stderr).not.toMatch(/^\s+at /m)
    // Connect timeout + the CLI's own start-up (measured) and a margin: never a hang.
    expect(seconds).toBeLessThan(3 + 2 * (await startupSeconds()) + 2)
  })

  it('silent (packets dropped): gives up at the connect timeout with exit 3', async () => {
    // 10.255.255.1 is not routed anywhere here: the TCP handshake never completes.
    const { code, stderr, seconds } = await runCli({
      brokers: '10.255.255.1:9092',
      topic: 't',
      connectTimeout: '2s',
    })
    expect(code).toBe(3)
    expect(stderr.trim().split('\n'), stderr).toHaveLength(1)
    expect(stderr).toMatch(/cannot reach Kafka at 10\.255\.255\.1:9092/)
    expect(seconds).toBeLessThan(2 + 2 * (await startupSeconds()) + 2)
  })

  it('bad option: one line naming the field, exit 2', async () => {
    const { code, stderr } = await runCli({ brokers: '127.0.0.1:9092', topic: 't', acks: 2 })
    expect(code).toBe(2)
    expect(stderr.trim().split('\n'), stderr).toHaveLength(1)
    expect(stderr).toMatch(/source\.options\.acks/)
  })

  it("a replication factor the cluster cannot meet: one line naming the field and the broker's reason, exit 2", async () => {
    // It said only "failed to prepare: Creating topics failed." (exit 3).
    const { code, stderr } = await runCli({
      brokers,
      topic: uniqueTopic('rf'),
      replicationFactor: 3,
      deleteTopic: true,
    })
    expect(code).toBe(2)
    expect(stderr.trim().split('\n'), stderr).toHaveLength(1)
    expect(stderr).toMatch(
      /source\.options\.replicationFactor: 3 cannot be met at .*only 1 broker.* — set it to at most/,
    )
  })

  it('a topic that does not exist with createTopic false: the field and the fix', async () => {
    const { code, stderr } = await runCli({ brokers, topic: uniqueTopic('absent'), createTopic: false })
    expect(code).toBe(3)
    expect(stderr).toMatch(
      /source\.options\.topic: topic "[^"]+" does not exist at .* — create it first, or set createTopic: true/,
    )
  })

  it('TLS or SASL against a plain listener: the broker answered, so the hint is the ssl or sasl option, not brokers', async () => {
    const tls = await runCli({ brokers, topic: 't', ssl: true, connectTimeout: '3s' })
    expect(tls.code).toBe(3)
    expect(tls.stderr).toMatch(/answered, but TLS failed .* — check the ssl option/)
    const sasl = await runCli({
      brokers,
      topic: 't',
      connectTimeout: '3s',
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    })
    expect(sasl.code).toBe(3)
    expect(sasl.stderr).toMatch(/answered, but SASL failed .* — check the sasl option/)
  })

  it('never prints a SASL password', async () => {
    const { stderr } = await runCli({
      brokers: '127.0.0.1:1',
      topic: 't',
      connectTimeout: '1s',
      sasl: { mechanism: 'plain', username: 'u', password: 'hunter2-secret' },
    })
    expect(stderr).not.toContain('hunter2-secret')
  })
})
