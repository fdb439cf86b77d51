import { describe, expect, it } from 'vitest'
import { createTrackerBuffers, Seen, Tracker } from '../../src/metrics/tracker.js'

describe('Tracker', () => {
  it('tells first sightings, duplicates and out-of-order deliveries apart, per key', () => {
    const tracker = new Tracker(createTrackerBuffers(100, 10))
    expect(tracker.markSeen(5, 1)).toBe(Seen.First)
    expect(tracker.markSeen(5, 1)).toBe(Seen.Duplicate)
    expect(tracker.markSeen(9, 1)).toBe(Seen.First)
    expect(tracker.markSeen(7, 1)).toBe(Seen.OutOfOrder)
    expect(tracker.markSeen(7, 2)).toBe(Seen.Duplicate)
    expect(tracker.markSeen(3, 2)).toBe(Seen.First)
  })

  it('counts acknowledged events never seen, and lists the first of them', () => {
    const tracker = new Tracker(createTrackerBuffers(1000, 10))
    for (let seq = 0; seq < 1000; seq++) {
      tracker.markAcked(seq)
      if (seq % 100 !== 42) tracker.markSeen(seq, seq % 10)
    }
    expect(tracker.countUnseenAcked(1000)).toBe(10)
    expect(tracker.unseenAcked(1000, 3)).toEqual([42, 142, 242])
    const scan = tracker.scanUnseenAcked(1000)
    expect(scan.firstWord).toBe(1)
  })

  it('is shared between trackers on the same buffers, and an open-ended run reserves room for any seq', () => {
    const buffers = createTrackerBuffers(undefined, 4)
    const a = new Tracker(buffers)
    const b = new Tracker(buffers)
    expect(a.capacity).toBeGreaterThan(2_000_000_000)
    a.markAcked(999_999)
    expect(b.markSeen(999_999, 3)).toBe(Seen.First)
    expect(a.countUnseenAcked(1_000_000)).toBe(0)
    expect(a.markSeen(999_999, 3)).toBe(Seen.Duplicate)
  })

  it("calls a seq the run never planned foreign, never the run's, even one inside the bitset's last word", () => {
    const tracker = new Tracker(createTrackerBuffers(50, 4))
    expect(tracker.markSeen(1_000_000, 1)).toBe(Seen.Foreign)
    expect(tracker.markSeen(50, 1)).toBe(Seen.Foreign)
    expect(tracker.markSeen(-1, 1)).toBe(Seen.Foreign)
    expect(tracker.markSeen(49, 1)).toBe(Seen.First)
    expect(tracker.wasSeen(1_000_000)).toBe(false)
    expect(tracker.wasSeen(50)).toBe(false)
  })
})
