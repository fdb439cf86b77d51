import { describe, expect, it } from 'vitest'
import { createTrackerBuffers, Tracker } from '../../src/metrics/tracker.js'
import { type CounterTotals, settleCounters } from '../../src/runtime/aggregator.js'

/** Counters as a worker's last snapshot left them: 10 sent, 6 acked (all seen), 4 in flight. */
const counted = { sent: 10, acked: 6, errors: 0, inFlight: 4, observed: 6 } as CounterTotals

describe('settleCounters', () => {
  it('moves acks the tracker holds beyond the counters out of in flight, so nothing counts twice', () => {
    const tracker = new Tracker(createTrackerBuffers(10, 10))
    for (let seq = 0; seq < 7; seq++) tracker.markAcked(seq) // one ack after the last counters
    for (let seq = 0; seq < 6; seq++) tracker.markSeen(seq, seq)
    const marks = tracker.tally(10)
    expect(marks).toEqual({ acked: 7, seen: 6, unseenAcked: 1 })
    const settled = settleCounters(counted, marks)
    expect(settled.acked + settled.errors + settled.inFlight).toBe(settled.sent)
    // Unresolved (in flight + acknowledged but unseen) is each unsettled event once: 3 + 1 of the 4.
    expect(settled.inFlight + marks.unseenAcked).toBe(settled.sent - settled.observed)
  })

  it('counts a first sighting after the counters as observed', () => {
    const tracker = new Tracker(createTrackerBuffers(10, 10))
    for (let seq = 0; seq < 6; seq++) tracker.markAcked(seq)
    for (let seq = 0; seq < 6; seq++) tracker.markSeen(seq, seq)
    tracker.markAcked(6)
    tracker.markSeen(6, 6)
    const settled = settleCounters(counted, tracker.tally(10))
    expect(settled).toMatchObject({ acked: 7, inFlight: 3, observed: 7 })
  })

  it('leaves agreeing counters as they are', () => {
    expect(settleCounters(counted, { acked: 6, seen: 6 })).toBe(counted)
  })
})
