import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { HopRecorders } from '../../src/metrics/hops.js'
import type { StampInfo } from '../../src/plugin.js'
import { createPlainReporter } from '../../src/reporters/plain.js'
import type { RunSnapshot } from '../../src/result.js'
import { Aggregator } from '../../src/runtime/aggregator.js'
import type { WorkerCounters, WorkerMessage } from '../../src/runtime/messages.js'

const STAMPS: StampInfo[] = [
  { name: 'source', description: 'commit at the origin', resolutionMicros: 1 },
  { name: 'connector', description: 'connector read it', resolutionMicros: 1000 },
]

const COUNTERS = Object.fromEntries(
  [
    'sent',
    'acked',
    'errors',
    'observed',
    'duplicates',
    'outOfOrder',
    'late',
    'corrupt',
    'inFlight',
    'foreign',
    'sentMeasured',
    'errorsMeasured',
    'lateMeasured',
    'sentMeasuredInTime',
    'observedMeasured',
    'firstMeasuredSeenAt',
    'lastMeasuredSeenAt',
    'seqLimit',
    'inserts',
    'updates',
    'deletes',
  ].map((k) => [k, 0]),
) as unknown as WorkerCounters

/** A worker's snapshot whose events spent `sourceMs` and `connectorMs` in the two hops. */
function snapshot(
  second: number,
  sourceMs: number,
  connectorMs: number,
): Extract<WorkerMessage, { type: 'snapshot' }> {
  const hops = new HopRecorders(STAMPS)
  for (let i = 0; i < 100; i++) hops.record(0, [sourceMs * 1e3, (sourceMs + connectorMs) * 1e3])
  const none = { e2e: null, ack: null, lag: null, detect: null }
  return {
    type: 'snapshot',
    shard: 0,
    sinceMeasureStart: second * 1e6,
    measured: none,
    warmup: none,
    hops: hops.take(),
    counters: COUNTERS,
    errors: [],
  }
}

describe('hops in the live view', () => {
  it('each tick carries every hop for its interval and for the run so far, and the plain line shows them', async () => {
    const config = await resolveConfig(
      {
        source: { plugin: 'memory' },
        sink: { plugin: 'memory' },
        workers: 1,
        load: { rate: 10, duration: '10s' },
      },
      { origin: 'test' },
    )
    const aggregator = new Aggregator(config)
    aggregator.hops.declare(STAMPS)
    const first = aggregator.tick('run', 'measure', 0, 1e6)
    expect(first.hops?.map((h) => [h.name, h.from, h.to, h.interval.count])).toEqual([
      ['source', 'intended', 'source', 0],
      ['connector', 'source', 'connector', 0],
    ])

    aggregator.add(snapshot(2, 2, 40))
    const second = aggregator.tick('run', 'measure', 0, 2e6)
    aggregator.add(snapshot(3, 4, 80))
    const third = aggregator.tick('run', 'measure', 0, 3e6)
    const [source, connector] = third.hops!
    // The interval holds only its own events; the run so far holds both intervals'.
    expect(source!.interval.count).toBe(100)
    expect(source!.interval.p50).toBeCloseTo(4, 2)
    expect(source!.total.count).toBe(200)
    expect(source!.total.p50).toBeCloseTo(2, 2)
    expect(source!.total.p99).toBeCloseTo(4, 2)
    expect(connector!.interval.p99).toBeCloseTo(80, 0)
    expect(connector!.total.p50).toBeCloseTo(40, 0)
    expect(second.hops![1]!.interval.p50).toBeCloseTo(40, 0)

    const lines: string[] = []
    createPlainReporter((line) => lines.push(line)).onSnapshot!(third as RunSnapshot)
    expect(lines[0]).toMatch(/ \| hops p50\/p99 source 4\.00ms\/4\.00ms connector 80\.\dms\/80\.\dms$/)
    lines.length = 0
    createPlainReporter((line) => lines.push(line)).onSnapshot!(first)
    expect(lines[0]).toMatch(/ \| hops p50\/p99 source – connector –$/)
  })

  it('a sink without stamps adds nothing to the snapshot or the plain line', async () => {
    const config = await resolveConfig(
      {
        source: { plugin: 'memory' },
        sink: { plugin: 'memory' },
        workers: 1,
        load: { rate: 10, duration: '10s' },
      },
      { origin: 'test' },
    )
    const tick = new Aggregator(config).tick('run', 'measure', 0, 1e6)
    expect(tick).not.toHaveProperty('hops')
    const lines: string[] = []
    createPlainReporter((line) => lines.push(line)).onSnapshot!(tick)
    expect(lines[0]).not.toContain('hops')
  })
})
