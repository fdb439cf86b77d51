/** examples/sqs-to-kafka, shortened, run by the built `cdcb` binary through the real Camel bridge. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunResult } from '@cdcb/core'
import { describe, expect, inject, it } from 'vitest'

const env = inject('bridge')
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/bin/run.js')

describe.skipIf(!env.endpoint)('examples/sqs-to-kafka: SQS → Apache Camel → Kafka', () => {
  it('every message sent to SQS arrives in the topic once, keyed, and the topic holds the final state but for swaps the queue allows', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'cdcb-sqs-kafka-')), 'result.json')
    const args = [
      'run',
      '--config',
      'examples/sqs-to-kafka/bench.config.ts',
      '--duration',
      '4s',
      '--rate',
      '50',
    ]
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
    // Latency SLOs may fail on a loaded machine (exit 1); counts may not.
    expect([0, 1], output).toContain(code)
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult
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
})
