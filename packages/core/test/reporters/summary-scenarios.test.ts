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
})
