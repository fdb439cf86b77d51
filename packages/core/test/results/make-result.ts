import { createHistogram, encodeHistogram, summarize } from '../../src/metrics/histograms.js'
import { LATENCY_METRICS, type LatencyMetric, type RunResult } from '../../src/result.js'

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Latencies in µs with a long tail: mostly around `median`, one in fifty up to 40× slower. */
export function latencies(count: number, median: number, seed: number): number[] {
  const next = random(seed)
  return Array.from({ length: count }, () => {
    const base = median * (0.5 + next())
    return Math.round(next() < 0.02 ? base * (1 + 39 * next()) : base)
  })
}

/**
 * The config a result records for a memory-pipeline run at `rate`/s held 10 s, with `overrides`
 * (top-level fields) and `load` (fields of the load) on top.
 */
export function recordedConfig(
  rate: number,
  overrides: Record<string, unknown> = {},
  load: Record<string, unknown> = {},
) {
  return {
    name: 'x',
    source: { name: 'memory', options: {} },
    sink: { name: 'memory', options: {} },
    verify: null,
    workers: 1,
    intervalSeconds: 1,
    slo: [] as string[],
    abortOnFail: false,
    load: {
      model: 'open' as const,
      stages: [{ seconds: 10, fromRate: rate, toRate: rate }],
      warmupSeconds: 0,
      totalSeconds: 10,
      concurrency: 1,
      maxInFlight: 1000,
      batchSize: 1,
      mix: { insert: 1, update: 0, delete: 0 },
      keys: 1000,
      payloadSize: 100,
      seed: 1,
      drainTimeoutSeconds: 5,
      lateAfterMs: 10,
      ...load,
    },
    ...overrides,
  }
}

/**
 * A schemaVersion 1 result whose histograms hold exactly `samples` (µs per
 * metric; e2e's samples stand in for all metrics not given), as a run with
 * those samples would have written it.
 */
export function makeResult(
  samples: Partial<Record<LatencyMetric, number[]>> & { e2e: number[] },
  overrides: Partial<Record<keyof RunResult, unknown>> = {},
): RunResult {
  const histograms = {} as Record<LatencyMetric, string>
  const metrics = {} as Record<LatencyMetric, ReturnType<typeof summarize>>
  for (const metric of LATENCY_METRICS) {
    const histogram = createHistogram()
    for (const value of samples[metric] ?? samples.e2e) histogram.recordValue(value)
    histograms[metric] = encodeHistogram(histogram)
    metrics[metric] = summarize(histogram)
    histogram.destroy()
  }
  const n = samples.e2e.length
  return {
    schemaVersion: 1,
    runId: 'r1',
    name: 'made',
    status: 'passed',
    exitCode: 0,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:12.000Z',
    workers: 1,
    source: 'memory',
    sink: 'memory',
    timeBase: 'memory pipeline delivery time',
    slo: { passed: true, checks: [] },
    metrics,
    rate: { target: n / 10, sent: n / 10, achieved: n / 10 },
    events: {
      sent: n,
      acked: n,
      observed: n,
      inFlight: 0,
      duplicates: 0,
      outOfOrder: 0,
      late: 0,
      errors: 0,
      corrupt: 0,
      lost: 0,
      unresolved: 0,
    },
    operations: { insert: n, update: 0, delete: 0 },
    lateShare: 0,
    measuredSeconds: 10,
    errors: [],
    verification: null,
    warnings: [],
    intervals: Array.from({ length: 10 }, (_, i) => ({
      t: i + 1,
      phase: 'measure' as const,
      targetRate: n / 10,
      sentRate: n / 10,
      achievedRate: n / 10,
      e2eP50: 1,
      e2eP99: 2,
      lagP99: 1,
      inFlight: 0,
      errors: 0,
    })),
    histograms,
    plugins: { source: {}, sink: {} },
    ...overrides,
  } as RunResult
}
