/**
 * The result of a run as a pure function of its final state: no clock, no I/O,
 * so every figure can be traced to a counter or histogram and every rule below
 * (which window, lost or unresolved, skipped or failed) is in one place.
 * docs/architecture.md, "What each counter means", is the reader's guide.
 */
import type { ResolvedConfig } from '../config/resolve-config.js'
import { plannedBetween } from '../load/schedule.js'
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
import { type BacklogPoint, burstsOf, type Episode, measureRecovery } from '../scenarios/recovery.js'
import { evaluateSlo } from '../slo/evaluate.js'
import type { SloWindows } from '../slo/windows.js'
import { formatRate } from '../units.js'
import { type CounterTotals, deliveryRate, liveEvents, sendRate, sloInputs } from './aggregator.js'

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
  /** Why and when (epoch µs) the run was stopped early, if it was. */
  readonly stop: { readonly reason: 'interrupted' | 'aborted'; readonly at: number } | undefined
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
  readonly unseenSample: readonly number[]
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
  const drainCut = drain === undefined || drain.outcome === 'stopped'
  const events: EventCounts = {
    ...liveEvents(totals),
    lost: drainCut ? 0 : state.unseenAcked,
    unresolved: totals.inFlight + (drainCut ? state.unseenAcked : 0),
  }

  const scenario = scenarioOf(config, state.faults, state.backlogSeries)
  const stoppedBy = stop?.reason === 'interrupted' ? 'the interrupt (Ctrl-C)' : 'abortOnFail'
  state.windows?.finish(windowMicros)
  const checks: SloCheck[] = evaluateSlo(config.slo, {
    ...sloInputs(state.latencies, totals, windowMicros, state.hops, {
      events,
      verification: state.verification,
      scenario: { recoveryTimeMs: scenario.recoveryTimeMs, backlogMax: scenario.backlogMax },
    }),
    windows: (expression) => state.windows?.report(expression),
    unmeasured: (metric) => {
      if (metric.kind === 'scenario' && metric.name === 'recovery.time' && scenario.recovery.length === 0)
        return 'not measured: the run had no fault and no burst to recover from'
      if (metric.kind !== 'counter') return undefined
      if ((metric.name === 'lost' || metric.name === 'unresolved') && drainCut && stop)
        return `not measured: ${stoppedBy} cut the drain short`
      if (metric.name === 'verified' && stop)
        return `not measured: ${stoppedBy} ended the run before verification`
      return undefined
    },
  }).map((check) =>
    // An interrupted run says nothing about what it never got to measure.
    stop?.reason === 'interrupted' && check.status === 'failed' && check.actual === null
      ? { ...check, status: 'skipped' as const, note: 'not measured: run interrupted' }
      : check,
  )
  const judged = checks.filter((c) => c.status !== 'skipped')
  const sloPassed = judged.every((c) => c.passed)

  const targetRate =
    load.model === 'open' && measuredSeconds > 0
      ? plannedBetween(load.schedule, load.warmupMicros, load.warmupMicros + windowMicros) /
        measuredSeconds /
        (config.shard?.count ?? 1) // a shard's share of the plan: the shards' targets add up to the run's
      : null
  const sentRate = sendRate(totals, windowMicros)
  const achievedRate = deliveryRate(totals, windowMicros)
  const pipelineFailure = state.pipeline?.failure
  const status: RunStatus =
    stop?.reason === 'interrupted'
      ? 'interrupted'
      : sloPassed && !stop && pipelineFailure === undefined
        ? 'passed'
        : 'failed'
  const metrics = summarize(state.latencies)
  const corrected = load.model === 'closed' ? correctedLatencies(state.latencies) : undefined

  return {
    schemaVersion: 1,
    runId: state.runId,
    name: config.name,
    status,
    exitCode: status === 'interrupted' ? 130 : status === 'passed' ? 0 : 1,
    reason:
      stop?.reason === 'interrupted'
        ? 'interrupted (Ctrl-C): partial results'
        : stop?.reason === 'aborted'
          ? 'stopped early: an SLO failed (abortOnFail)'
          : pipelineFailure !== undefined
            ? `the pipeline failed: ${pipelineFailure}`
            : undefined,
    startedAt: state.startedAt.toISOString(),
    endedAt: state.endedAt.toISOString(),
    workers: config.workers,
    source: config.source.name,
    sink: config.sink.name,
    timeBase: state.timeBase ?? 'observed by cdcb (no target timestamp)',
    slo: { passed: sloPassed, checks },
    metrics,
    ...(corrected ? { corrected } : {}),
    rate: {
      target: targetRate === null ? null : round(targetRate),
      sent: round(sentRate),
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
    phases: state.phases,
    errors: [...state.errors, ...(state.pipeline?.errors ?? [])],
    verification: state.verification,
    warnings: [
      ...warningsFor(state, { events, targetRate, sentRate, metrics, stoppedBy, drainCut }),
      ...state.faultWarnings,
      ...scenario.warnings,
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
function scenarioOf(config: ResolvedConfig, faults: readonly FaultRecord[], series: readonly BacklogPoint[]) {
  const warmupSeconds = config.load.warmupMicros / 1e6
  const measured = series.filter((p) => p.t > warmupSeconds)
  const backlogMax = measured.length > 0 ? Math.max(...measured.map((p) => p.backlog)) : null
  const episodes: Episode[] = faults
    .filter((f) => f.startedAt !== null)
    .map((f) => ({ label: `fault ${f.name}`, start: f.startedAt!, end: f.endedAt ?? f.startedAt! }))
  if (config.load.model === 'open') {
    const stages = config.load.schedule.segments.map((s) => ({
      seconds: s.durationMicros / 1e6,
      rate: s.fromRate === s.toRate ? s.fromRate : undefined,
    }))
    episodes.push(...burstsOf(stages))
  }
  episodes.sort((a, b) => a.start - b.start)
  const recovery = episodes.map((episode) =>
    measureRecovery(series, episode, {
      baselineSeconds: config.recovery.baselineSeconds,
      latencyFactor: config.recovery.latencyFactor,
    }),
  )
  const never = recovery.filter((r) => r.time === null)
  const warnings = never.map(
    (r) =>
      `${r.label} (${r.start.toFixed(1)}–${r.end.toFixed(1)}s): the backlog and e2e p99 never came back to their level before it within the run`,
  )
  const recoveryTimeMs =
    recovery.length === 0 || never.length > 0 ? null : Math.max(...recovery.map((r) => r.time!)) * 1e3
  return { recovery, backlogMax, recoveryTimeMs, warnings }
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
      `drain: ${derived.stoppedBy} cut the drain short after ${waited.toFixed(1)}s; ${state.unseenAcked} acknowledged events not yet seen are unresolved, not lost`,
    )
  }
  if (events.lost > 0) {
    warnings.push(
      `${events.lost} acknowledged events were not seen within the drain (${(phase('drain')?.seconds ?? 0).toFixed(1)}s of load.drainTimeout ${config.load.drainTimeoutMicros / 1e6}s) and count as lost (if the pipeline is only slow, a longer load.drainTimeout tells them apart); first seqs: ${state.unseenSample.join(', ')}`,
    )
  }
  if (phase('close')?.outcome === 'deadline') {
    warnings.push(
      `close: the workers did not stop their sinks and close within ${phase('close')!.seconds.toFixed(0)}s (deadline) and were terminated; their counters are as of their last snapshot`,
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
  if (config.load.model === 'closed') {
    warnings.push(
      'closed model (load.concurrency): coordinated omission applies — while the target stalls, writers send nothing, so a stall shows in few samples; see the corrected latencies',
    )
  }
  return warnings
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
    e2e: latencies.e2e.correctedFor(expected).summary(),
    ack: latencies.ack.correctedFor(expected).summary(),
  }
}

function summarize(set: RecorderSet): LatencySummaries {
  return Object.fromEntries(LATENCY_METRICS.map((m) => [m, set[m].summary()])) as LatencySummaries
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
