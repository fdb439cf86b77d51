/** The SQS examples, shortened, run by the built `cdcb` binary as a user would. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunResult } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { status } from '../../../services/index.mjs'
import { endpoint, queuesNamed, uniqueQueue } from './helpers.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/bin/run.js')

/**
 * Runs `examples/<example>` with the CLI; `flags` shorten it (default
 * `--duration 4s --rate 100`), `env` adds variables (the examples' scales).
 */
function runExample(
  example: string,
  queue: string,
  {
    flags = ['--duration', '4s', '--rate', '100'],
    env = {},
  }: { flags?: string[]; env?: Record<string, string | undefined> } = {},
): Promise<{ code: number | null; output: string; result: RunResult }> {
  // In the run's TMPDIR (test/temp-per-run.ts), and removed once read.
  const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-sqs-example-'))
  const out = path.join(dir, 'result.json')
  const config = example.includes('/') ? example : `examples/${example}/bench.config.ts`
  const args = [CLI, 'run', '--config', config, ...flags]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '--out', out, '--workers', '2'], {
      cwd: ROOT,
      env: { ...process.env, CI: '1', NO_COLOR: '1', SQS_ENDPOINT: endpoint, SQS_QUEUE: queue, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      try {
        resolve({ code, output, result: JSON.parse(readFileSync(out, 'utf8')) as RunResult })
      } catch (error) {
        reject(new Error(`${(error as Error).message}\n${output}`))
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
}

describe('test files', () => {
  it('go into the test run’s own temp folder (test/temp-per-run.ts), removed at its end, never loose in /tmp', () => {
    expect(path.basename(tmpdir())).toMatch(/^cdcb-test-run-/)
  })
})

describe.skipIf(!endpoint)('the examples find the servers where `npm run services` puts them', () => {
  it('examples/sqs runs against ElasticMQ given only SQS_PORT (no SQS_ENDPOINT)', async () => {
    const url = new URL(endpoint!)
    const queue = uniqueQueue('port')
    const { code, output, result } = await runExample('sqs', queue, {
      flags: ['--duration', '2s', '--rate', '50'],
      env: { SQS_ENDPOINT: undefined, SQS_PORT: url.port },
    })
    expect([0, 1], output).toContain(code)
    expect(result.events.observed).toBe(100)
    expect(await queuesNamed(queue)).toEqual([])
  })

  it('every examples/sqs* config defaults to SQS_PORT and KAFKA_PORT, as the services harness does', async () => {
    const saved = { ...process.env }
    try {
      delete process.env.SQS_ENDPOINT
      delete process.env.KAFKA_BROKERS
      process.env.SQS_PORT = '19999'
      process.env.KAFKA_PORT = '19998'
      const examples = readdirSync(path.join(ROOT, 'examples')).filter((name) => name.startsWith('sqs'))
      expect(examples.length).toBe(7)
      for (const example of examples) {
        const file = path.join(ROOT, 'examples', example, 'bench.config.ts')
        const config = (await import(`${file}?port`)).default as Record<string, unknown>
        const text = JSON.stringify(config)
        expect(text, example).toContain('http://127.0.0.1:19999')
        expect(text, example).not.toContain(':9324')
        if (example.includes('kafka')) {
          expect(text, example).toContain('127.0.0.1:19998')
          expect(text, example).not.toContain(':9092')
        }
      }
    } finally {
      process.env = saved
    }
  })
})

describe.skipIf(!endpoint)('examples/sqs and examples/sqs-fifo, shortened', () => {
  for (const [example, fifo] of [
    ['sqs', false],
    ['sqs-fifo', true],
  ] as const) {
    it(`${example}: every message delivered once, 10 KB payloads, the queue removed after`, async () => {
      const queue = uniqueQueue(example, fifo)
      const { code, output, result } = await runExample(example, queue)
      // Latency SLOs may fail on a loaded machine (exit 1); counts may not.
      expect([0, 1], output).toContain(code)
      const { events } = result
      expect(events.sent).toBe(400)
      expect(events.observed).toBe(400)
      expect(events.lost).toBe(0)
      expect(events.duplicates).toBe(0)
      expect(events.corrupt).toBe(0)
      if (fifo) expect(events.outOfOrder).toBe(0)
      for (const check of result.slo.checks) {
        if (!check.expression.startsWith('e2e')) expect(check.passed, check.expression).toBe(true)
      }
      expect(result.verification?.mismatched).toBe(0)
      expect(result.plugins.source?.bytes).toBeGreaterThan(400 * 10_000 * 0.7)
      expect(await queuesNamed(queue)).toEqual([])
    })
  }
})

describe.skipIf(!endpoint)('the SQS-only examples gate latency on delivery to the receiver', () => {
  it('examples/sqs with a receiver slowed by 1 s per receive fails its e2e SLOs, counts intact', async () => {
    const queue = uniqueQueue('slow')
    const { code, output, result } = await runExample(
      'packages/plugin-sqs/test/fixtures/slow-receiver.config.ts',
      queue,
      {
        flags: ['--duration', '3s', '--rate', '100'],
      },
    )
    expect(code, output).toBe(1)
    expect(result.timeBase).toMatch(/observed by cdcb/)
    expect(result.events.observed).toBe(300)
    expect(result.events.lost).toBe(0)
    // Every message waited at least the 1 s delay after its receive: e2e is intended → received.
    expect(result.metrics.e2e.p50).toBeGreaterThan(1000)
    expect(result.metrics.detect.count).toBe(0)
    const check = (expression: string) => result.slo.checks.find((c) => c.expression.startsWith(expression))
    expect(check('e2e.p50')?.status, output).toBe('failed')
    expect(check('lost')?.status).toBe('passed')
    expect(await queuesNamed(queue)).toEqual([])
  })
})

describe.skipIf(!endpoint)("the guide's other SQS scenarios as examples, shortened", () => {
  it('sqs-4-queues: keys spread over four queues, every message delivered once, all four removed after', async () => {
    const queue = uniqueQueue('four')
    const { code, output, result } = await runExample('sqs-4-queues', queue, {
      flags: ['--duration', '4s', '--rate', '200'],
    })
    expect([0, 1], output).toContain(code)
    const { events } = result
    expect(events.sent).toBe(800)
    expect(events.observed).toBe(800)
    expect(events.lost).toBe(0)
    expect(events.duplicates).toBe(0)
    const perQueue = [1, 2, 3, 4].map((i) => result.plugins.source?.[`sent.${queue}-${i}`] ?? 0)
    expect(perQueue.reduce((a, b) => a + b, 0)).toBe(800)
    for (const n of perQueue) expect(n).toBeGreaterThan(800 * 0.15)
    expect(result.verification?.mismatched).toBe(0)
    expect(await queuesNamed(queue)).toEqual([])
  })

  it('sqs-burst: the burst builds a backlog that cdcb measures, and the queue recovers from it', async () => {
    const queue = uniqueQueue('burst')
    // Stages 3 s at 10/s, 2 s at 500/s, 6 s at 10/s.
    const { code, output, result } = await runExample('sqs-burst', queue, {
      flags: [],
      env: { SQS_TIME_SCALE: '0.1', SQS_RATE_SCALE: '0.1' },
    })
    expect([0, 1], output).toContain(code)
    expect(result.events.sent).toBe(30 + 1000 + 60)
    expect(result.events.observed).toBe(1090)
    expect(result.events.lost).toBe(0)
    expect(result.recovery).toHaveLength(1)
    const [burst] = result.recovery!
    expect(burst!.label).toBe('burst 500/s')
    expect(burst!.backlogMax).toBeGreaterThan(0)
    expect(burst!.time, output).not.toBeNull()
    expect(await queuesNamed(queue)).toEqual([])
  })

  it('sqs-fifo-broker-failure: ElasticMQ frozen mid-run through its pid file; nothing lost, doubled or reordered', async (context) => {
    const sqsStatus = await status('sqs')
    if (!sqsStatus.startedByCdcb || !sqsStatus.pid) {
      context.skip(
        `ElasticMQ was not started by the services harness (${sqsStatus.note ?? sqsStatus.state}): no pid to freeze`,
      )
    }
    const queue = uniqueQueue('broker', true)
    // 18 s at 200/s; ElasticMQ stopped from 6 s to 9 s.
    const { code, output, result } = await runExample('sqs-fifo-broker-failure', queue, {
      flags: [],
      env: { SQS_TIME_SCALE: '0.2' },
    })
    expect([0, 1], output).toContain(code)
    const [fault] = result.faults!
    expect(fault!.error, output).toBeNull()
    expect(fault!.startedAt).not.toBeNull()
    expect(fault!.endedAt).not.toBeNull()
    // The freeze was real: some write waited for the thaw, at least most of the 3 s.
    expect(result.metrics.ack.max).toBeGreaterThan(2000)
    const { events } = result
    expect(events.sent).toBe(3600)
    expect(events.observed).toBe(3600)
    expect(events.lost).toBe(0)
    expect(events.duplicates).toBe(0)
    expect(events.outOfOrder).toBe(0)
    expect(result.recovery?.[0]?.label).toBe('fault SIGSTOP')
    expect(result.verification?.mismatched).toBe(0)
    expect(await queuesNamed(queue)).toEqual([])
  })
})
