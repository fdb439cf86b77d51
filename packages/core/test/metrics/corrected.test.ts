/**
 * Coordinated-omission correction of a closed model (issue #9, trial 910 item 1):
 * the trial's closed.json printed a corrected e2e p50 of 2.519 ms under a raw one
 * of 5.003 ms, and the corrected row's mean and count ran together.
 */
import { describe, expect, it } from 'vitest'
import { Recorder } from '../../src/metrics/recorder.js'
import { formatSummary } from '../../src/reporters/summary.js'
import { makeResult } from '../results/make-result.js'

/** The trial's shape: acks in 2 µs from an in-process source, one 500 ms stall per writer, deliveries 5 ms later. */
function closedRun(): { e2e: Recorder; ack: Recorder } {
  const e2e = new Recorder()
  const ack = new Recorder()
  for (let i = 0; i < 10_000; i++) {
    ack.record(i % 2500 === 0 ? 500_000 : 2)
    e2e.record(5_000 + (i % 7))
  }
  return { e2e, ack }
}

const PERCENTILES = ['p50', 'p95', 'p99', 'p999', 'max', 'mean'] as const

describe('corrected latencies of a closed model', () => {
  it('e2e corrected with the ack stalls is never below the raw e2e, at any percentile', () => {
    const { e2e, ack } = closedRun()
    const expected = ack.valueAtPercentile(50)
    const omitted = ack.omittedFor(expected)
    expect(omitted.count).toBe(ack.correctedFor(expected).count - ack.count)
    const raw = e2e.summary()
    const corrected = e2e.delayedBy(omitted).summary()
    expect(corrected.count).toBe(raw.count + omitted.count)
    for (const p of PERCENTILES) expect(corrected[p]!, p).toBeGreaterThanOrEqual(raw[p]!)
    // The stall shows: the omitted operations waited up to 500 ms before their 5 ms delivery.
    expect(corrected.max!).toBeGreaterThan(500)
    const ackCorrected = ack.correctedFor(expected).summary()
    for (const p of PERCENTILES) expect(ackCorrected[p]!, p).toBeGreaterThanOrEqual(ack.summary()[p]!)
  })

  it('with nothing omitted the correction is the raw histogram', () => {
    const { e2e } = closedRun()
    expect(e2e.delayedBy(new Recorder()).summary()).toEqual(e2e.summary())
  })

  it('the summary keeps a corrected count of hundreds of millions apart from the mean', () => {
    const wide = {
      count: 231_268_525,
      p50: 119.9,
      p95: 473.6,
      p99: 505.1,
      p999: 1737,
      max: 2718,
      mean: 6.85493,
    } // shown as 6.855
    const result = makeResult(
      { e2e: [5000, 5003] },
      {
        corrected: {
          expectedIntervalMs: 0.002,
          e2e: { ...wide, belowZero: 0, aboveRange: 0 },
          ack: { ...wide, belowZero: 0, aboveRange: 0 },
        },
      },
    )
    const rows = formatSummary(result).split('\n')
    const at = rows.findIndex((l) => l.includes('corrected for coordinated omission'))
    expect(at).toBeGreaterThan(0)
    for (const row of rows.slice(at + 1, at + 3)) {
      expect(row.trim().split(/\s+/), row).toEqual([
        expect.any(String),
        '119.9',
        '473.6',
        '505.1',
        '1737',
        '2718',
        '6.855',
        '231,268,525',
      ])
    }
  })
})
