import { describe, expect, it } from 'vitest'
import { HopRecorders, HopTotals } from '../../src/metrics/hops.js'
import type { StampInfo } from '../../src/plugin.js'

const STAMPS: StampInfo[] = [
  { name: 'source', description: 'commit at the origin', resolutionMicros: 1 },
  { name: 'connector', description: 'connector read it', resolutionMicros: 1000 },
]

describe('hops', () => {
  it('records each hop from the stamp before it (intended time for the first)', () => {
    const worker = new HopRecorders(STAMPS)
    worker.record(1_000, [3_000, 10_000])
    const totals = new HopTotals()
    totals.declare(STAMPS)
    totals.add(worker.take())
    const [source, connector] = totals.summaries()
    expect(source).toMatchObject({ name: 'source', from: 'intended', to: 'source', belowZero: 0 })
    expect(source!.latency).toMatchObject({ count: 1, p50: 2 })
    expect(connector).toMatchObject({ name: 'connector', from: 'source', to: 'connector' })
    // HDR reports a bucket's highest equivalent value: 7 ms within 3 significant digits.
    expect(connector!.latency.count).toBe(1)
    expect(connector!.latency.p50).toBeCloseTo(7, 1)
  })

  it('skips a hop whose either end the event lacks (NaN), and keeps the others', () => {
    const worker = new HopRecorders(STAMPS)
    worker.record(0, [Number.NaN, 5_000])
    worker.record(0, [2_000, Number.NaN])
    const totals = new HopTotals()
    totals.declare(STAMPS)
    totals.add(worker.take())
    const [source, connector] = totals.summaries()
    expect(source!.latency.count).toBe(1)
    expect(connector!.latency.count).toBe(0)
  })

  it('counts a hop below zero apart instead of recording it as 0', () => {
    const worker = new HopRecorders(STAMPS)
    worker.record(10_000, [9_000, 12_000])
    const totals = new HopTotals()
    totals.declare(STAMPS)
    totals.add(worker.take())
    const [source, connector] = totals.summaries()
    expect(source!.belowZero).toBe(1)
    expect(source!.latency.count).toBe(0)
    expect(connector!.latency.count).toBe(1)
    expect(connector!.latency.p50).toBeCloseTo(3, 1)
  })

  it('merges workers losslessly: two halves give the same percentiles as one recorder of all', () => {
    const one = new HopRecorders(STAMPS)
    const a = new HopRecorders(STAMPS)
    const b = new HopRecorders(STAMPS)
    for (let i = 0; i < 1000; i++) {
      const stamps = [i * 37, i * 37 + ((i * 7919) % 5000)]
      one.record(0, stamps)
      ;(i % 2 ? a : b).record(0, stamps)
    }
    const whole = new HopTotals()
    whole.declare(STAMPS)
    whole.add(one.take())
    const merged = new HopTotals()
    merged.declare(STAMPS)
    merged.add(a.take())
    merged.add(b.take())
    expect(merged.summaries().map((h) => h.latency)).toEqual(whole.summaries().map((h) => h.latency))
    expect(merged.summaries().map((h) => h.histogram)).toEqual(whole.summaries().map((h) => h.histogram))
  })

  it('declares a hop as coarse as the coarser of its two stamps, and finds it by name for SLOs', () => {
    const totals = new HopTotals()
    totals.declare(STAMPS)
    expect(totals.summaries().map((h) => h.resolutionMicros)).toEqual([1, 1000])
    expect(totals.recorder('connector')).toBeDefined()
    expect(totals.recorder('kafka')).toBeUndefined()
  })
})
