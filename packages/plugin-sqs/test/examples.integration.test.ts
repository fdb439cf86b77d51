/** The SQS examples, shortened, run by the built `cdcb` binary as a user would. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunResult } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { endpoint, queuesNamed, uniqueQueue } from './helpers.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const CLI = path.join(ROOT, 'packages/cli/bin/run.js')

function runExample(
  example: string,
  queue: string,
): Promise<{ code: number | null; output: string; result: RunResult }> {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'cdcb-sqs-example-')), 'result.json')
  const args = [
    CLI,
    'run',
    '--config',
    `examples/${example}/bench.config.ts`,
    '--duration',
    '4s',
    '--rate',
    '100',
  ]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '--out', out, '--workers', '2'], {
      cwd: ROOT,
      env: { ...process.env, CI: '1', NO_COLOR: '1', SQS_ENDPOINT: endpoint, SQS_QUEUE: queue },
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
      }
    })
  })
}

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
