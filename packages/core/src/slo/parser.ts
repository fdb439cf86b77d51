/**
 * SLO expressions, k6-thresholds style.
 *
 * Grammar (whitespace allowed between tokens):
 *
 *   check      ::= metric [ window ] comparator value
 *   window     ::= "[" number time "]"      (held in every window of that length; see below)
 *   time       ::= "us" | "ms" | "s" | "m" | "h"
 *   metric     ::= latency "." statistic | "hop" "." name "." statistic | counter | scenario
 *   latency    ::= "e2e" | "ack" | "lag" | "detect"
 *   name       ::= letter { letter | digit | "_" }   (a stamp the sink declares; a hop it does not declare is never measured, so its check fails)
 *   statistic  ::= "p50" | "p90" | "p95" | "p99" | "p999" | "max" | "mean"
 *   counter    ::= "throughput" | "errors" | "lost" | "duplicates" | "outOfOrder"
 *                | "late" | "corrupt" | "verified" | "observed" | "unresolved"
 *   scenario   ::= "recovery.time" | "backlog.max"
 *   comparator ::= "<" | "<=" | ">" | ">=" | "==" | "!="
 *   value      ::= number [ unit ]
 *   number     ::= digit { digit } [ "." digit { digit } ]
 *   unit       ::= "us" | "ms" | "s" | "%" | "/s"
 *
 * Units by metric: latencies take us, ms (the default) or s; throughput takes /s;
 * errors, late and verified are percentages (% optional); lost, duplicates,
 * outOfOrder, corrupt, observed and unresolved are counts without a unit.
 *
 * Windows: `e2e.p99[1m] < 2s` must hold in every 1-minute window of the measured
 * run, windows aligned to its start (docs/architecture.md, "Windowed SLOs").
 * Latencies (hops included), throughput, errors and late take a window; the
 * others are known only for the whole run. That a window fits the run's
 * reporting interval and length is checked where the config is resolved.
 */
import { ConfigError } from '../errors.js'
import { parseDurationMicros } from '../units.js'

export const LATENCY_NAMES = ['e2e', 'ack', 'lag', 'detect'] as const
export const STATISTICS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'] as const
export const COUNTERS = [
  'throughput',
  'errors',
  'lost',
  'duplicates',
  'outOfOrder',
  'late',
  'corrupt',
  'verified',
  'observed',
  'unresolved',
] as const

export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!='
export type Statistic = (typeof STATISTICS)[number]
export type Counter = (typeof COUNTERS)[number]
/** Known at the end of a run with faults or bursts: the longest recovery time, and the backlog's peak. */
export const SCENARIO_METRICS = ['recovery.time', 'backlog.max'] as const
export type ScenarioMetric = (typeof SCENARIO_METRICS)[number]

export type SloMetric =
  | {
      readonly kind: 'latency'
      /** `e2e`, `ack`, `lag`, `detect`, or `hop.<name>` for a hop between two stamps. */
      readonly name: (typeof LATENCY_NAMES)[number] | `hop.${string}`
      readonly statistic: Statistic
    }
  | { readonly kind: 'counter'; readonly name: Counter }
  | { readonly kind: 'scenario'; readonly name: ScenarioMetric }

/** A parsed SLO check; `threshold` is in the metric's base unit (ms, events/s, %, count). */
export interface SloExpression {
  readonly source: string
  readonly metric: SloMetric
  /** `[1m]`: the check holds in every window of this many µs of the measured run; absent: over the whole run. */
  readonly windowMicros?: number
  readonly comparator: Comparator
  readonly threshold: number
  /** Applied by cdcb because the config has no `slo` (see `DEFAULT_SLO`). */
  readonly isDefault?: boolean
}

/** What every run is held to when its config sets no SLO: something arrived, nothing was lost or left unresolved. */
export const DEFAULT_SLO = ['observed > 0', 'lost == 0', 'unresolved == 0'] as const

const PERCENT_COUNTERS: readonly string[] = ['errors', 'late', 'verified']
const PLAIN_COUNTERS: readonly string[] = [
  'lost',
  'duplicates',
  'outOfOrder',
  'corrupt',
  'observed',
  'unresolved',
]

/** Parses one expression such as `e2e.p95 < 2s`; throws a one-line ConfigError naming the bad token and its position. */
export function parseSlo(source: string): SloExpression {
  let pos = 0
  // One line, as every config error: the bad token is named by its position in the expression.
  const fail = (message: string, at: number, length = 1): never => {
    const token = source.slice(at, at + Math.max(1, length))
    const where = token.trim() ? `"${token}" at character ${at + 1}` : `character ${at + 1}`
    throw new ConfigError(`slo: ${message} — ${where} of "${source}"`)
  }
  const skipSpace = () => {
    while (pos < source.length && /\s/.test(source[pos]!)) pos++
  }

  skipSpace()
  const metricMatch = /^[A-Za-z0-9_.]+/.exec(source.slice(pos))
  if (!metricMatch) return fail('expected a metric name such as e2e.p95 or throughput', pos)
  const metricStart = pos
  const metricText = metricMatch[0]
  pos += metricText.length
  const metric = parseMetric(metricText, (message) => fail(message, metricStart, metricText.length))

  skipSpace()
  let windowMicros: number | undefined
  if (source[pos] === '[') {
    const windowStart = pos
    const close = source.indexOf(']', pos)
    if (close < 0) return fail('a window needs its closing "]", e.g. e2e.p99[1m]', pos)
    const text = source.slice(pos + 1, close)
    const window = parseDurationMicros(text.trim())
    if (window === undefined)
      return fail(
        `window "[${text}]" is not a duration (use e.g. [30s], [1m])`,
        windowStart,
        close - windowStart + 1,
      )
    if (window <= 0)
      return fail(`window "[${text}]" must be longer than 0`, windowStart, close - windowStart + 1)
    if (!windowable(metric))
      return fail(
        `${metricText} is known only for the whole run and takes no window (windows: latencies, hops, throughput, errors, late)`,
        windowStart,
        close - windowStart + 1,
      )
    windowMicros = window
    pos = close + 1
    skipSpace()
  }
  const comparatorMatch = /^(<=|>=|==|!=|<|>)/.exec(source.slice(pos))
  if (!comparatorMatch) return fail('expected a comparator (<, <=, >, >=, ==, !=)', pos)
  const comparator = comparatorMatch[0] as Comparator
  pos += comparator.length

  skipSpace()
  const numberMatch = /^\d+(\.\d+)?/.exec(source.slice(pos))
  if (!numberMatch) return fail('expected a number', pos)
  const number = Number(numberMatch[0])
  pos += numberMatch[0].length

  skipSpace()
  const unitStart = pos
  const unitText = source.slice(pos).trimEnd()
  const threshold = applyUnit(metric, number, unitText, (message) =>
    fail(message, unitStart, Math.max(1, unitText.length)),
  )
  return { source: source.trim(), metric, comparator, threshold, ...(windowMicros ? { windowMicros } : {}) }
}

/** Metrics that have a figure per window: latencies and the window's own rates. */
function windowable(metric: SloMetric): boolean {
  return metric.kind === 'latency' || ['throughput', 'errors', 'late'].includes(metric.name)
}

function parseMetric(text: string, fail: (message: string) => never): SloMetric {
  if ((SCENARIO_METRICS as readonly string[]).includes(text))
    return { kind: 'scenario', name: text as ScenarioMetric }
  if (text.startsWith('hop.')) {
    const [, hop, statistic, extra] = text.split('.')
    if (!hop || !/^[A-Za-z][A-Za-z0-9_]*$/.test(hop) || !statistic || extra !== undefined)
      fail(`"${text}" needs a hop and one statistic: hop.<name>.${STATISTICS.join('|')}`)
    if (!(STATISTICS as readonly string[]).includes(statistic!))
      fail(`"${text}" needs one statistic: hop.${hop}.${STATISTICS.join('|')}`)
    return { kind: 'latency', name: `hop.${hop}`, statistic: statistic as Statistic }
  }
  const [name, statistic, extra] = text.split('.')
  if ((LATENCY_NAMES as readonly string[]).includes(name!)) {
    if (!statistic || extra !== undefined || !(STATISTICS as readonly string[]).includes(statistic))
      fail(`"${text}" needs one statistic: ${name}.${STATISTICS.join(`|`)}`)
    return { kind: 'latency', name: name as SloMetric['name'] & 'e2e', statistic: statistic as Statistic }
  }
  if ((COUNTERS as readonly string[]).includes(text)) return { kind: 'counter', name: text as Counter }
  return fail(
    `unknown metric "${text}" (use ${LATENCY_NAMES.join('|')}.<statistic>, ${COUNTERS.join(', ')} or ${SCENARIO_METRICS.join(', ')})`,
  )
}

function applyUnit(metric: SloMetric, value: number, unit: string, fail: (message: string) => never): number {
  if (metric.kind === 'latency' || metric.name === 'recovery.time') {
    if (unit === '' || unit === 'ms') return value
    if (unit === 'us' || unit === 'µs') return value / 1e3
    if (unit === 's') return value * 1e3
    return fail(`unit "${unit}" is not a time unit (use us, ms or s)`)
  }
  if (metric.name === 'throughput') {
    if (unit === '' || unit === '/s') return value
    return fail(`throughput takes events per second, e.g. ">= 10000/s", not "${unit}"`)
  }
  if (PERCENT_COUNTERS.includes(metric.name)) {
    if (unit === '' || unit === '%') return value
    return fail(`${metric.name} is a percentage, e.g. "< 0.1%", not "${unit}"`)
  }
  if ((PLAIN_COUNTERS.includes(metric.name) || metric.name === 'backlog.max') && unit === '') return value
  return fail(`${metric.name} is a count and takes no unit`)
}

/** Normalises the config's `slo` (a map of metric to condition(s), or a list of expressions) into expressions. */
export function sloExpressions(
  slo: Record<string, string | readonly string[]> | readonly string[],
): string[] {
  if (Array.isArray(slo)) return [...slo]
  const out: string[] = []
  for (const [metric, conditions] of Object.entries(slo)) {
    for (const condition of typeof conditions === 'string' ? [conditions] : conditions) {
      out.push(`${metric} ${condition.trim()}`)
    }
  }
  return out
}
