/**
 * The knee of a search's latency curve. "Knee" has no single meaning (see Baron
 * Schwartz's survey of the queueing-curve knees, xaprb.com/blog/queueing-knee-slope);
 * cdcb uses one of the usual ones, the load at which a request spends as long
 * waiting as being served, i.e. its latency doubles from the unloaded one. The
 * lowest-rate trial stands in for the unloaded pipeline, so the knee is the
 * highest rate whose trial held before e2e p99 first rose above twice that trial's p99.
 */
import type { Trial } from './max-rate.js'

/** One trial's point on the latency curve: planned rate, events/s; e2e p99, ms. */
export interface LatencyPoint {
  readonly rate: number
  readonly e2eP99: number
}

export interface Knee {
  /**
   * Highest rate of a trial that held, below the first trial whose e2e p99 rose above
   * `factor` × the baseline's; null when none rose that far (`beyond` null: not reached among the
   * rates tried, or unknown when the search ended first, by a stop or at cdcb's own ceiling),
   * no trial measured e2e, or no trial below that one held.
   */
  readonly rate: number | null
  /** e2e p99 at the knee, ms. */
  readonly e2eP99: number | null
  /** The lowest-rate trial that measured e2e: the unloaded latency; null when none did. */
  readonly baseline: LatencyPoint | null
  /** The lowest-rate trial whose e2e p99 rose above `factor` × the baseline's; null when none did. */
  readonly beyond: LatencyPoint | null
  readonly factor: number
}

/** How the knee is defined, as `--out` and the README state it. */
export const KNEE_DEFINITION =
  'the highest rate that held before e2e p99 first rose above twice its value at the lowest-rate trial (latency doubles from the unloaded one: as much time queueing as being served)'

/**
 * The knee of `trials`, in rate order. Trials at which cdcb could not keep its schedule
 * (verdict `generator`) did not run at their rate and are left out, as are trials
 * that measured no e2e latency.
 */
export function kneeOf(trials: readonly Trial[], factor = 2): Knee {
  const measured = trials
    .filter((trial) => trial.verdict !== 'generator' && trial.e2eP99 !== null)
    .sort((a, b) => a.rate - b.rate)
  const point = (trial: Trial): LatencyPoint => ({ rate: trial.rate, e2eP99: trial.e2eP99! })
  const lowest = measured[0]
  if (!lowest) return { rate: null, e2eP99: null, baseline: null, beyond: null, factor }
  const baseline = point(lowest)
  const beyondIndex = measured.findIndex((trial) => trial.e2eP99! > factor * baseline.e2eP99)
  const below = beyondIndex === -1 ? measured : measured.slice(0, beyondIndex)
  // The knee is a rate the pipeline sustained: a trial that failed (it fell behind) is no knee.
  const knee = below.filter((trial) => trial.verdict === 'holds').at(-1)
  return {
    rate: beyondIndex === -1 ? null : (knee?.rate ?? null),
    e2eP99: beyondIndex === -1 ? null : (knee?.e2eP99 ?? null),
    baseline,
    beyond: beyondIndex === -1 ? null : point(measured[beyondIndex]!),
    factor,
  }
}
