/**
 * The search for the highest rate a pipeline sustains within its SLOs
 * (`cdcb search`): a coarse ramp that doubles the rate until a trial fails,
 * then bisection between the highest rate that held and the lowest that failed.
 * Pure strategy: the caller runs each trial (a full run with warmup) and hands
 * back its outcome, so the strategy is tested without running pipelines.
 */

/** What one trial at a planned rate measured, in events/s and milliseconds. */
export interface TrialOutcome {
  /** The planned rate of the trial, events/s. */
  readonly rate: number
  /** Operations sent per second over the measured window. */
  readonly sent: number
  /** Events observed at the sink per second over the measured window. */
  readonly achieved: number
  /** e2e p99 over the measured window, ms; null when nothing was observed. */
  readonly e2eP99: number | null
  /** Every SLO of the config held. */
  readonly sloPassed: boolean
  /** The SLO expressions that failed, as written in the config. */
  readonly failedSlos: readonly string[]
  /**
   * A failed SLO's actual figure as the run summary prints it (`4200.000 ms`, `no data`), by its
   * expression: "SLO recovery.time < 3s failed" alone left the reader to guess by how much.
   */
  readonly sloActuals?: Readonly<Record<string, string>>
  /**
   * The SLO expressions the trial could not judge (skipped: recovery.time with nothing to
   * recover from), as written in the config; a trial that holds says so beside its verdict.
   */
  readonly unjudgedSlos: readonly string[]
  /**
   * Share of the measured window's operations cdcb sent later than `load.lateAfter` after
   * their intended time, 0..1: the generator's own lag, which `sent` hides when a generator
   * behind its schedule catches up by sending warmup operations inside the window.
   */
  readonly lateShare: number
  /** Generator lag p99 over the measured window (sent − intended), ms; null when nothing was sent. */
  readonly lagP99: number | null
}

/**
 * - `holds`: every SLO held and the sink kept up (achieved ≥ keepUp × rate);
 * - `fails`: an SLO failed or the sink fell behind;
 * - `generator`: cdcb itself could not keep the planned schedule — it sent less than
 *   keepUp × rate, or most of the measured window's operations late (`BEHIND_SHARE`) —
 *   so this trial did not test the planned rate and the search stops.
 */
export type TrialVerdict = 'holds' | 'fails' | 'generator'

export interface Trial extends TrialOutcome {
  readonly verdict: TrialVerdict
  /** Why it failed, one phrase per reason; empty when it held. */
  readonly why: readonly string[]
}

export interface SearchOptions {
  /** Rate of the first trial, events/s. */
  readonly from: number
  /** Highest rate to try, events/s; unbounded when absent. */
  readonly max?: number
  /** Stop bisecting once (lowest failing − highest holding) / highest holding ≤ this. @default 0.05 */
  readonly precision?: number
  /** At most this many trials. @default 12 */
  readonly maxTrials?: number
  /** Share of the planned rate that must be sent and achieved for a trial to count. @default 0.97 */
  readonly keepUp?: number
}

/**
 * - `precision`: the bracket between holding and failing is narrow enough;
 * - `max`: the highest allowed rate held;
 * - `generator`: cdcb's own send rate fell short, the pipeline's limit is above what was measured;
 * - `trials`: the trial budget ran out;
 * - `nothing-holds`: even 1 event/s failed;
 * - `stopped`: the caller stopped the search (Ctrl-C).
 */
export type SearchEnd = 'precision' | 'max' | 'generator' | 'trials' | 'nothing-holds' | 'stopped'

export interface SearchResult {
  /** Highest planned rate that held, events/s; null when no trial held. */
  readonly maxRate: number | null
  /** Lowest planned rate that failed, events/s; null when none failed. */
  readonly minFailingRate: number | null
  readonly end: SearchEnd
  readonly trials: readonly Trial[]
}

/**
 * A trial's generator was behind its schedule when more than this share of the measured
 * window's operations went out late (after `load.lateAfter`). A generator at its ceiling is
 * late for nearly all of them (97% at 1.28M/s on the memory pipeline, lag p99 966 ms);
 * one stall of the process (a GC pause, a busy shared core) delays only the operations due
 * during it (3.8% of a 2 s trial at 500/s for a 94 ms stall), and that lateness already
 * counts in e2e, which runs from the intended time.
 */
export const BEHIND_SHARE = 0.5

/** Judges one trial against the SLOs and the keep-up share. */
export function judgeTrial(outcome: TrialOutcome, keepUp = 0.97): Trial {
  const floor = keepUp * outcome.rate
  if (outcome.sent < floor) {
    return {
      ...outcome,
      verdict: 'generator',
      why: [`cdcb sent ${round(outcome.sent)}/s of ${round(outcome.rate)}/s planned`],
    }
  }
  // A generator behind its schedule still "sends" the planned rate in the window while it
  // catches up on warmup operations, so the send rate alone misses it; lateness does not.
  if (outcome.lateShare > BEHIND_SHARE) {
    const lag = outcome.lagP99 === null ? '' : ` (generator lag p99 ${round(outcome.lagP99)}ms)`
    return {
      ...outcome,
      verdict: 'generator',
      why: [
        `cdcb fell behind its schedule: ${percent(outcome.lateShare)} of the measured window's operations were sent late${lag}`,
      ],
    }
  }
  const why = outcome.failedSlos.map((slo) => {
    const actual = outcome.sloActuals?.[slo]
    return `SLO ${slo} failed${actual === undefined ? '' : ` (actual ${actual})`}`
  })
  if (outcome.achieved < floor) {
    why.push(
      `achieved ${round(outcome.achieved)}/s < ${Math.round(keepUp * 100)}% of ${round(outcome.rate)}/s`,
    )
  }
  return { ...outcome, verdict: why.length === 0 && outcome.sloPassed ? 'holds' : 'fails', why }
}

/**
 * Runs trials until the highest holding rate is known to `precision`.
 * `runTrial` runs one full trial at a rate (events/s, a whole number) and resolves
 * with its outcome, or with `undefined` when the caller stopped the search.
 */
export async function searchMaxRate(
  runTrial: (rate: number) => Promise<TrialOutcome | undefined>,
  options: SearchOptions,
  onTrial: (trial: Trial) => void = () => {},
): Promise<SearchResult> {
  const precision = options.precision ?? 0.05
  const maxTrials = options.maxTrials ?? 12
  const keepUp = options.keepUp ?? 0.97
  const trials: Trial[] = []
  let holding: number | null = null
  let failing: number | null = null
  let rate = firstRate(options.from, options.max)
  const done = (end: SearchEnd): SearchResult => ({ maxRate: holding, minFailingRate: failing, end, trials })

  while (trials.length < maxTrials) {
    const outcome = await runTrial(rate)
    if (!outcome) return done('stopped')
    const trial = judgeTrial(outcome, keepUp)
    trials.push(trial)
    onTrial(trial)
    if (trial.verdict === 'generator') return done('generator')
    if (trial.verdict === 'holds') holding = Math.max(holding ?? 0, rate)
    else failing = Math.min(failing ?? Number.POSITIVE_INFINITY, rate)

    let next: number
    if (failing === null) {
      if (options.max !== undefined && rate >= options.max) return done('max')
      next = clampRate(rate * 2, options.max)
    } else if (holding === null) {
      if (rate <= 1) return done('nothing-holds')
      next = Math.max(1, Math.floor(rate / 2))
    } else {
      if ((failing - holding) / holding <= precision) return done('precision')
      next = Math.round((holding + failing) / 2)
      if (next === holding || next === failing) return done('precision')
    }
    rate = next
  }
  return done('trials')
}

/** The rate of the search's first trial: `from`, capped by `max`, a whole number of at least 1. */
export function firstRate(from: number, max?: number): number {
  return clampRate(from, max)
}

function clampRate(rate: number, max: number | undefined): number {
  return Math.max(1, Math.round(max === undefined ? rate : Math.min(rate, max)))
}

function round(n: number): number {
  return Math.round(n)
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`
}
