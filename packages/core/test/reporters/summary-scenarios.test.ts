import { describe, expect, it } from 'vitest'
import { formatSummary } from '../../src/reporters/summary.js'
import { makeResult } from '../results/make-result.js'

describe('the summary of faults', () => {
  it('says a fault with no undo has none, rather than "not undone" as if its undo failed (trial15 item 7)', () => {
    const result = makeResult(
      { e2e: [1000, 2000] },
      {
        faults: [
          { name: 'walsender', at: 20, for: null, startedAt: 20.4, endedAt: null, error: null },
          { name: 'lock', at: 8, for: 8, startedAt: 8.1, endedAt: 16.2, error: null },
          { name: 'stuck', at: 3, for: 2, startedAt: 3.1, endedAt: null, error: 'undo failed: boom' },
        ],
      },
    )
    const text = formatSummary(result)
    expect(text).toContain('fault        "walsender" 20.4s (no undo)')
    expect(text).toContain('fault        "lock" 8.1s → 16.2s')
    expect(text).toContain('fault        "stuck" 3.1s → not undone — undo failed: boom')
  })

  it('says what happened to a fault that hung, failed, was cut short or never ran, not "never started" for all', () => {
    const result = makeResult(
      { e2e: [1000, 2000] },
      {
        faults: [
          {
            name: 'hanger',
            at: 2,
            for: null,
            startedAt: null,
            endedAt: null,
            error: 'its command, started at 2.0s, was still running when the run stopped and was killed',
          },
          { name: 'late', at: 20, for: null, startedAt: null, endedAt: null, error: null },
          { name: 'SIGSTOP', at: 6, for: 6, startedAt: 6, endedAt: 8.8, error: null, cutShort: true },
        ],
        recovery: [
          {
            label: 'fault SIGSTOP',
            start: 6,
            end: 8.8,
            baselineBacklog: 0,
            baselineE2eP99: 3,
            backlogMax: 2800,
            time: null,
            catchUpRate: null,
            drainRate: null,
            interrupted: true,
            cutShort: true,
          },
        ],
      },
    )
    const text = formatSummary(result)
    expect(text).toContain(
      'fault        "hanger" failed: its command, started at 2.0s, was still running when the run stopped and was killed',
    )
    expect(text).toContain('fault        "late" never started (the run ended before its time)')
    expect(text).toContain('fault        "SIGSTOP" 6.0s → 8.8s (cut short: the run stopped)')
    expect(text).toContain(
      'recovery     fault SIGSTOP: backlog max 2,800, recovery unknown: the run stopped during the fault and undid it early',
    )
  })
})
