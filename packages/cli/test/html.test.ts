import type { IntervalPoint, RunResult } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { makeResult } from '../../core/test/results/make-result.js'
import { backlogFromRates, failingWindows, findStalls, renderHtml } from '../src/results/html.js'

function rows(points: Array<[number, number, number]>): RunResult {
  const intervals: IntervalPoint[] = points.map(([targetRate, sentRate, achievedRate], i) => ({
    t: i + 1,
    phase: 'measure',
    targetRate,
    sentRate,
    achievedRate,
    e2eP50: 1,
    e2eP99: 2,
    lagP99: 1,
    inFlight: 0,
    errors: 0,
  }))
  return { intervals } as unknown as RunResult
}

describe('findStalls', () => {
  it('finds the stretch where the sink saw under a tenth of the plan', () => {
    const result = rows([
      [1000, 1000, 1000],
      [1000, 1000, 0],
      [1000, 1000, 50],
      [1000, 1000, 2950],
    ])
    expect(findStalls(result)).toEqual([{ from: 1, to: 3, targetRate: 1000, achievedRate: 25 }])
  })

  it("does not call a burst's first interval a stall (the target at its end is the burst's)", () => {
    const result = rows([
      [100, 100, 100],
      [4000, 100, 100],
      [4000, 4000, 2000],
      [100, 100, 2000],
    ])
    expect(findStalls(result)).toEqual([])
  })
})

describe('backlogFromRates', () => {
  it('adds sent minus observed over each interval', () => {
    expect(
      backlogFromRates(
        rows([
          [100, 100, 100],
          [4000, 4000, 2000],
          [100, 100, 1500],
          [100, 100, 700],
        ]),
      ),
    ).toEqual([0, 2000, 600, 0])
  })
})

describe('failingWindows', () => {
  it("puts each failing window on the charts' axis: its offset in the measured window plus the warmup", () => {
    const result = {
      config: { load: { warmupSeconds: 5 } },
      slo: {
        checks: [
          { expression: 'e2e.p99 < 1s' },
          {
            expression: 'e2e.p99[1m] < 2s',
            windows: { failing: [{ start: 60, end: 120, actual: 3000 }] },
          },
        ],
      },
    } as unknown as RunResult
    expect(failingWindows(result)).toEqual([{ expression: 'e2e.p99[1m] < 2s', from: 65, to: 125 }])
    expect(failingWindows({ ...result, config: undefined } as unknown as RunResult)).toEqual([])
  })
})

describe('renderHtml', () => {
  /** The page's text without the inlined uPlot, tags and the embedded data, as a reader sees it. */
  const text = (html: string) =>
    html
      .replace(/<script[\s\S]*?<\/script>/g, '')
      .replace(/<style[\s\S]*?<\/style>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/\s+/g, ' ')
      .replace(/ ([:,])/g, '$1')

  it('shows counts as whole numbers and only measured quantities with decimals', () => {
    // Found by a fresh user: "late 5.000", "duplicates 28.0", "lost 21.0", SLO actual "21.0", "backlog max: 804.0".
    const base = makeResult({ e2e: [1500, 2500] })
    const result = makeResult(
      { e2e: [1500, 2500] },
      {
        events: { ...base.events, late: 5, duplicates: 28, lost: 21 },
        slo: {
          passed: false,
          checks: [
            { expression: 'lost == 0', actual: 21, unit: '', threshold: 0, passed: false, status: 'failed' },
            {
              expression: 'e2e.p99 < 1s',
              actual: 2.5,
              unit: 'ms',
              threshold: 1000,
              passed: true,
              status: 'passed',
            },
          ],
        },
        backlogMax: 804,
        faults: [{ name: 'pause', at: 1, for: 1, startedAt: 1, endedAt: 2, error: null }],
        recovery: [],
      },
    )
    const page = text(renderHtml(result))
    expect(page).toContain('late 5 ')
    expect(page).toContain('duplicates 28 ')
    expect(page).toContain('lost 21 ')
    expect(page).toContain('lost == 0 21 ')
    expect(page).toContain('backlog max: 804 ')
    expect(page).toContain('e2e.p99 < 1s 2.500 ms')
    expect(page).not.toMatch(/\b(5\.000|28\.0|21\.0|804\.0)\b/)
  })

  it('shows hops: a table read from their histograms, and their spectra', () => {
    const hopResult = makeResult({ e2e: [1000, 2000, 3000, 4000] })
    const result = makeResult(
      { e2e: [5000] },
      {
        hops: [
          {
            name: 'connector',
            from: 'committed',
            to: 'delivered',
            description: 'connector',
            resolutionMicros: 1000,
            belowZero: 0,
            latency: hopResult.metrics.e2e,
            histogram: hopResult.histograms.e2e,
          },
        ],
      },
    )
    const html = renderHtml(result)
    expect(text(html)).toMatch(
      /Hops .* connector 2\.000 4\.001 4\.001 4\.001 4\.001 2\.501 4 committed → delivered, resolution 1\.000 ms/,
    )
    expect(html).toContain('id="chart-spectrum-hop.connector"')
  })

  it("says why a merged result's per-interval latency chart is blank instead of drawing an empty chart", () => {
    // Found by a fresh user: the merged report's "Latency per interval" was an empty chart.
    const merged = makeResult(
      { e2e: [1000] },
      {
        mergedFrom: [
          { file: 'a.json', runId: 'a', startedAt: '', status: 'passed' },
          { file: 'b.json', runId: 'b', startedAt: '', status: 'passed' },
        ],
        intervals: [1, 2].map((t) => ({
          t,
          phase: 'measure',
          targetRate: 10,
          sentRate: 10,
          achievedRate: 10,
          e2eP50: null,
          e2eP99: null,
          lagP99: null,
          inFlight: 0,
          errors: 0,
        })),
      },
    )
    const html = renderHtml(merged)
    expect(html).not.toContain('id="chart-latency"')
    expect(text(html)).toContain('No chart: per-interval latency is not kept when runs are merged')
    // One run's own intervals draw as before, with no note.
    const single = renderHtml(makeResult({ e2e: [1000] }))
    expect(single).toContain('id="chart-latency"')
    expect(single).not.toContain('latency-note')
  })

  it('says a shard is one, with its start, and counts workers in the singular', () => {
    // Found by a fresh user: a shard's HTML did not say it was a shard, and said "1 workers".
    const shard = makeResult(
      { e2e: [1000] },
      {
        runId: 'nightly42',
        shard: { index: 0, count: 3 },
        start: {
          requested: '2026-12-06T21:30:00.000Z',
          actual: '2026-12-06T21:30:00.004Z',
          actualMicros: 1,
          lateMs: 4.2,
        },
      },
    )
    const page = text(renderHtml(shard))
    expect(page).toContain('shard 0/3 of run nightly42: its share of the run')
    expect(page).toContain('started 2026-12-06T21:30:00.004Z (+4.2 ms from --start-at)')
    expect(page).toContain('· 1 worker ·')
    const merged = text(
      renderHtml(makeResult({ e2e: [1000] }, { workers: 3, shards: { count: 3, actualStartSpreadMs: 2.5 } })),
    )
    expect(merged).toContain('merged from the 3 shards of run r1 · their actual starts spread over 2.500 ms')
    expect(merged).toContain('· 3 workers ·')
  })

  it("shows each input's config when a merge's inputs' configs differ", () => {
    const result = makeResult(
      { e2e: [1000] },
      {
        mergedFrom: [
          { file: 'r1.json', runId: 'a', startedAt: '', status: 'passed', config: { name: 'fast' } },
          { file: 'stall.json', runId: 'b', startedAt: '', status: 'passed', config: { name: 'stall' } },
        ],
      },
    )
    const page = text(renderHtml(result))
    expect(page).toMatch(
      /Config The merged inputs' configs differ.* r1\.json \{ "name": "fast" \} stall\.json \{ "name": "stall" \}/,
    )
  })
  it("labels the plugins' own figures with the part and the plugin", () => {
    // Found by a fresh user: a memory source's and sink's inserts/updates/deletes read as one list twice.
    const result = makeResult(
      { e2e: [1000] },
      {
        source: 'memory',
        sink: 'kafka',
        plugins: { source: { inserts: 5 }, sink: { inserts: 4 } },
        pipeline: { name: 'memory', failed: false, eventCount: 2, events: [] },
      },
    )
    const page = text(renderHtml(result))
    expect(page).toMatch(
      /Reported by the plugins source: memory inserts 5 sink: kafka inserts 4 pipeline: memory events reported 2/,
    )
  })

  it('writes no unit after "no data"', () => {
    const checks = [
      {
        expression: 'recovery.time < 10s',
        actual: null,
        unit: 'ms',
        threshold: 10000,
        passed: true,
        status: 'skipped',
      },
    ]
    const page = text(renderHtml(makeResult({ e2e: [1000] }, { slo: { passed: true, checks } })))
    expect(page).toMatch(/recovery\.time < 10s no data /)
    expect(page).not.toContain('no data ms')
  })

  it('says a recovery the run was stopped before is unknown, not "never"', () => {
    const episode = {
      label: 'fault stall',
      start: 5,
      end: 10,
      baselineBacklog: 3,
      baselineE2eP99: 2,
      backlogMax: 900,
      time: null,
      catchUpRate: null,
      drainRate: null,
    }
    const stopped = text(
      renderHtml(makeResult({ e2e: [1000] }, { recovery: [{ ...episode, interrupted: true }] })),
    )
    expect(stopped).toContain('unknown (the run was stopped first)')
    expect(stopped).not.toMatch(/\bnever\b/)
    const finished = text(renderHtml(makeResult({ e2e: [1000] }, { recovery: [episode] })))
    expect(finished).toMatch(/\bnever\b/)
  })

  it("shows each recovery's drain rate beside its catch-up rate, as the summary and the JSON do", () => {
    const recovered = {
      label: 'burst 5000/s',
      start: 10,
      end: 20,
      baselineBacklog: 3,
      baselineE2eP99: 2,
      backlogMax: 30_013,
      time: 17.2,
      catchUpRate: 2000,
      drainRate: 1900,
    }
    const page = text(renderHtml(makeResult({ e2e: [1000] }, { recovery: [recovered] })))
    expect(page).toContain('backlog cleared at')
    expect(page).toMatch(/burst 5000\/s .*17\.2 s 2,000\/s 1,900\/s/)
    const cut = {
      ...recovered,
      time: null,
      catchUpRate: null,
      drainRate: null,
      interrupted: true as const,
      cutShort: true as const,
    }
    expect(text(renderHtml(makeResult({ e2e: [1000] }, { recovery: [cut] })))).toContain(
      'unknown (the run stopped during the fault and undid it early)',
    )
  })
})
