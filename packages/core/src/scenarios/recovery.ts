/**
 * Recovery after a disturbance (a fault or a burst): how long until the
 * pipeline owes no more than it did before, and how fast it caught up. Computed
 * from the run's interval series, so it costs nothing on the hot path.
 *
 * Definitions (DESIGN.md, "recovery time"):
 * - backlog at an interval's end = events sent − failed writes − observed −
 *   events the run finally judged lost that were intended before the
 *   interval began (open model: their intended times come from the schedule;
 *   an interval's own losses stay in, see `withoutLost`): what the pipeline
 *   (and the source's unacknowledged writes) still owes and will deliver. A
 *   lost event would otherwise stay in the backlog for ever and hold the
 *   recovery back until the drain (`withoutLost`);
 * - every interval counts, the run's final one (`done`, after the drain) too;
 * - baseline = the highest backlog, and the highest interval e2e p99, over the
 *   `baselineSeconds` before the episode started, but never reaching back past
 *   the previous episode's recovery (or its end, if it never recovered): a
 *   burst's backlog is not the level a later fault must come back to;
 * - recovered at the end of the first interval that began at or after the
 *   episode's end (the one the episode ended in mixes latencies from before
 *   it; the run's first interval counts as beginning at the start) where
 *   the backlog is at most baseline + `backlogSlack`, and that interval's e2e
 *   p99 is at most `latencyFactor` × the baseline p99 or `latencySlackMs` above
 *   it, whichever is wider (so a sub-millisecond baseline is not held to
 *   scheduling noise), or the interval saw no events while nothing was owed
 *   (lost events included): an interval that delivered nothing because the
 *   pipeline stopped is no recovery, even though the run wrote its events off
 *   as lost;
 * - catch-up rate = events observed per second while the pipeline was still
 *   behind: from the first interval end after the episode to the last interval
 *   end at which the backlog was still above its baseline, so only whole
 *   intervals in which the pipeline had a backlog to deliver count — that is
 *   its replay throughput, the pipeline's ceiling. The interval in which the
 *   backlog ran out is left out (it was partly idle and would dilute the rate);
 * - drain rate = backlog cleared per second from the backlog's peak within that
 *   span to its last point: the backlog may still grow after the episode's end
 *   (a broker resumed but not yet delivering, writes still arriving), and the
 *   drop from the span's first point would then read as a negative rate. Null
 *   when the backlog never fell within the span (its peak is the last point);
 * - both are null (unknown) when the backlog cleared within one interval of the
 *   episode's end: a shorter `interval` measures them;
 * - a fault cut short (the run stopped while it was in force and undid it
 *   early) has an unknown recovery: what it measures is not the fault planned.
 *
 * Resolution: one interval (`interval` in the config, 1 s by default).
 */

/** One point of the interval series; times in seconds from the schedule's start. */
export interface BacklogPoint {
  /** End of the interval, seconds since the schedule started. */
  readonly t: number
  /** Events sent − failed writes − observed at `t` (less those finally judged lost, after `withoutLost`). */
  readonly backlog: number
  /** Events sent − failed writes − observed at `t`, lost ones included; `backlog` when absent. */
  readonly owed?: number
  /** Distinct events observed so far at `t`. */
  readonly observed: number
  /** e2e p99 of the interval, ms; null when the interval saw no event. */
  readonly e2eP99: number | null
}

/** A disturbance, seconds from the schedule's start. */
export interface Episode {
  /** What it was, e.g. `burst 5000/s` or `fault pause`. */
  readonly label: string
  readonly start: number
  readonly end: number
  /** A fault the run's stop undid before its planned end: its recovery is unknown. */
  readonly cutShort?: true
}

export interface RecoveryOptions {
  /** @default 10 */
  readonly baselineSeconds?: number
  /** @default 2 */
  readonly latencyFactor?: number
  /** Events of backlog above the baseline still counted as recovered. @default 10 */
  readonly backlogSlack?: number
  /** Milliseconds of e2e p99 above the baseline still counted as recovered. @default 10 */
  readonly latencySlackMs?: number
  /** Seconds from the schedule's start before which the baseline does not look (the previous episode's recovery). */
  readonly baselineFrom?: number
}

/** What one episode did to the pipeline; times in seconds, rates in events/s. */
export interface Recovery {
  readonly label: string
  readonly start: number
  readonly end: number
  /** Highest backlog before the episode (the level to come back to). */
  readonly baselineBacklog: number
  /** Highest interval e2e p99 before the episode, ms; null when nothing was observed then. */
  readonly baselineE2eP99: number | null
  /** Highest owed (sent − failed − observed, less events lost before the episode) from the episode's start until it recovered (or the series ended). */
  readonly backlogMax: number
  /** Seconds from the episode's end until recovered; null when it never recovered within the run. */
  readonly time: number | null
  /**
   * Observed events/s over the whole intervals after the episode's end in which the backlog
   * was still above its baseline (the replay throughput); null when it never recovered, or
   * the backlog cleared within one interval (too fast for the interval to measure).
   */
  readonly catchUpRate: number | null
  /**
   * Backlog cleared per second over the same intervals, from the backlog's peak among them to
   * their last; null as `catchUpRate`, and when the backlog never fell over them.
   */
  readonly drainRate: number | null
  /** True when the run was stopped (Ctrl-C, abortOnFail) before it recovered: `time` is unknown, not "never". */
  readonly interrupted?: true
  /** True when a fault of the episode was cut short by the run's stop (undone early): `time` is unknown. */
  readonly cutShort?: true
}

/**
 * The series with the events the run finally judged lost taken out of each
 * interval's backlog: `lostOffsets` are their intended times (seconds from the
 * schedule's start); one counts from the end of the interval after the one it
 * was intended in. So an interval's own losses stay in its backlog: a pipeline
 * that lost everything sent in an interval (it stopped for good) is behind in
 * it, not back at its level, while what it lost before no longer holds its
 * recovery back. Never below zero, never more than were lost.
 */
export function withoutLost(series: readonly BacklogPoint[], lostOffsets: readonly number[]): BacklogPoint[] {
  if (lostOffsets.length === 0) return [...series]
  const sorted = [...lostOffsets].sort((a, b) => a - b)
  let lostBefore = 0
  let intervalStart = 0
  return series.map((point) => {
    while (lostBefore < sorted.length && sorted[lostBefore]! <= intervalStart) lostBefore++
    intervalStart = point.t
    return { ...point, backlog: Math.max(0, point.backlog - lostBefore), owed: point.owed ?? point.backlog }
  })
}

export function measureRecovery(
  series: readonly BacklogPoint[],
  episode: Episode,
  options: RecoveryOptions = {},
): Recovery {
  const baselineSeconds = options.baselineSeconds ?? 10
  const latencyFactor = options.latencyFactor ?? 2
  const slack = options.backlogSlack ?? 10
  const latencySlack = options.latencySlackMs ?? 10
  const from = Math.max(episode.start - baselineSeconds, options.baselineFrom ?? Number.NEGATIVE_INFINITY)
  const before = series.filter((p) => p.t <= episode.start && p.t > from)
  const baselineBacklog = before.length > 0 ? Math.max(...before.map((p) => p.backlog)) : 0
  const p99s = before.map((p) => p.e2eP99).filter((v): v is number => v !== null)
  const baselineE2eP99 = p99s.length > 0 ? Math.max(...p99s) : null

  const owed = (p: BacklogPoint) => p.owed ?? p.backlog
  // Events already lost when the episode began are no part of what it built up.
  const lostBefore = before.length > 0 ? owed(before.at(-1)!) - before.at(-1)!.backlog : 0
  let backlogMax = 0
  let drainFrom: BacklogPoint | undefined
  // The highest backlog from drainFrom to stillBehind: where the drain really began.
  let drainPeak: BacklogPoint | undefined
  let drainedAt: BacklogPoint | undefined
  // The last interval end after the episode at which the pipeline was still behind.
  let stillBehind: BacklogPoint | undefined
  let recoveredAt: BacklogPoint | undefined
  let intervalStart = 0
  for (const point of series) {
    const began = intervalStart
    intervalStart = point.t
    if (point.t <= episode.start) continue
    const owedSince = owed(point) - lostBefore
    backlogMax = Math.max(backlogMax, point.backlog, owedSince)
    if (point.t < episode.end) continue
    drainFrom ??= point
    const backlogBack = point.backlog <= baselineBacklog + slack
    if (backlogBack) drainedAt ??= point
    else if (!drainedAt) {
      stillBehind = point
      if (!drainPeak || point.backlog > drainPeak.backlog) drainPeak = point
    }
    const latencyBack =
      point.e2eP99 === null
        ? owedSince <= baselineBacklog + slack
        : baselineE2eP99 === null ||
          point.e2eP99 <= Math.max(latencyFactor * baselineE2eP99, baselineE2eP99 + latencySlack)
    // Only an interval that began once the episode was over shows a recovery: the one it ended in
    // mixes latencies from before it (a one-shot stall's interval read as recovered 0.1 s after it).
    if (backlogBack && latencyBack && began >= episode.end) {
      recoveredAt = point
      break
    }
  }
  if (!recoveredAt || episode.cutShort) {
    return {
      ...episode,
      baselineBacklog,
      baselineE2eP99,
      backlogMax,
      time: null,
      catchUpRate: null,
      drainRate: null,
    }
  }
  const time = Math.max(0, recoveredAt.t - episode.end)
  const drainSeconds = stillBehind ? stillBehind.t - drainFrom!.t : 0
  // From the peak, not the span's first point: a backlog that grew before it drained read as -426/s.
  const fallSeconds = stillBehind && drainPeak ? stillBehind.t - drainPeak.t : 0
  return {
    ...episode,
    baselineBacklog,
    baselineE2eP99,
    backlogMax,
    time,
    catchUpRate: drainSeconds > 0 ? (stillBehind!.observed - drainFrom!.observed) / drainSeconds : null,
    drainRate:
      drainSeconds > 0 && fallSeconds > 0 && drainPeak!.backlog > stillBehind!.backlog
        ? (drainPeak!.backlog - stillBehind!.backlog) / fallSeconds
        : null,
  }
}

/**
 * Recovery after each episode, in start order; each one's baseline starts no
 * earlier than the previous episode's recovery (its end plus its recovery
 * time). Episodes that overlap — one starts before the previous recovered, or
 * the previous never recovered — are measured as one: label `a + b`, from the
 * first's start to the latest end, baseline before the first. A baseline taken
 * while the previous episode's backlog was still draining would be no level to
 * come back to, and the second's recovery cannot be told apart from the first's.
 */
export function measureRecoveries(
  series: readonly BacklogPoint[],
  episodes: readonly Episode[],
  options: Omit<RecoveryOptions, 'baselineFrom'> = {},
): Recovery[] {
  const sorted = [...episodes].sort((a, b) => a.start - b.start)
  const recoveries: Recovery[] = []
  let baselineFrom: number | undefined
  const measure = (episode: Episode) =>
    measureRecovery(series, episode, { ...options, ...(baselineFrom === undefined ? {} : { baselineFrom }) })
  const settledAt = (r: Recovery) => (r.time === null ? Number.POSITIVE_INFINITY : r.end + r.time)
  let next = 0
  while (next < sorted.length) {
    let episode = sorted[next++]!
    let recovery = measure(episode)
    while (next < sorted.length && sorted[next]!.start < settledAt(recovery)) {
      const overlapping = sorted[next++]!
      episode = {
        label: `${episode.label} + ${overlapping.label}`,
        start: episode.start,
        end: Math.max(episode.end, overlapping.end),
        ...(episode.cutShort || overlapping.cutShort ? { cutShort: true as const } : {}),
      }
      recovery = measure(episode)
    }
    recoveries.push(recovery)
    const settled = recovery.end + (recovery.time ?? 0)
    baselineFrom = Math.max(baselineFrom ?? settled, settled)
  }
  return recoveries
}

/** A held stage (`rate`) planned higher than both its neighbours is a burst; times in seconds. */
export function burstsOf(stages: readonly { readonly seconds: number; readonly rate?: number }[]): Episode[] {
  const bursts: Episode[] = []
  let start = 0
  stages.forEach((stage, i) => {
    const end = start + stage.seconds
    const before = i > 0 ? stages[i - 1]!.rate : undefined
    const after = stages[i + 1]?.rate
    if (stage.rate !== undefined && before !== undefined && after !== undefined) {
      if (stage.rate > before && stage.rate > after)
        bursts.push({ label: `burst ${stage.rate}/s`, start, end })
    }
    start = end
  })
  return bursts
}

/**
 * Why `recovery.time` was not measured when there is no recovery: the faults that
 * failed or never started, or that the run had none and no burst.
 */
export function noRecoveryNote(
  faults: readonly {
    readonly name: string
    readonly startedAt: number | null
    readonly error: string | null
  }[],
): string {
  const first = faults.find((f) => f.startedAt === null)
  if (!first) return 'not measured: the run had no fault and no burst to recover from'
  return first.error
    ? `not measured: fault "${first.name}" failed (${first.error})`
    : `not measured: fault "${first.name}" never started (the run ended before its time)`
}
