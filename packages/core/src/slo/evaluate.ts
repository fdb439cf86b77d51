import type { EventCounts, SloCheck } from '../result.js'
import type { Comparator, SloExpression, Statistic } from './parser.js'

/** What SLO checks are evaluated against. */
export interface SloInputs {
  /** A latency statistic over the measured window, in ms; null when nothing was recorded. */
  latency(name: string, statistic: Statistic): number | null
  readonly events: EventCounts
  /** Distinct events observed per second over the measured window. */
  readonly achievedRate: number
  readonly verification: { readonly checked: number; readonly mismatched: number } | null
  /**
   * Known at the end of the run: the longest recovery after a fault or burst (ms;
   * null when there was none or one never recovered) and the backlog's peak.
   */
  readonly scenario: { readonly recoveryTimeMs: number | null; readonly backlogMax: number | null } | null
}

/** Evaluates every check; a check whose value cannot be measured (no samples, no verifier) fails. */
export function evaluateSlo(expressions: readonly SloExpression[], inputs: SloInputs): SloCheck[] {
  return expressions.map((expression) => {
    const actual = actualValue(expression, inputs)
    const passed = actual !== null && compare(actual, expression.comparator, expression.threshold)
    return { expression: expression.source, actual: actual === null ? null : round(actual), passed }
  })
}

function actualValue({ metric }: SloExpression, inputs: SloInputs): number | null {
  if (metric.kind === 'latency') return inputs.latency(metric.name, metric.statistic)
  if (metric.kind === 'scenario') {
    const scenario = inputs.scenario
    if (!scenario) return null
    return metric.name === 'recovery.time' ? scenario.recoveryTimeMs : scenario.backlogMax
  }
  const { events } = inputs
  switch (metric.name) {
    case 'throughput':
      return inputs.achievedRate
    case 'errors':
      return events.sent === 0 ? 0 : (events.errors / events.sent) * 100
    case 'late':
      return events.sent === 0 ? 0 : (events.late / events.sent) * 100
    case 'verified': {
      const v = inputs.verification
      if (!v || v.checked === 0) return null
      return ((v.checked - v.mismatched) / v.checked) * 100
    }
    default:
      return events[metric.name]
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

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
