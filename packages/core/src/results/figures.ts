import { ConfigError } from '../errors.js'
import { decodeHistogram } from '../metrics/histograms.js'
import { LATENCY_METRICS, type RunResult } from '../result.js'

/** Latency statistics read from a result's histograms (the SLO grammar's names). */
export const LATENCY_STATISTICS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean', 'count'] as const
type LatencyStatistic = (typeof LATENCY_STATISTICS)[number]

/** Which way is better for a figure, so a change can be called a regression. */
export type Better = 'lower' | 'higher' | 'neither'

/** One figure of a result that `cdcb compare` shows and `--fail-on` can gate. */
export interface Figure {
  /** As written in `--fail-on`: `e2e.p99`, `throughput`, `lost`, … */
  readonly name: string
  /** `ms`, `/s`, `%` or `` for counts. */
  readonly unit: string
  readonly better: Better
}

const PERCENTILES: Record<Exclude<LatencyStatistic, 'max' | 'mean' | 'count'>, number> = {
  p50: 50,
  p90: 90,
  p95: 95,
  p99: 99,
  p999: 99.9,
}

/** A latency histogram's figures (`e2e.p99`, `hop.connector.count`, …), in LATENCY_STATISTICS' order. */
function latencyFigures(metric: string): Figure[] {
  return LATENCY_STATISTICS.map(
    (s): Figure => ({
      name: `${metric}.${s}`,
      unit: s === 'count' ? '' : 'ms',
      better: s === 'count' ? 'neither' : 'lower',
    }),
  )
}

/** Every figure compare knows of any result, in display order; a result's hops add `hopFigures`. */
export const FIGURES: readonly Figure[] = [
  ...LATENCY_METRICS.flatMap(latencyFigures),
  { name: 'throughput', unit: '/s', better: 'higher' },
  { name: 'rate.target', unit: '/s', better: 'neither' },
  { name: 'rate.sent', unit: '/s', better: 'higher' },
  { name: 'events.sent', unit: '', better: 'neither' },
  { name: 'events.acked', unit: '', better: 'neither' },
  { name: 'events.observed', unit: '', better: 'neither' },
  { name: 'lost', unit: '', better: 'lower' },
  { name: 'unresolved', unit: '', better: 'lower' },
  { name: 'duplicates', unit: '', better: 'lower' },
  { name: 'outOfOrder', unit: '', better: 'lower' },
  { name: 'late', unit: '%', better: 'lower' },
  { name: 'errors', unit: '%', better: 'lower' },
  { name: 'corrupt', unit: '', better: 'lower' },
  { name: 'verified', unit: '%', better: 'higher' },
  { name: 'backlog.max', unit: '', better: 'lower' },
  { name: 'recovery.time', unit: 'ms', better: 'lower' },
  { name: 'measuredSeconds', unit: 's', better: 'neither' },
]

/** A hop's name as SLOs write it (`hop.<name>.p99`): a stamp's name. */
const HOP_FIGURE = /^hop\.([A-Za-z][A-Za-z0-9_]*)\.([a-z0-9]+)$/

/** The figures of hops (`hop.<name>.<statistic>`), one set per hop name any of the results has, in first-seen order. */
export function hopFigures(results: readonly RunResult[]): Figure[] {
  const names = [...new Set(results.flatMap((r) => (r.hops ?? []).map((h) => h.name)))]
  return names.flatMap((name) => latencyFigures(`hop.${name}`))
}

/** The figure a `--fail-on` name means: one of FIGURES or a hop's (`hop.connector.p99`); undefined for an unknown name. */
export function figureNamed(name: string): Figure | undefined {
  const known = FIGURES.find((f) => f.name === name)
  if (known) return known
  const hop = HOP_FIGURE.exec(name)
  if (!hop || !(LATENCY_STATISTICS as readonly string[]).includes(hop[2]!)) return undefined
  return latencyFigures(`hop.${hop[1]}`).find((f) => f.name === name)
}

/**
 * Reads figures from a result. Latency statistics come from the encoded
 * histograms (exact to their 3 significant digits), not from the rounded
 * `metrics` table, hops' from theirs (`hop.<name>.p99`); a figure the result
 * cannot give is null. A histogram that cannot be decoded (a damaged file) is
 * a ConfigError naming `file` and the histogram.
 */
export class ResultFigures {
  private readonly latency = new Map<string, Record<LatencyStatistic, number> | null>()

  constructor(
    readonly result: RunResult,
    file = 'result',
  ) {
    const encodedOf: Array<[string, string, unknown]> = [
      ...LATENCY_METRICS.map((m): [string, string, unknown] => [
        m,
        `histograms.${m}`,
        result.histograms?.[m],
      ]),
      ...(result.hops ?? []).map((h, i): [string, string, unknown] => [
        `hop.${h.name}`,
        `hops[${i}].histogram (hop ${h.name})`,
        h.histogram,
      ]),
    ]
    for (const [metric, field, encoded] of encodedOf) {
      if (typeof encoded !== 'string') {
        this.latency.set(metric, null)
        continue
      }
      const histogram = decodeResultHistogram(encoded, file, field)
      const ms = (micros: number) => Math.round(micros) / 1e3
      this.latency.set(
        metric,
        histogram.totalCount === 0
          ? null
          : {
              ...(Object.fromEntries(
                Object.entries(PERCENTILES).map(([s, p]) => [s, ms(histogram.getValueAtPercentile(p))]),
              ) as Record<keyof typeof PERCENTILES, number>),
              max: ms(histogram.maxValue),
              mean: ms(histogram.mean),
              count: histogram.totalCount,
            },
      )
      histogram.destroy()
    }
  }

  /** The figure's value in its unit; null when the run has no data for it. */
  get(name: string): number | null {
    const r = this.result
    const dot = name.lastIndexOf('.')
    const metric = name.slice(0, dot)
    if (dot > 0 && this.latency.has(metric)) {
      const stats = this.latency.get(metric)
      const statistic = name.slice(dot + 1) as LatencyStatistic
      if (statistic === 'count') return stats?.count ?? 0
      return stats ? (stats[statistic] ?? null) : null
    }
    const e = r.events
    // Shares of the measured window, as the run's own errors and late checks take them (whole run in older results).
    const base = r.window ?? e
    const share = (n: number) => (base.sent === 0 ? null : (n / base.sent) * 100)
    switch (name) {
      case 'throughput':
        return r.rate.achieved
      case 'rate.target':
        return r.rate.target
      case 'rate.sent':
        return r.rate.sent
      case 'events.sent':
        return e.sent
      case 'events.acked':
        return e.acked
      case 'events.observed':
        return e.observed
      case 'lost':
      case 'unresolved':
      case 'duplicates':
      case 'outOfOrder':
      case 'corrupt':
        return e[name]
      case 'late':
        return share(base.late)
      case 'errors':
        return share(base.errors)
      case 'verified': {
        const v = r.verification
        return v && v.checked > 0 && v.error === undefined
          ? ((v.checked - v.mismatched) / v.checked) * 100
          : null
      }
      case 'backlog.max':
        return typeof r.backlogMax === 'number' ? r.backlogMax : null
      case 'recovery.time': {
        const recovery = r.recovery ?? []
        if (recovery.length === 0 || recovery.some((e) => e.time === null)) return null
        return Math.max(...recovery.map((e) => e.time!)) * 1e3
      }
      case 'measuredSeconds':
        return r.measuredSeconds
      default:
        return null
    }
  }
}

/**
 * Decodes a result's histogram; a damaged one (bad base64, cut short) is a
 * ConfigError (exit 2) naming the file and the histogram, not a crash.
 */
export function decodeResultHistogram(encoded: string, file: string, field: string) {
  try {
    return decodeHistogram(encoded)
  } catch (error) {
    throw new ConfigError(
      `${file}: ${field}: cannot be decoded (${(error as Error).message}) — the file is damaged; write it again with cdcb run --out or cdcb merge`,
    )
  }
}
