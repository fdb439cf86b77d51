import type { EventCounts, SloCheck, SloWindowReport } from '../result.js'
import { formatOffset } from '../units.js'
import type { Comparator, SloExpression, SloMetric, Statistic } from './parser.js'

/** A latency statistic and the samples its histogram could not hold. */
export interface LatencyValue {
  /** Milliseconds; null when there are no samples, or the statistic falls among out-of-range samples. */
  readonly value: number | null
  readonly belowZero: number
  readonly aboveRange: number
}

/** What SLO checks are evaluated against. */
export interface SloInputs {
  /** A latency statistic over the measured window (out-of-range samples counted in its rank). */
  latency(name: string, statistic: Statistic): LatencyValue
  /** Whole-run counters (lost, duplicates, …). */
  readonly events: EventCounts
  /** Operations intended in the measured window: sent, failed, sent late. */
  readonly window: { readonly sent: number; readonly errors: number; readonly late: number }
  /** Deliveries per second of the measured window's events; null when none arrived. */
  readonly achievedRate: number | null
  /** `error`: the verifier failed, so verification is unknown (never a share of the keys it did not check). */
  readonly verification: {
    readonly checked: number
    readonly mismatched: number
    readonly error?: string | undefined
  } | null
  /**
   * Known at the end of the run: the longest recovery after a fault or burst (ms;
   * null when there was none or one never recovered) and the backlog's peak.
   */
  readonly scenario: { readonly recoveryTimeMs: number | null; readonly backlogMax: number | null } | null
  /**
   * A windowed check's windows so far; undefined when these inputs hold no
   * per-window figures (a merge of results), and the check is then skipped.
   */
  windows?(expression: SloExpression): SloWindowReport | undefined
  /** Why a metric cannot be judged in this run (an interrupt cut the drain short, …); undefined when it can. */
  unmeasured?(metric: SloMetric): string | undefined
}

/** The unit of a check's `actual`, by metric: the parser's base unit. */
export function unitOf(metric: SloMetric): string {
  if (metric.kind === 'latency' || metric.name === 'recovery.time') return 'ms'
  if (metric.name === 'throughput') return '/s'
  if (metric.name === 'errors' || metric.name === 'late' || metric.name === 'verified') return '%'
  return ''
}

/** The note of a check cdcb added because the config sets no SLO (it stays when a later note explains the actual). */
export const DEFAULT_CHECK_NOTE = 'default check: the config sets no slo'

/**
 * Evaluates every check. A check cdcb cannot judge in this run is `skipped`
 * with the reason; one with no value otherwise fails ("no data"); a latency
 * whose statistic falls among samples out of the histogram's range fails and
 * says so. `actual` is unrounded, so it always agrees with the verdict.
 */
export function evaluateSlo(expressions: readonly SloExpression[], inputs: SloInputs): SloCheck[] {
  return expressions.map((expression) => {
    const unit = unitOf(expression.metric)
    const base = { expression: expression.source, unit, threshold: expression.threshold }
    const skip = inputs.unmeasured?.(expression.metric)
    if (skip !== undefined) return { ...base, actual: null, passed: false, status: 'skipped', note: skip }
    if (expression.windowMicros !== undefined) return windowedCheck(expression, base, inputs)
    const notes: string[] = []
    if (expression.isDefault) notes.push(DEFAULT_CHECK_NOTE)
    let actual: number | null
    if (expression.metric.kind === 'latency') {
      const latency = inputs.latency(expression.metric.name, expression.metric.statistic)
      actual = latency.value
      const outside = describeOutOfRange(latency)
      if (outside)
        notes.push(actual === null && outside ? `falls among ${outside}` : `ranked with ${outside}`)
    } else if (expression.metric.kind === 'scenario') {
      const scenario = inputs.scenario
      actual =
        scenario === null
          ? null
          : expression.metric.name === 'recovery.time'
            ? scenario.recoveryTimeMs
            : scenario.backlogMax
    } else actual = counterValue(expression.metric.name, inputs)
    const passed = actual !== null && compare(actual, expression.comparator, expression.threshold)
    const note = notes.length > 0 ? notes.join('; ') : undefined
    return { ...base, actual, passed, status: passed ? 'passed' : 'failed', ...(note ? { note } : {}) }
  })
}

/** A windowed check: holds when it held in every window; `actual` is the worst window's figure. */
function windowedCheck(
  expression: SloExpression,
  base: { expression: string; unit: string; threshold: number },
  inputs: SloInputs,
): SloCheck {
  const windows = inputs.windows?.(expression)
  if (windows === undefined)
    return {
      ...base,
      actual: null,
      passed: false,
      status: 'skipped',
      note: 'not measured: windows are judged only by the run that measured them (results carry no per-window histograms to recombine); see each run’s own check',
    }
  const length = formatOffset(windows.seconds)
  if (windows.count === 0)
    return {
      ...base,
      actual: null,
      passed: false,
      status: 'skipped',
      note: `known when the first ${length} window closes`,
    }
  const counted = windows.count === 1 ? '1 window' : `${windows.count} windows`
  const partial = windows.lastPartial ? ' (the last partial)' : ''
  // A window without a figure is unknown: it neither fails the check nor lets it pass.
  const unknown =
    windows.noData === 0
      ? ''
      : `; ${windows.noData === windows.count ? (windows.count === 1 ? 'it had' : 'all had') : `${windows.noData} had`} no data (unknown)`
  if (windows.failed > 0) {
    const listed = windows.failing.map(
      (w) =>
        `${formatOffset(w.start)}–${formatOffset(w.end)}${w.partial ? ' (partial)' : ''}: ${w.actual === null ? 'no data' : formatActual(w.actual, base.unit, base.threshold)}`,
    )
    const more = windows.failed - windows.failing.length
    const note = `failed in ${windows.failed} of ${counted} of ${length}${partial}: ${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''}${unknown}`
    return { ...base, actual: windows.worst, passed: false, status: 'failed', note, windows }
  }
  if (windows.noData > 0) {
    const held = windows.count - windows.noData
    const note = `unknown: held in ${held === 0 ? 'no window' : held === 1 ? '1 window' : `${held} windows`} of ${counted} of ${length}${partial}${unknown}`
    return { ...base, actual: windows.worst, passed: false, status: 'skipped', note, windows }
  }
  const note = `held in ${windows.count === 1 ? 'its only window' : `all ${counted}`} of ${length}${partial}`
  return { ...base, actual: windows.worst, passed: true, status: 'passed', note, windows }
}

function describeOutOfRange({ belowZero, aboveRange }: LatencyValue): string | undefined {
  const parts: string[] = []
  if (belowZero > 0) parts.push(`${belowZero} samples below zero (target clock behind cdcb's?)`)
  if (aboveRange > 0) parts.push(`${aboveRange} samples above 1h`)
  return parts.length > 0 ? parts.join(' and ') : undefined
}

function counterValue(
  name: Extract<SloMetric, { kind: 'counter' }>['name'],
  inputs: SloInputs,
): number | null {
  const { events, window } = inputs
  switch (name) {
    case 'throughput':
      return inputs.achievedRate
    case 'errors':
      return window.sent === 0 ? null : (window.errors / window.sent) * 100
    case 'late':
      return window.sent === 0 ? null : (window.late / window.sent) * 100
    case 'verified': {
      const v = inputs.verification
      if (!v || v.checked === 0 || v.error !== undefined) return null
      return ((v.checked - v.mismatched) / v.checked) * 100
    }
    default:
      return events[name]
  }
}

function compare(actual: number, comparator: Comparator, threshold: number): boolean {
  switch (comparator) {
    case '<':
      return actual < threshold
    case '<=':
      return actual <= threshold
    case '>':
      return actual > threshold
    case '>=':
      return actual >= threshold
    case '==':
      return actual === threshold
    case '!=':
      return actual !== threshold
  }
}

/**
 * A check's actual as printed: with its unit, and with as many digits as it
 * takes to tell it from the threshold when the verdict depends on the difference
 * (50.1004 ms against "<= 50.1ms" prints 50.1004 ms, never 50.1).
 */
export function formatActual(actual: number, unit: string, threshold: number): string {
  let digits = unit === '' ? 0 : unit === 'ms' ? 3 : unit === '%' ? 2 : 1
  let text = actual.toFixed(digits)
  while (digits < 9 && actual !== threshold && Number(text) === threshold) text = actual.toFixed(++digits)
  if (unit === '' && Number.isInteger(actual)) text = Math.round(actual).toLocaleString('en-US')
  return unit === '' ? text : unit === '%' || unit === '/s' ? `${text}${unit}` : `${text} ${unit}`
}
