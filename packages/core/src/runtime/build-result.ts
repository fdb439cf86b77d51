/**
 * The result of a run as a pure function of its final state: no clock, no I/O,
 * so every figure can be traced to a counter or histogram and every rule below
 * (which window, lost or unresolved, skipped or failed) is in one place.
 * docs/architecture.md, "What each counter means", is the reader's guide.
 */
import type { ResolvedConfig } from '../config/resolve-config.js'
import { intendedOffset, plannedBetween, type Schedule, segmentIndexOf } from '../load/schedule.js'
import { shardRateNote } from '../load/shard.js'
import type { HopTotals } from '../metrics/hops.js'
import type { RecorderSet } from '../metrics/recorder.js'
import {
  type ErrorCount,
  type EventCounts,
  type IntervalPoint,
  LATENCY_METRICS,
  type LatencyMetric,
  type LatencySummaries,
  type PhaseRecord,
  type PipelineReport,
  type RunResult,
  type RunStatus,
  type SloCheck,
} from '../result.js'
import { describeConfig, describeMachine } from '../results/describe.js'
import type { FaultRecord } from '../scenarios/faults.js'
import {
  type BacklogPoint,
  burstsOf,
  type Episode,
  measureRecoveries,
  noRecoveryNote,
  withoutLost,
} from '../scenarios/recovery.js'
import { DEFAULT_CHECK_NOTE, evaluateSlo } from '../slo/evaluate.js'
import type { SloWindows } from '../slo/windows.js'
import { formatCount, formatRate } from '../units.js'
import { type CounterTotals, deliveryRate, liveEvents, sendRate, sloInputs } from './aggregator.js'

/**
 * What the drain saw at its end: `arrived` events still unseen were first seen
 * in its last `seconds` (the quiet period `quietSeconds`, or the whole drain if
 * it was shorter). Decides lost versus unresolved at the drain's deadline.
 */
export interface DrainTail {
  /** Epoch µs the drain ended. */
  readonly endAt: number
  readonly seconds: number
  readonly arrived: number
  readonly quietSeconds: number
}

/** Everything the result is built from, as the run left it. */
export interface FinalState {
  readonly config: ResolvedConfig
  readonly runId: string
  readonly startedAt: Date
  readonly endedAt: Date
  /** Epoch µs the schedule started. */
  readonly startAt: number
  /** Epoch µs this process's clock passed the start with its workers told (`startAt` without `--start-at`). */
  readonly actualStartAt: number
  /** Why, when (epoch µs) and by what (`Ctrl-C`, `SIGTERM`, `SIGHUP`, `abortOnFail`) the run was stopped early, if it was. */
  readonly stop:
    | { readonly reason: 'interrupted' | 'aborted'; readonly at: number; readonly by?: string | undefined }
    | undefined
  readonly timeBase: string | undefined
  readonly totals: CounterTotals
  /** Measured-window latency histograms. */
  readonly latencies: RecorderSet
  /** Windowed SLOs' windows; `buildResult` closes the last ones at the measured window's end. */
  readonly windows?: SloWindows
  /** Measured-window hops between the stamps the sink declared. */
  readonly hops: HopTotals
  /** What the `pipeline` part reported; a failure fails the run. Undefined without one. */
  readonly pipeline:
    | {
        readonly failure: string | undefined
        readonly report: PipelineReport
        readonly errors: readonly ErrorCount[]
      }
    | undefined
  readonly errors: readonly ErrorCount[]
  readonly intervals: readonly IntervalPoint[]
  readonly histograms: Readonly<Record<LatencyMetric, string>>
  /** Acknowledged events not seen when the drain ended, and the first few of their seqs. */
  readonly unseenAcked: number
  /** The drain's last stretch; undefined when no drain ran (a failure before it). */
  readonly drainTail?: DrainTail | undefined
  /**
   * The earliest of the workers' last answers from the target (`Observer.answered`, epoch µs, read as the
   * drain ended); undefined when no sink says. A last answer before the drain's quiet period makes its quiet
   * no evidence of loss.
   */
  readonly sinkAnsweredAt?: number | undefined
  readonly unseenSample: readonly number[]
  /** Every acknowledged seq never seen at the end (loss, when the drain decided it): taken out of recovery's backlog. */
  readonly unseenSeqs?: readonly number[]
  readonly phases: readonly PhaseRecord[]
  /** Each planned fault as it ran, the messages of those that failed, and the backlog at each interval's end. */
  readonly faults: readonly FaultRecord[]
  readonly faultWarnings: readonly string[]
  readonly backlogSeries: readonly BacklogPoint[]
  readonly verification: RunResult['verification']
  readonly plugins: RunResult['plugins']
}

export function buildResult(state: FinalState): RunResult {
  const { config, totals, stop } = state
  const { load } = config
  const windowMicros = measuredWindowMicros(state)
  const measuredSeconds = windowMicros / 1e6
  const drain = state.phases.find((p) => p.name === 'drain')
  // Only a drain that ran its course (or its full budget) declares loss; one cut short leaves events unresolved.
  // A drain that ended done saw every acknowledged event: one acknowledged and unseen now was acknowledged after
  // it (a write its source settled on close), never waited for, so unresolved too.
  const drainCut =
    drain === undefined || drain.outcome === 'stopped' || (drain.outcome === 'done' && state.unseenAcked > 0)
  const behind = drainBehind(state, drainCut)
  // Loss is known only after a drain that ended quiet; otherwise the unseen events are unresolved and lost unknown.
  const lossUnknown = drainCut || behind !== undefined
  const events: EventCounts = {
    ...liveEvents(totals),
    lost: lossUnknown ? null : state.unseenAcked,
    unresolved: totals.inFlight + (lossUnknown ? state.unseenAcked : 0),
  }

  const lostOffsets =
    lossUnknown || config.load.model !== 'open'
      ? []
      : lostIntendedOffsets(config.load.schedule, state.unseenSeqs ?? [])
  const scenario = scenarioOf(
    config,
    state.faults,
    withoutLost(state.backlogSeries, lostOffsets),
    stop === undefined ? undefined : (stop.at - state.startAt) / 1e6,
  )
  const interruptedBy = stop?.by ?? 'Ctrl-C'
  // A verifier that could not verify (a server it could not reach) is a runtime failure, as a source's or sink's is.
  const verifyFailure = state.verification?.error
  const stoppedBy = stop?.reason === 'interrupted' ? `the interrupt (${interruptedBy})` : 'abortOnFail'
  state.windows?.finish(windowMicros)
  const checks: SloCheck[] = evaluateSlo(config.slo, {
    ...sloInputs(state.latencies, totals, windowMicros, state.hops, {
      events,
      drainCut: drainCut && stop !== undefined,
      verification: state.verification,
      scenario: { recoveryTimeMs: scenario.recoveryTimeMs, backlogMax: scenario.backlogMax },
    }),
    windows: (expression) => state.windows?.report(expression),
    unmeasured: (metric) => {
      const shareNote = shardRateNote(config.shard, metric)
      if (shareNote) return shareNote
      if (metric.kind === 'scenario' && metric.name === 'recovery.time' && scenario.recovery.length === 0)
        return noRecoveryNote(state.faults)
      // A fault undone early by the stop measured a shorter fault than planned: no figure for it can pass.
      const undoneEarly = scenario.recovery.find((r) => r.cutShort)
      if (metric.kind === 'scenario' && metric.name === 'recovery.time' && undoneEarly)
        return `not measured: ${stoppedBy} cut ${undoneEarly.label} short (undone early, before its planned end)`
      const cutShort = scenario.recovery.find((r) => r.interrupted)
      if (metric.kind === 'scenario' && metric.name === 'recovery.time' && cutShort)
        return `not measured: ${stoppedBy} ended the run before ${cutShort.label} recovered`
      if (metric.kind !== 'counter') return undefined
      if ((metric.name === 'lost' || metric.name === 'unresolved') && drainCut && stop)
        return `not measured: ${stoppedBy} cut the drain short`
      if (metric.name === 'verified' && stop)
        return `not measured: ${stoppedBy} ended the run before verification`
      return undefined
    },
  }).map((check, index) => {
    // An interrupted run says nothing about what it never got to measure.
    if (stop?.reason === 'interrupted' && check.status === 'failed' && check.actual === null)
      return { ...check, status: 'skipped' as const, note: 'not measured: run interrupted' }
    // A drain that ended behind leaves loss unknown: the check fails, saying why (never "no data" alone).
    const metric = config.slo[index]?.metric
    // A verifier that failed verified nothing: unknown, and the check says why rather than "no data".
    if (verifyFailure !== undefined && metric?.kind === 'counter' && metric.name === 'verified')
      return explained(
        { ...check, actual: null, passed: false, status: 'failed' as const },
        `unknown: ${verifyFailure}`,
      )
    // Not "no data": the episode's recovery was watched to the end of the run and never came.
    const never = scenario.recovery.filter((r) => r.time === null && !r.interrupted)
    if (
      check.actual === null &&
      metric?.kind === 'scenario' &&
      metric.name === 'recovery.time' &&
      never.length > 0
    )
      return explained(check, `never recovered within the run: ${never.map((r) => r.label).join(', ')}`)
    if (behind && check.actual === null && metric?.kind === 'counter' && metric.name === 'lost')
      return explained(
        check,
        behind.kind === 'arriving'
          ? `unknown: the drain ended while deliveries were still arriving — ${formatCount(state.unseenAcked)} unresolved`
          : behind.kind === 'blind'
            ? `unknown: the sink had no answer from the target as the drain ended — ${formatCount(state.unseenAcked)} unresolved`
            : `unknown: the drain was too short to show the pipeline quiet — ${formatCount(state.unseenAcked)} unresolved`,
      )
    return check
  })
  const judged = checks.filter((c) => c.status !== 'skipped')
  // An interrupted run did not pass, whatever the checks it got to judge said: a CI reader must not see it green.
  const interruptedNote =
    stop?.reason === 'interrupted'
      ? `interrupted (${interruptedBy}) after ${round(Math.max(0, stop.at - state.startAt) / 1e6)}s of ${round(load.totalMicros / 1e6)}s: the run did not finish, so it did not pass; checks it could not judge are skipped`
      : undefined
  const sloPassed = judged.every((c) => c.passed) && interruptedNote === undefined

  const targetRate =
    load.model === 'open' && measuredSeconds > 0
      ? plannedBetween(load.schedule, load.warmupMicros, load.warmupMicros + windowMicros) /
        measuredSeconds /
        (config.shard?.count ?? 1) // a shard's share of the plan: the shards' targets add up to the run's
      : null
  const sentRate = sendRate(totals, windowMicros)
  const achievedRate = deliveryRate(totals, windowMicros, drainCut && stop !== undefined)
  const pipelineFailure = state.pipeline?.failure
  // A fault that could not be applied (or undone) means the run did not measure the scenario the config asked for:
  // a broker-failure benchmark whose broker never froze must not pass.
  const faultFailure = state.faults.find((fault) => fault.error !== null)
  const status: RunStatus =
    stop?.reason === 'interrupted'
      ? 'interrupted'
      : sloPassed &&
          !stop &&
          pipelineFailure === undefined &&
          faultFailure === undefined &&
          verifyFailure === undefined
        ? 'passed'
        : 'failed'
  const metrics = summarize(state.latencies)
  const corrected = load.model === 'closed' ? correctedLatencies(state.latencies) : undefined

  return {
    schemaVersion: 1,
    runId: state.runId,
    name: config.name,
    status,
    exitCode: status === 'interrupted' ? 130 : verifyFailure !== undefined ? 3 : status === 'passed' ? 0 : 1,
    reason:
      stop?.reason === 'interrupted'
        ? `interrupted (${interruptedBy}): partial results`
        : stop?.reason === 'aborted'
          ? 'stopped early: an SLO failed (abortOnFail)'
          : verifyFailure !== undefined
            ? `runtime failure: ${verifyFailure}`
            : pipelineFailure !== undefined
              ? `the pipeline failed: ${pipelineFailure}`
              : faultFailure !== undefined
                ? `fault "${faultFailure.name}" failed: ${faultFailure.error} — the run did not measure the scenario it was asked for`
                : undefined,
    startedAt: state.startedAt.toISOString(),
    endedAt: state.endedAt.toISOString(),
    workers: config.workers,
    source: config.source.name,
    sink: config.sink.name,
    timeBase: state.timeBase ?? 'observed by cdcb (no target timestamp)',
    slo: { passed: sloPassed, checks, ...(interruptedNote ? { note: interruptedNote } : {}) },
    metrics,
    ...(corrected ? { corrected } : {}),
    rate: {
      target: targetRate === null ? null : round(targetRate),
      sent: measuredSeconds > 0 ? round(sentRate) : null,
      achieved: achievedRate === null ? null : round(achievedRate),
    },
    window: {
      sent: totals.sentMeasured,
      errors: totals.errorsMeasured,
      late: totals.lateMeasured,
      observed: totals.observedMeasured,
      deliverySeconds:
        totals.observedMeasured > 0
          ? round((totals.lastMeasuredSeenAt - totals.firstMeasuredSeenAt) / 1e6)
          : null,
    },
    events,
    operations: { insert: totals.inserts, update: totals.updates, delete: totals.deletes },
    lateShare: totals.sentMeasured > 0 ? totals.lateMeasured / totals.sentMeasured : 0,
    measuredSeconds: round(measuredSeconds),
    seed: config.load.seed,
    phases: state.phases,
    errors: [...state.errors, ...(state.pipeline?.errors ?? [])],
    verification: state.verification,
    warnings: [
      ...warningsFor(state, { events, targetRate, sentRate, metrics, stoppedBy, drainCut, behind }),
      ...(load.model === 'closed' ? [coordinatedOmissionNote(metrics, corrected)] : []),
      ...state.faultWarnings,
      ...scenario.warnings,
      ...(verifyFailure === undefined
        ? []
        : [`verification: ${verifyFailure} — the sink's final state was not checked`]),
    ],
    backlogMax: scenario.backlogMax,
    faults: state.faults,
    recovery: scenario.recovery,
    intervals: state.intervals,
    histograms: state.histograms,
    hops: state.hops.summaries(),
    pipeline: state.pipeline?.report ?? null,
    plugins: state.plugins,
    config: describeConfig(config),
    machine: describeMachine(),
    ...startOf(state),
  }
}

/** The shard, and the requested and actual start, for `cdcb merge` to check shards against each other. */
function startOf(state: FinalState): Pick<RunResult, 'shard' | 'start'> {
  const { config, startAt, actualStartAt } = state
  const requested = config.startAtMicros
  return {
    ...(config.shard ? { shard: { index: config.shard.index, count: config.shard.count } } : {}),
    start: {
      requested: requested === undefined ? null : new Date(requested / 1e3).toISOString(),
      actual: new Date(actualStartAt / 1e3).toISOString(),
      actualMicros: Math.round(actualStartAt),
      lateMs: requested === undefined ? null : round((actualStartAt - startAt) / 1e3),
    },
  }
}

/** Recovery after every fault that started and every burst of the schedule, and the backlog's peak. */
/** Seconds from the schedule's start at which each lost seq was intended (open model). */
function lostIntendedOffsets(schedule: Schedule, seqs: readonly number[]): number[] {
  let hint = 0
  return [...seqs]
    .sort((a, b) => a - b)
    .map((seq) => {
      hint = segmentIndexOf(schedule, seq, hint)
      return intendedOffset(schedule, seq, hint) / 1e6
    })
}

/**
 * `stoppedAt`: seconds from the schedule's start at which the run was stopped early (Ctrl-C, abortOnFail), if
 * it was. An episode not recovered by then has an unknown recovery, not "never": what the series shows after
 * the stop is the drain of a load that had ended, no recovery under load (a stop 1.3 s after a stall read
 * "recovered in 3.2s" from the drain).
 */
export function scenarioOf(
  config: ResolvedConfig,
  faults: readonly FaultRecord[],
  series: readonly BacklogPoint[],
  stoppedAt: number | undefined,
) {
  const stopped = stoppedAt !== undefined
  const warmupSeconds = config.load.warmupMicros / 1e6
  const measured = series.filter((p) => p.t > warmupSeconds)
  // The peak of what was owed (sent − failed − observed, as the live view shows it): events the run wrote
  // off as lost count in it from when they were sent — a pipeline that stopped delivering built that backlog.
  const warmupEnd = series.filter((p) => p.t <= warmupSeconds).at(-1)
  const lostInWarmup = warmupEnd ? (warmupEnd.owed ?? warmupEnd.backlog) - warmupEnd.backlog : 0
  const backlogMax =
    measured.length > 0 ? Math.max(...measured.map((p) => (p.owed ?? p.backlog) - lostInWarmup)) : null
  const episodes: Episode[] = faults
    .filter((f) => f.startedAt !== null)
    .map((f) => ({
      label: `fault ${f.name}`,
      start: f.startedAt!,
      end: f.endedAt ?? f.startedAt!,
      ...(f.cutShort ? { cutShort: true as const } : {}),
    }))
  if (config.load.model === 'open') {
    const stages = config.load.schedule.segments.map((s) => ({
      seconds: s.durationMicros / 1e6,
      rate: s.fromRate === s.toRate ? s.fromRate : undefined,
    }))
    episodes.push(...burstsOf(stages))
  }
  const underLoad = stopped ? series.filter((p) => p.t <= stoppedAt + 1e-3) : series
  const recovery = measureRecoveries(underLoad, episodes, {
    baselineSeconds: config.recovery.baselineSeconds,
    latencyFactor: config.recovery.latencyFactor,
  }).map((r) => (stopped && r.time === null ? { ...r, interrupted: true as const } : r))
  // Said once, by the recovery line and the recovery.time check: no "never came back" warning for a stopped run.
  const never = recovery.filter((r) => r.time === null && !r.interrupted)
  // With no interval ended before it, an episode's baseline is an idle pipeline (backlog 0, no latency):
  // a level a loaded pipeline (with events in flight, or some lost) never comes back to.
  const unbased = recovery
    .filter((r) => !underLoad.some((p) => p.t <= r.start))
    .map(
      (r) =>
        `${r.label} started at ${r.start.toFixed(1)}s, before the first interval ended: its recovery is measured against an idle pipeline (backlog 0), not the pipeline's level under load — start it after the first ${config.intervalMicros / 1e6}s interval, better after recovery.baseline`,
    )
  const warnings = never.map(
    (r) =>
      `${r.label} (${r.start.toFixed(1)}–${r.end.toFixed(1)}s): the backlog and e2e p99 never came back to their level before it within the run`,
  )
  const recoveryTimeMs =
    recovery.length === 0 || recovery.some((r) => r.time === null)
      ? null
      : Math.max(...recovery.map((r) => r.time!)) * 1e3
  return { recovery, backlogMax, recoveryTimeMs, warnings: [...unbased, ...warnings] }
}

/**
 * A drain that reached load.drainTimeout without showing the pipeline quiet:
 * `arriving` when unseen events were still arriving in its last quiet period
 * (behind, not losing), with the rate they arrived at (events/s) and about how
 * long a drain at that rate would have needed in all (s); `short` when the
 * drain was shorter than the quiet period itself (load.drainTimeout under 1 s),
 * so quiet was never shown. Undefined when the drain finished, was cut short,
 * or ended quiet (nothing arriving for a whole quiet period).
 */
function drainBehind(
  state: FinalState,
  drainCut: boolean,
):
  | { kind: 'arriving'; rate: number; neededSeconds: number; tail: DrainTail }
  | { kind: 'short'; tail: DrainTail }
  | { kind: 'blind'; tail: DrainTail; silentSeconds: number }
  | undefined {
  const tail = state.drainTail
  const drain = state.phases.find((p) => p.name === 'drain')
  if (drainCut || !tail || drain?.outcome !== 'deadline' || state.unseenAcked === 0) return undefined
  if (tail.arrived > 0) {
    const rate = tail.seconds > 0 ? tail.arrived / tail.seconds : Number.POSITIVE_INFINITY
    return { kind: 'arriving', rate, neededSeconds: drain.seconds + state.unseenAcked / rate, tail }
  }
  // The drain is polled every 20 ms: a drain within 5 % of the quiet period has shown it.
  if (tail.seconds < tail.quietSeconds * 0.95) return { kind: 'short', tail }
  const answeredAt = state.sinkAnsweredAt
  if (answeredAt !== undefined && answeredAt < tail.endAt - tail.seconds * 1e6)
    return { kind: 'blind', tail, silentSeconds: (tail.endAt - answeredAt) / 1e6 }
  return undefined
}

/** A sink silent this long at the drain's end is warned of: a healthy one answers several times a second. */
const SINK_SILENT_WARN_SECONDS = 2

/** `check` with `note` saying what its actual is, keeping that it is a default check (a note it had said so). */
function explained(check: SloCheck, note: string): SloCheck {
  return {
    ...check,
    note: check.note?.startsWith(DEFAULT_CHECK_NOTE) ? `${note}; ${DEFAULT_CHECK_NOTE}` : note,
  }
}

/** The measured window: the planned one, or up to the stop when the run was stopped before its end. */
function measuredWindowMicros({ config, startAt, stop }: FinalState): number {
  const { totalMicros, warmupMicros } = config.load
  const end = stop ? Math.min(stop.at - startAt, totalMicros) : totalMicros
  return Math.max(0, end - warmupMicros)
}

function warningsFor(
  state: FinalState,
  derived: {
    events: EventCounts
    targetRate: number | null
    sentRate: number
    metrics: LatencySummaries
    stoppedBy: string
    drainCut: boolean
    behind: ReturnType<typeof drainBehind>
  },
): string[] {
  const { config, totals } = state
  const { events, targetRate, sentRate } = derived
  const warnings: string[] = []
  const phase = (name: PhaseRecord['name']) => state.phases.find((p) => p.name === name)
  if (targetRate !== null && targetRate > 0 && sentRate < targetRate * 0.99) {
    warnings.push(
      `saturated: sent ${formatRate(sentRate)} of ${formatRate(targetRate)} planned — the generator or the target could not keep up; latencies still count from intended times`,
    )
  }
  if (totals.sentMeasured > 0 && totals.lateMeasured / totals.sentMeasured > 0.01) {
    warnings.push(
      `${((totals.lateMeasured / totals.sentMeasured) * 100).toFixed(1)}% of the measured window's operations were sent late (more than ${config.load.lateAfterMicros / 1e3}ms after their intended time)`,
    )
  }
  if (events.errors > 0) warnings.push(`${events.errors} operations failed to write (see errors)`)
  const mixDrift = mixDriftOf(config, totals)
  if (mixDrift) warnings.push(mixDrift)
  if (phase('load')?.outcome === 'deadline') {
    warnings.push(
      `load: the schedule was still running past its planned end at its deadline (the larger of load.drainTimeout and 30s after it), so it was stopped`,
    )
  }
  const waited = (phase('inFlight')?.seconds ?? 0) + (phase('drain')?.seconds ?? 0)
  if (totals.inFlight > 0) {
    warnings.push(
      `inFlight: ${totals.inFlight} writes were neither acknowledged nor failed ${(phase('inFlight')?.seconds ?? 0).toFixed(1)}s after the schedule ended (${phase('inFlight')?.outcome === 'stopped' ? `cut short by ${derived.stoppedBy}` : 'deadline: the larger of load.drainTimeout and 30s'}); they count as unresolved`,
    )
  }
  if (derived.drainCut && state.unseenAcked > 0) {
    warnings.push(
      phase('drain')?.outcome === 'done'
        ? `drain: ${state.unseenAcked} acknowledged events not yet seen are unresolved, not lost: their writes were acknowledged only after the drain had seen every event acknowledged before it (as the workers closed)`
        : `drain: ${derived.stoppedBy} cut the drain short after ${waited.toFixed(1)}s; ${state.unseenAcked} acknowledged events not yet seen are unresolved, not lost`,
    )
  }
  if (derived.behind?.kind === 'short') {
    warnings.push(
      `drain: load.drainTimeout ${config.load.drainTimeoutMicros / 1e6}s is shorter than the ${derived.behind.tail.quietSeconds}s the pipeline must be quiet to call events lost; ${state.unseenAcked} acknowledged events not yet seen are unresolved, not lost — set load.drainTimeout to at least ${Math.ceil(derived.behind.tail.quietSeconds)}s`,
    )
  }
  if (derived.behind?.kind === 'blind') {
    const { tail, silentSeconds } = derived.behind
    warnings.push(
      `drain: nothing arrived in the drain's last ${tail.seconds.toFixed(1)}s, but the sink had no answer from the target in that time either (its last came ${silentSeconds.toFixed(1)}s before the drain ended: a server frozen or unreachable), so the quiet shows nothing; ${state.unseenAcked} acknowledged events not yet seen are unresolved, not lost; first seqs: ${state.unseenSample.join(', ')}`,
    )
  }
  // Every acknowledged event seen, yet the sink heard nothing at the end (one frozen broker stops acks and reads
  // alike): not a loss, but the run's end was not watched — say so rather than let a PASS read as a clean end.
  const tail = state.drainTail
  const silentSeconds =
    tail && state.sinkAnsweredAt !== undefined ? (tail.endAt - state.sinkAnsweredAt) / 1e6 : 0
  if (derived.behind?.kind !== 'blind' && silentSeconds > SINK_SILENT_WARN_SECONDS) {
    warnings.push(
      `sink: no answer from the target in the ${silentSeconds.toFixed(1)}s before the drain ended (a server frozen or unreachable); the sink could see nothing after that${totals.inFlight > 0 ? `, and ${totals.inFlight} writes never settled` : ''}`,
    )
  }
  if (derived.behind?.kind === 'arriving') {
    const { rate, neededSeconds, tail } = derived.behind
    warnings.push(
      `drain: load.drainTimeout ${config.load.drainTimeoutMicros / 1e6}s ended while deliveries were still arriving (${tail.arrived} in its last ${tail.seconds.toFixed(1)}s, ${formatRate(rate)}); ${state.unseenAcked} acknowledged events not yet seen are unresolved, not lost — at that rate the drain needed about ${Math.ceil(neededSeconds)}s (set load.drainTimeout above that to tell late from lost); first seqs: ${state.unseenSample.join(', ')}`,
    )
  }
  if (events.lost !== null && events.lost > 0) {
    warnings.push(
      `${events.lost} acknowledged events were not seen within the drain (${(phase('drain')?.seconds ?? 0).toFixed(1)}s of load.drainTimeout ${config.load.drainTimeoutMicros / 1e6}s) and count as lost: nothing arrived in the drain's last ${Math.min(state.drainTail?.quietSeconds ?? 0, phase('drain')?.seconds ?? 0).toFixed(1)}s (the pipeline was quiet); first seqs: ${state.unseenSample.join(', ')}`,
    )
  }
  if (phase('close')?.outcome === 'deadline') {
    warnings.push(
      `close: the workers did not stop their sinks and close within ${phase('close')!.seconds.toFixed(0)}s (deadline) and were terminated; their counters are as of their last snapshot`,
    )
  }
  if (events.duplicates > 0) {
    // No default check judges duplicates (at-least-once pipelines deliver some): say how many, so a PASS is read with it.
    // Suggest an SLO only when the config has none on duplicates (one that failed already says so).
    const judged = config.slo.some((s) => s.metric.kind === 'counter' && s.metric.name === 'duplicates')
    warnings.push(
      `${events.duplicates} observations repeated an event already seen (${((events.duplicates / Math.max(1, events.observed)) * 100).toFixed(1)}% of the events observed); they are not counted as observed${judged ? '' : ' — add duplicates == 0 to slo to fail on them'}`,
    )
  }
  if (events.foreign > 0) {
    warnings.push(
      `${events.foreign} observations carried this run's marker with a seq it never planned; counted as foreign, not as the run's`,
    )
  }
  for (const metric of LATENCY_METRICS) {
    const { belowZero, aboveRange } = derived.metrics[metric]
    if (belowZero > 0) {
      warnings.push(
        `${metric}: ${belowZero} samples were below zero beyond the stamps' resolution — the target's clock is behind cdcb's; they are not in the percentiles`,
      )
    }
    if (aboveRange > 0)
      warnings.push(`${metric}: ${aboveRange} samples were above 1h; they are not in the percentiles`)
  }
  return warnings
}

/**
 * The closed model's warning, with what the correction did in true numbers: the samples it added for the
 * operations the writers would have sent while they waited, beside the real ones. Over a source that acks in
 * a microsecond or two the expected interval is that short, and millions of samples stand for a handful of
 * real ones: said plainly, so a reader weighs the corrected figures for what they are.
 */
function coordinatedOmissionNote(metrics: LatencySummaries, corrected: RunResult['corrected']): string {
  const base =
    'closed model (load.concurrency): coordinated omission applies — while the target stalls, writers send nothing, so a stall shows in few samples'
  if (!corrected) return `${base}; no corrected latencies (no acknowledged writes to take an interval from)`
  const real = metrics.e2e.count
  const added = Math.max(0, corrected.e2e.count - real)
  const ratio = real > 0 ? ` (${formatRatio(added / real)} the real ones)` : ''
  return (
    `${base}; the corrected latencies add ${formatCount(added)} e2e samples to the ${formatCount(real)} real ones${ratio}, ` +
    `one per ${formatInterval(corrected.expectedIntervalMs)} (the median ack) a writer waited` +
    (corrected.expectedIntervalMs < 0.1
      ? ` — an interval this short is the source's own speed, so the correction says more about the source than about the pipeline`
      : '')
  )
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? `${Math.round(ratio)}×` : ratio >= 0.01 ? `${ratio.toFixed(2)}×` : '<0.01×'
}

function formatInterval(ms: number): string {
  return ms >= 1 ? `${Math.round(ms * 1000) / 1000} ms` : `${Math.round(ms * 1000 * 10) / 10} µs`
}

/**
 * When the operations the run did stray from `load.mix` beyond chance (10
 * points, or four standard deviations of a share over this many operations),
 * with the reason that happened (`load/keyspace.ts`): an insert needs an absent
 * key, so once every key is present it becomes an update (an insert-heavy mix
 * on few keys comes out update-heavy); an update or delete needs a present key,
 * so with none it becomes an insert (a delete-heavy mix comes out half inserts).
 */
function mixDriftOf(config: ResolvedConfig, totals: CounterTotals): string | undefined {
  const done = { insert: totals.inserts, update: totals.updates, delete: totals.deletes }
  const n = done.insert + done.update + done.delete
  if (n < 100) return undefined
  const kinds = ['insert', 'update', 'delete'] as const
  const strays = kinds.some((kind) => {
    const planned = config.load.mix[kind]
    const bound = Math.max(0.1, 4 * Math.sqrt((planned * (1 - planned)) / n))
    return Math.abs(done[kind] / n - planned) > bound
  })
  if (!strays) return undefined
  const shares = (share: (kind: (typeof kinds)[number]) => number) =>
    kinds.map((kind) => `${kind} ${(share(kind) * 100).toFixed(0)}%`).join(', ')
  const reasons: string[] = []
  if (totals.insertsAsUpdates > 0) {
    reasons.push(
      `${formatCount(totals.insertsAsUpdates)} inserts became updates: every key a worker owns was present (load.keys ${formatCount(config.load.keys)} in all), none absent to insert — raise load.keys or lower the insert share`,
    )
  }
  if (totals.changesAsInserts > 0) {
    reasons.push(
      `${formatCount(totals.changesAsInserts)} updates or deletes became inserts: no key was present to change (keys start absent)`,
    )
  }
  return `load.mix asked for ${shares((k) => config.load.mix[k])}; the run did ${shares((k) => done[k] / n)} — ${reasons.length ? reasons.join('; ') : 'a drift of chance alone'}`
}

/**
 * Closed model: e2e and ack corrected for coordinated omission with HdrHistogram's
 * expected-interval method; the expected interval is the median ack latency
 * (one writer's cycle when nothing stalls). Undefined without acks.
 */
function correctedLatencies(latencies: RecorderSet): RunResult['corrected'] {
  const expected = latencies.ack.count > 0 ? latencies.ack.valueAtPercentile(50) : 0
  if (!(expected >= 1)) return undefined
  return {
    expectedIntervalMs: expected / 1e3,
    // e2e is not a writer's cycle: its omitted operations are the ack's, each delayed by its wait.
    e2e: latencies.e2e.delayedBy(latencies.ack.omittedFor(expected)).summary(),
    ack: latencies.ack.correctedFor(expected).summary(),
  }
}

function summarize(set: RecorderSet): LatencySummaries {
  return Object.fromEntries(LATENCY_METRICS.map((m) => [m, set[m].summary()])) as LatencySummaries
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
