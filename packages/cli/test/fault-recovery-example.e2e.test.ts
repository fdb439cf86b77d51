/**
 * examples/fault-recovery as its README runs it (the real CLI, embedded
 * PostgreSQL), shortened: the subscription is disabled for 10 s while the
 * writes go on, and the run reports the fault, the backlog, the recovery and
 * the catch-up rate, with nothing lost.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunResult } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { runCli, tempDir } from './helpers.js'

const config = fileURLToPath(new URL('../../../examples/fault-recovery/bench.config.ts', import.meta.url))

describe('examples/fault-recovery', () => {
  it('disables the subscription for 10 s: fault, backlog, recovery and catch-up are reported, nothing lost', async () => {
    const out = path.join(tempDir(), 'result.json')
    // 2 s warmup + 24 s: the fault (12 s → 22 s) and a few seconds to recover in.
    const run = await runCli(['run', '--config', config, '--duration', '24s', '--out', out, '--no-tui'], {
      unset: ['SOURCE_URL', 'TARGET_URL', 'REPLICATE_FROM'],
    })
    expect(run.code, run.stderr).toBe(0)
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult
    const [fault] = result.faults
    expect(fault).toMatchObject({ name: 'subscription disabled', at: 12, for: 10, error: null })
    expect(fault!.endedAt! - fault!.startedAt!).toBeGreaterThanOrEqual(9.5)
    const [recovery] = result.recovery
    expect(recovery!.label).toBe('fault subscription disabled')
    // Ten seconds of 1,000/s waited in the slot (at least half of them, on a loaded machine).
    expect(recovery!.backlogMax).toBeGreaterThan(5000)
    expect(recovery!.time).not.toBeNull()
    // The backlog drained, so the pipeline delivered faster than the 1,000/s still arriving.
    if (recovery!.catchUpRate !== null) expect(recovery!.catchUpRate).toBeGreaterThan(1000)
    expect(result.events.lost).toBe(0)
    expect(result.slo.checks.map((c) => [c.expression, c.status])).toEqual([
      ['recovery.time < 30s', 'passed'],
      ['lost == 0', 'passed'],
      ['verified == 100%', 'passed'],
    ])
    expect(run.stdout).toMatch(/fault {8}"subscription disabled" 1\d\.\ds → 2\d\.\ds/)
    expect(run.stdout).toMatch(
      /recovery {5}fault subscription disabled: backlog max [\d,]+, recovered in \d+\.\ds/,
    )
  }, 180_000)
})
