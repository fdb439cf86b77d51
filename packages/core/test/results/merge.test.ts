import { describe, expect, it } from 'vitest'
import { createHistogram, decodeHistogram, encodeHistogram, summarize } from '../../src/metrics/histograms.js'
import { mergeResults } from '../../src/results/merge.js'
import { parseSlo } from '../../src/slo/parser.js'
import { latencies, makeResult, recordedConfig } from './make-result.js'

/** The exact percentile of raw samples, ranked as HdrHistogram ranks (round half up, at least 1). */
function exactPercentile(sorted: number[], percentile: number): number {
  return sorted[Math.max(1, Math.floor((percentile / 100) * sorted.length + 0.5)) - 1]!
}

describe('mergeResults', () => {
  const parts = [latencies(30_000, 8_000, 11), latencies(10_000, 20_000, 12), latencies(5_000, 3_000, 13)]
  const inputs = parts.map((samples, i) => ({
    file: `shard-${i}.json`,
    result: makeResult({ e2e: samples }, { runId: `run1-${i}`, startedAt: `2026-01-01T00:00:0${i}.000Z` }),
  }))

  it('gives the percentiles of one histogram over all the events, to histogram precision', () => {
    const merged = mergeResults(inputs)
    const all = parts.flat()
    const one = createHistogram()
    for (const value of all) one.recordValue(value)
    // Exactly what one process recording every event reports (its workers' histograms cross threads encoded)…
    const oneProcess = decodeHistogram(encodeHistogram(one))
    expect(merged.metrics.e2e).toEqual(summarize(oneProcess))
    expect(decodeHistogram(merged.histograms.e2e).totalCount).toBe(all.length)
    // …and within HDR's 3 significant digits of the raw samples' own percentiles.
    const sorted = [...all].sort((a, b) => a - b)
    for (const [key, p] of [
      ['p50', 50],
      ['p95', 95],
      ['p99', 99],
      ['p999', 99.9],
    ] as const) {
      const exact = exactPercentile(sorted, p) / 1e3
      expect(Math.abs(merged.metrics.e2e[key] - exact) / exact).toBeLessThan(0.001)
    }
    const max = sorted.at(-1)! / 1e3
    expect(Math.abs(merged.metrics.e2e.max - max) / max).toBeLessThan(0.001)
    one.destroy()
    oneProcess.destroy()
  })

  it('adds counters and rates, names the merged run, and reports the start-time spread', () => {
    const merged = mergeResults(inputs)
    expect(merged.events.sent).toBe(45_000)
    expect(merged.events.observed).toBe(45_000)
    expect(merged.rate.achieved).toBe(4500)
    expect(merged.runId).toMatch(/^merged-[0-9a-f]{6}$/)
    expect(merged.workers).toBe(3)
    expect(merged.mergedFrom?.map((p) => p.file)).toEqual(['shard-0.json', 'shard-1.json', 'shard-2.json'])
    expect(merged.warnings[0]).toBe('merged 3 results; their start times spread over 2.000s')
    // Rows at the same t add their rates; percentiles cannot be added, so they are unknown, not averaged.
    expect(merged.intervals[0]).toMatchObject({ t: 1, achievedRate: 4500, e2eP99: null })
  })

  it('adds the rows of one interval though the processes ticked milliseconds apart; a short last row keeps its place', () => {
    // Found by a fresh user: shards' rows were interleaved (t 1.003 beside 1.005), each at one shard's rate.
    const ticked = (index: number, offset: number, n: number) =>
      makeResult(
        { e2e: latencies(n, 5_000, 21) },
        {
          runId: 'run2',
          shard: { index, count: 3 },
          intervals: [
            ...Array.from({ length: 10 }, (_, i) => ({
              t: i + 1 + offset,
              phase: 'measure' as const,
              targetRate: 100,
              sentRate: 100,
              achievedRate: 100,
              e2eP50: 1,
              e2eP99: 2,
              lagP99: 1,
              inFlight: 3,
              errors: 0,
            })),
            {
              t: 10.07 + offset,
              phase: 'done' as const,
              targetRate: 0,
              sentRate: 0,
              achievedRate: 0,
              e2eP50: null,
              e2eP99: null,
              lagP99: null,
              inFlight: 0,
              errors: 0,
            },
          ],
        },
      )
    const merged = mergeResults([
      { file: 'a.json', result: ticked(0, 0.003, 1000) },
      { file: 'b.json', result: ticked(1, 0.005, 1000) },
      { file: 'c.json', result: ticked(2, -0.002, 1000) },
    ])
    const measured = merged.intervals.filter((p) => p.phase === 'measure')
    expect(measured.map((p) => p.t)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    for (const p of measured)
      expect(p).toMatchObject({ targetRate: 300, sentRate: 300, achievedRate: 300, inFlight: 9 })
    expect(merged.intervals).toHaveLength(11)
    expect(merged.intervals.at(-1)).toMatchObject({ phase: 'done', achievedRate: 0 })
  })

  it('evaluates SLOs on the merged figures: shards that each pass can fail together', () => {
    const slo = [parseSlo('e2e.p99 < 150ms'), parseSlo('throughput >= 4000/s')]
    // The slow shard alone is a third of the events at 2.5× the latency: p99 of the whole moves.
    const fast = mergeResults([inputs[0]!], { slo })
    expect(fast.slo.checks[0]!.passed).toBe(true)
    const merged = mergeResults(inputs, { slo })
    expect(merged.slo.checks.map((c) => c.passed)).toEqual([false, true])
    expect(merged.status).toBe('failed')
    expect(merged.exitCode).toBe(1)
  })

  it('skips recovery.time and backlog.max with the reason, as a run does, instead of failing them for no data', () => {
    const slo = [parseSlo('recovery.time < 30s'), parseSlo('backlog.max < 1000'), parseSlo('e2e.p99 < 1s')]
    const merged = mergeResults(inputs, { slo })
    expect(merged.slo.checks.map((c) => c.status)).toEqual(['skipped', 'skipped', 'passed'])
    expect(merged.slo.checks[0]!.note).toBe(
      "not measured: recovery.time is per run — see each input's recovery",
    )
    expect(merged.slo.passed).toBe(true)
    expect(merged.status).toBe('passed')
    // Two runs that never recovered do not pass merged (a fresh user's merge printed PASSED).
    const never = {
      expression: 'recovery.time < 30s',
      unit: 'ms',
      threshold: 30_000,
      actual: null,
      passed: false,
      status: 'failed' as const,
      note: 'never recovered within the run: fault stall',
    }
    const stalled = (runId: string) =>
      makeResult({ e2e: [1000] }, { runId, slo: { passed: false, checks: [never] } })
    const both = mergeResults([
      { file: 'n.json', result: stalled('n') },
      { file: 'n2.json', result: stalled('n2') },
    ])
    expect(both.slo.checks[0]).toMatchObject({
      status: 'failed',
      note: /^failed in n\.json, n2\.json \(judged per run\)/,
    })
    expect(both.status).toBe('failed')
    // One input with no fault and no burst: nothing to recover from, said so.
    const one = mergeResults([inputs[0]!], { slo: [slo[0]!] })
    expect(one.slo.checks[0]).toMatchObject({
      status: 'skipped',
      note: 'not measured: the run had no fault and no burst to recover from',
    })
  })

  it("uses the inputs' own SLO checks when none are given, and an interrupted input makes it interrupted", () => {
    const checks = [{ expression: 'lost == 0', actual: 0, passed: true }]
    const a = makeResult({ e2e: [1000] }, { runId: 'a', slo: { passed: true, checks } })
    const b = makeResult(
      { e2e: [1000] },
      { runId: 'b', slo: { passed: true, checks }, status: 'interrupted' },
    )
    const merged = mergeResults([
      { file: 'a', result: a },
      { file: 'b', result: b },
    ])
    expect(merged.slo.checks).toMatchObject([{ expression: 'lost == 0', actual: 0, passed: true }])
    expect(merged.status).toBe('interrupted')
    expect(merged.exitCode).toBe(130)
  })

  it("skips a windowed check over several inputs (windows cannot be recombined), and keeps one input's windows", () => {
    const windows = {
      seconds: 60,
      count: 3,
      failed: 1,
      lastPartial: false,
      worst: 3000,
      noData: 0,
      failing: [{ start: 60, end: 120, actual: 3000 }],
    }
    const windowed = {
      expression: 'e2e.p99[1m] < 2s',
      actual: 3000,
      unit: 'ms',
      threshold: 2000,
      passed: false,
      status: 'failed' as const,
      note: 'failed in 1 of 3 windows of 1m: 1m–2m: 3000.000 ms',
      windows,
    }
    const failedRun = makeResult({ e2e: [1000] }, { runId: 'a', slo: { passed: false, checks: [windowed] } })
    const one = mergeResults([{ file: 'a.json', result: failedRun }])
    expect(one.slo.checks[0]).toMatchObject({ status: 'failed', actual: 3000, windows })
    expect(one.status).toBe('failed')
    const two = mergeResults([
      { file: 'a.json', result: failedRun },
      { file: 'b.json', result: makeResult({ e2e: [1000] }, { runId: 'b' }) },
    ])
    // A gate one input failed in its own windows fails the merge (it cannot be recomputed, nor pass).
    expect(two.slo.checks).toMatchObject([
      {
        expression: 'e2e.p99[1m] < 2s',
        status: 'failed',
        passed: false,
        actual: null,
        note: /^failed in a\.json \(judged per run\); inputs: a\.json failed, b\.json not checked$/,
      },
    ])
    expect(two.status).toBe('failed')
    expect(two.slo.checks[0]).not.toHaveProperty('windows')
  })

  it("refuses a run counted twice at any depth: a merged input already holding another input's runs", () => {
    // Found by a fresh user: merge h.json sh/merged.json, where h.json already merged sh/merged.json, sent 66,000 for 48,000.
    const shard = (index: number) =>
      makeResult({ e2e: latencies(100, 5_000, 30 + index) }, { runId: 'sh1', shard: { index, count: 2 } })
    const sharded = mergeResults([
      { file: 'sh/0.json', result: shard(0) },
      { file: 'sh/1.json', result: shard(1) },
    ])
    const other = makeResult({ e2e: [1000] }, { runId: 'solo' })
    const h = mergeResults([
      { file: 'solo.json', result: other },
      { file: 'sh/merged.json', result: sharded },
    ])
    expect(() =>
      mergeResults([
        { file: 'h.json', result: h },
        { file: 'sh/merged.json', result: sharded },
      ]),
    ).toThrow(
      /^sh\/merged\.json: runId: run sh1 is also counted in h\.json, which merged it — the same run twice/,
    )
    // Two levels down: h2 merged h (which merged the shards) with a third run.
    const h2 = mergeResults([
      { file: 'h.json', result: h },
      { file: 'third.json', result: makeResult({ e2e: [1000] }, { runId: 'third' }) },
    ])
    expect(h2.mergedFrom?.[0]?.runs).toEqual(['solo', 'sh1'])
    expect(() =>
      mergeResults([
        { file: 'sh/merged.json', result: sharded },
        { file: 'h2.json', result: h2 },
      ]),
    ).toThrow(
      /^h2\.json: runId: run sh1, which it merged, is also counted in sh\/merged\.json, which merged it — /,
    )
    expect(() =>
      mergeResults([
        { file: 'h2.json', result: h2 },
        { file: 'solo.json', result: other },
      ]),
    ).toThrow(/^solo\.json: runId: run solo is also counted in h2\.json, which merged it — /)
    // Two plain runs with one id keep their message.
    expect(() =>
      mergeResults([
        { file: 'solo.json', result: other },
        { file: 'copy.json', result: other },
      ]),
    ).toThrow(/^copy\.json: runId: solo is also the run id of solo\.json — /)
  })

  it('refuses shards of one run whose workers differ, naming the field: their plans pick other keys', () => {
    // Found by a fresh user: shards 0/3 with --workers 1, 1/3 with 2, 2/3 with 1 merged silently.
    const shard = (index: number, workers: number) => ({
      file: `s${index}.json`,
      result: makeResult(
        { e2e: latencies(100, 5_000, 40 + index) },
        { runId: 'w1', shard: { index, count: 3 }, workers },
      ),
    })
    expect(() => mergeResults([shard(0, 1), shard(1, 2), shard(2, 1)])).toThrow(
      /^s1\.json: workers: 2, while s0\.json has 1 — the shards of one run must run one plan/,
    )
    expect(mergeResults([shard(0, 2), shard(1, 2), shard(2, 2)]).workers).toBe(6)
  })

  it("warns of unrelated runs as compare does, and keeps each input's config rather than the first one's", () => {
    // Found by a fresh user: merge r1.json stall.json (other rate, delay, SLOs) stored r1's config and said nothing.
    const config = (rate: number, slo: string[]) =>
      recordedConfig(rate, { name: 'c', source: { name: 'memory', options: { delayMs: rate / 100 } }, slo })
    const r1 = makeResult({ e2e: [1000] }, { runId: 'a', config: config(1000, ['e2e.p99 < 1s']) })
    const stall = makeResult({ e2e: [1000] }, { runId: 'b', config: config(2000, ['lost == 0']) })
    const merged = mergeResults([
      { file: 'r1.json', result: r1 },
      { file: 'stall.json', result: stall },
    ])
    expect(merged.warnings).toContain('r1.json vs stall.json: source options differ: delayMs 10 vs 20')
    expect(merged.warnings).toContain(
      'r1.json vs stall.json: load.stages differs: [{"seconds":10,"fromRate":1000,"toRate":1000}] vs [{"seconds":10,"fromRate":2000,"toRate":2000}]',
    )
    expect(merged.warnings).toContain(
      "the inputs' configs differ (in source.options.delayMs, slo, load.stages): the merged result has no config of its own; each input's is in mergedFrom[].config",
    )
    expect(merged).not.toHaveProperty('config')
    expect(merged.mergedFrom?.map((p) => p.config?.slo)).toEqual([['e2e.p99 < 1s'], ['lost == 0']])
    // Runs of one config keep it as the merged run's, and are not warned of.
    const same = mergeResults([
      { file: 'r1.json', result: r1 },
      { file: 'r2.json', result: { ...r1, runId: 'c' } },
    ])
    expect(same.config).toEqual(r1.config)
    expect(same.mergedFrom?.[0]).not.toHaveProperty('config')
    expect(same.warnings.filter((w) => w.includes(' vs '))).toEqual([])
    // Runs without load.seed draw one each: a seed alone does not make another config.
    const seeded = (seed: number) => ({ ...r1.config!, load: { ...r1.config!.load, seed } })
    const reseeded = mergeResults([
      { file: 'r1.json', result: { ...r1, config: seeded(7) } },
      { file: 'r2.json', result: { ...r1, runId: 'c', config: seeded(9) } },
    ])
    expect(reseeded.config).toEqual(seeded(7))
    expect(reseeded.mergedFrom?.map((p) => [p.seed, p.config])).toEqual([
      [7, undefined],
      [9, undefined],
    ])
    expect(reseeded.warnings).toContain(
      "the inputs drew different load seeds (their configs are otherwise the same): the merged config is the first input's, with its seed; each input's seed is in mergedFrom[].seed",
    )
    expect(reseeded.warnings.filter((w) => w.includes('configs differ'))).toEqual([])
  })

  it('names the first input with the first value of a difference', () => {
    const short = makeResult({ e2e: [1000] }, { runId: 'f', measuredSeconds: 20 })
    const long = makeResult({ e2e: [1000] }, { runId: 'wd', measuredSeconds: 6 })
    const merged = mergeResults([
      { file: 'f.json', result: short },
      { file: 'wd.json', result: long },
    ])
    expect(merged.warnings).toContain(
      'f.json vs wd.json: measured windows differ: 20s vs 6s (tails of a longer run reach further)',
    )
  })
})
