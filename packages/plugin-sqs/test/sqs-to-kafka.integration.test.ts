/** examples/sqs-to-kafka, shortened, run by the built `cdcb` binary through the real Camel bridge. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs'
import type { RunResult } from '@cdcb/core'
import { describe, expect, inject, it } from 'vitest'

const env = inject('bridge')
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/bin/run.js')

/**
 * Runs `examples/<example>` shortened (4 s at 50/s, 2 workers) with the CLI
 * against the bridge's servers; a path with a `/` is a config run as it is.
 */
async function runExample(
  example: string,
): Promise<{ code: number | null; output: string; result: RunResult }> {
  // In the run's TMPDIR (test/temp-per-run.ts), and removed once read.
  const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-sqs-kafka-'))
  const out = path.join(dir, 'result.json')
  const args = example.includes('/')
    ? ['run', '--config', example]
    : ['run', '--config', `examples/${example}/bench.config.ts`, '--duration', '4s', '--rate', '50']
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--workers', '2', '--out', out], {
      cwd: ROOT,
      env: {
        ...process.env,
        CI: '1',
        NO_COLOR: '1',
        SQS_ENDPOINT: env.endpoint,
        KAFKA_BROKERS: env.brokers,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
  try {
    return { code, output, result: JSON.parse(readFileSync(out, 'utf8')) as RunResult }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe.skipIf(!env.endpoint)('examples/sqs-to-kafka: SQS → Apache Camel → Kafka', () => {
  it('every message sent to SQS arrives in the topic once, keyed, and the topic holds the final state but for swaps the queue allows', async () => {
    const { code, output, result } = await runExample('sqs-to-kafka')
    // Latency SLOs may fail on a loaded machine (exit 1); counts may not.
    expect([0, 1], output).toContain(code)
    const { events } = result
    expect(events.errors, output).toBe(0)
    expect(events.sent).toBe(200)
    expect(events.observed).toBe(200)
    expect(events.lost).toBe(0)
    expect(events.duplicates).toBe(0)
    expect(events.corrupt).toBe(0)
    // A standard queue read by 4 concurrent consumers promises no order: a key's changes may
    // swap. The Kafka verifier sees each swap in the topic as an order problem of that key, and
    // nothing else may differ from the expected final state.
    expect(result.verification?.checked).toBeGreaterThan(0)
    const mismatches = result.verification?.mismatches ?? []
    for (const m of mismatches) expect(m.detail).toMatch(/^order: /)
    expect(result.verification?.mismatched).toBeLessThanOrEqual(events.outOfOrder)
    expect(result.timeBase).toMatch(/Kafka/)
    expect(result.plugins.source?.messages).toBe(200)
  })

  it('examples/sqs-fifo-to-kafka: through the FIFO queue every key arrives in order, once, with its final state', async () => {
    const { code, output, result } = await runExample('sqs-fifo-to-kafka')
    expect([0, 1], output).toContain(code)
    const { events } = result
    expect(events.errors, output).toBe(0)
    expect(events.sent).toBe(200)
    expect(events.observed).toBe(200)
    expect(events.lost).toBe(0)
    expect(events.duplicates).toBe(0)
    expect(events.outOfOrder, output).toBe(0)
    // 200 changes over at most 100 keys: keys changed more than once, so order was at stake.
    expect(result.verification?.checked).toBeGreaterThan(0)
    expect(result.verification?.checked).toBeLessThanOrEqual(100)
    expect(result.verification?.mismatched, JSON.stringify(result.verification?.mismatches)).toBe(0)
    expect(result.plugins.source?.messages).toBe(200)
    // The queue Camel created (autoCreateQueue) is a FIFO queue, not a standard one named .fifo.
    const client = new SQSClient({
      endpoint: env.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'cdcb', secretAccessKey: 'cdcb' },
    })
    try {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: 'cdcb-bridge.fifo' }))
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['FifoQueue'] }),
      )
      expect(Attributes?.FifoQueue).toBe('true')
    } finally {
      client.destroy()
    }
  })

  it('Kafka frozen for 40 s, past SQS’s default 30 s visibility: the bridge keeps its messages hidden and delivers each once', async () => {
    const { code, output, result } = await runExample(
      'packages/plugin-sqs/test/fixtures/fifo-to-kafka-kafka-frozen.config.ts',
    )
    expect([0, 1], output).toContain(code)
    expect(result.faults?.[0]?.error ?? null, output).toBeNull()
    expect(result.faults?.[0]?.endedAt, output).not.toBeNull()
    const { events } = result
    expect(events.sent).toBe(230)
    expect(events.observed, output).toBe(230)
    expect(events.lost).toBe(0)
    // Before the route set its visibility timeout (Camel then received with the queue's 30 s), every
    // message Camel held through the freeze came back to another consumer and reached the topic twice.
    expect(events.duplicates, output).toBe(0)
    expect(events.outOfOrder).toBe(0)
  })
})
