import { LATENCY_METRICS, type RunResult } from '../result.js'
import { ResultFigures } from './figures.js'

/** The files `--csv PREFIX` writes, Locust-style: the per-interval series and the final figures. */
export interface CsvFiles {
  /** `PREFIX_history.csv`: one row per interval (t in s since start, rates in events/s, latencies in ms). */
  readonly history: string
  /** `PREFIX_stats.csv`: one row per latency metric and per hop (`hop.<name>`) over the measured window, ms, from the histograms. */
  readonly stats: string
  /** `PREFIX_totals.csv`: rates, counts, shares and SLO checks as name,value,unit rows. */
  readonly totals: string
}

/** The CSV file names for a prefix, as written by `csvFiles`. */
export function csvPaths(prefix: string): CsvFiles {
  return { history: `${prefix}_history.csv`, stats: `${prefix}_stats.csv`, totals: `${prefix}_totals.csv` }
}

const HISTORY_COLUMNS = [
  't',
  'phase',
  'targetRate',
  'sentRate',
  'achievedRate',
  'e2eP50',
  'e2eP99',
  'lagP99',
  'inFlight',
  'errors',
] as const

/** Renders a result as the three CSV texts (RFC 4180; an unknown value is an empty cell, never 0). */
export function toCsv(result: RunResult): CsvFiles {
  const history = [
    HISTORY_COLUMNS.join(','),
    ...result.intervals.map((p) =>
      HISTORY_COLUMNS.map((c) => cell((p as unknown as Record<string, unknown>)[c])).join(','),
    ),
  ]
  const figures = new ResultFigures(result)
  const statistics = ['count', 'p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'] as const
  const stats = [
    ['metric', ...statistics.map((s) => (s === 'count' ? s : `${s}_ms`))].join(','),
    ...[...LATENCY_METRICS, ...(result.hops ?? []).map((h) => `hop.${h.name}`)].map((m) =>
      [m, ...statistics.map((s) => cell(figures.get(`${m}.${s}`)))].join(','),
    ),
  ]
  const e = result.events
  const totals: unknown[][] = [
    ['name', 'value', 'unit'],
    ['rate.target', result.rate.target, 'events/s'],
    ['rate.sent', result.rate.sent, 'events/s'],
    ['rate.achieved', result.rate.achieved, 'events/s'],
    ...Object.entries(e).map(([k, v]) => [`events.${k}`, v, 'count']),
    ['lateShare', result.lateShare, 'fraction'],
    ['measuredSeconds', result.measuredSeconds, 's'],
    ['verified', figures.get('verified'), '%'],
    // A check the run never measured (interrupted, or a shard's rate judged at merge) is skipped, not failed.
    ...result.slo.checks.map((c) => [
      `slo: ${c.expression}`,
      c.actual,
      c.status ?? (c.passed ? 'passed' : 'failed'),
    ]),
  ]
  return {
    history: `${history.join('\n')}\n`,
    stats: `${stats.join('\n')}\n`,
    totals: `${totals.map((row) => row.map(cell).join(',')).join('\n')}\n`,
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'number' ? csvNumber(value) : String(value)
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * Every number in every CSV file by one rule (README's `--csv`): 3 decimals (µs
 * for ms, thousandths of an event/s), or 3 significant digits under 0.1, so a
 * small fraction (a late share of 0.000123) is not written as 0. The result keeps
 * full precision; a CSV row must not show one figure as 1982.770283887163
 * beside another as 1982.77.
 */
export function csvNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value)
  const magnitude = Math.floor(Math.log10(Math.abs(value)))
  const decimals = Math.min(20, Math.max(3, 2 - magnitude))
  return String(Number(value.toFixed(decimals)))
}
