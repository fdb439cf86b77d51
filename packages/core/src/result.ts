/**
 * The shapes reporters receive: a snapshot every interval, and the result at the
 * end. `RunResult` is also what `--out result.json` writes (schemaVersion 1,
 * documented in docs/result-schema.md): latencies in milliseconds, rates in events/s.
 */

import type { FaultRecord } from './scenarios/faults.js'
import type { Recovery } from './scenarios/recovery.js'

export type { FaultRecord, Recovery }

/** The latency metrics cdcb records, each in its own HDR histogram (docs/architecture.md, "Time bases"). */
export const LATENCY_METRICS = ['e2e', 'ack', 'lag', 'detect'] as const
export type LatencyMetric = (typeof LATENCY_METRICS)[number]

/**
 * Percentiles of one histogram, in milliseconds; null when nothing was recorded
 * (unknown, never 0). Samples the histogram cannot hold are counted, not clamped.
 */
export interface LatencySummary {
  readonly count: number
  readonly p50: number | null
  readonly p95: number | null
  readonly p99: number | null
  readonly p999: number | null
  readonly max: number | null
  readonly mean: number | null
  /** Samples below zero beyond the stamps' resolution (clock skew between cdcb and the target); not in the percentiles. */
  readonly belowZero: number
  /** Samples above the histogram's range (one hour); not in the percentiles. */
  readonly aboveRange: number
}

export type LatencySummaries = Readonly<Record<LatencyMetric, LatencySummary>>

/** Event counters over the whole run, warmup included (rates and SLO percentages use `RunResult.window`). */
export interface EventCounts {
  /** Operations handed to the source. */
  readonly sent: number
  /** Operations the source acknowledged. */
  readonly acked: number
  /** Distinct operations of this run seen at the far end. */
  readonly observed: number
  /** Writes handed to the source and neither acknowledged nor failed yet. */
  readonly inFlight: number
  /** Observations carrying this run's marker with a seq the run never planned: counted here, never as the run's. */
  readonly foreign: number
  readonly duplicates: number
  readonly outOfOrder: number
  /** Operations sent later than `load.lateAfter` after their intended time. */
  readonly late: number
  /** Operations whose write failed. */
  readonly errors: number
  /** Records that carried this run's marker but failed a check (bad digest, unreadable). */
  readonly corrupt: number
  /**
   * Acknowledged but not observed after a drain that ended quiet (every event
   * seen, or nothing arriving for the quiet period before load.drainTimeout
   * ended). Null when loss is unknown: live, before the drain is over; when an
   * interrupt or abortOnFail cut the drain short; or when the drain timed out
   * while deliveries were still arriving (those events are `unresolved`).
   */
  readonly lost: number | null
  /**
   * Events whose fate cdcb could not wait for: writes still unsettled at the
   * in-flight deadline, and acknowledged events unseen when an interrupt or
   * abortOnFail cut the drain short, or when the drain timed out while they
   * were still arriving. Never counted as lost.
   */
  readonly unresolved: number
}

export interface ErrorCount {
  readonly kind: string
  readonly count: number
  readonly lastMessage: string
}

export type Phase = 'starting' | 'warmup' | 'measure' | 'drain' | 'verify' | 'done'

/** One SLO expression and its current value. */
export interface SloCheck {
  readonly expression: string
  /** The measured value in the metric's base unit (ms for latencies, events/s, %, counts); null when not measured. */
  readonly actual: number | null
  /** `unit` of `actual` and `threshold`: "ms", "/s", "%" or "" for counts. */
  readonly unit: string
  /** The expression's threshold in `unit`. */
  readonly threshold: number
  /** True only when the check was measured and held. */
  readonly passed: boolean
  /** `skipped`: the run never measured it (interrupted, drain cut short); neither passed nor failed. */
  readonly status: 'passed' | 'failed' | 'skipped'
  /** Why it was skipped, or what qualifies the actual (samples out of range, a default check). */
  readonly note?: string
  /** A windowed check (`e2e.p99[1m] < 2s`): its windows; `actual` is then the worst window's figure. */
  readonly windows?: SloWindowReport
}

/** How a windowed check fared in each window of the measured run (windows start at its start). */
export interface SloWindowReport {
  /** Window length, seconds. */
  readonly seconds: number
  /** Windows evaluated, the last possibly partial. */
  readonly count: number
  /** Windows in which the check did not hold (a window with no data is unknown: counted in `noData`, not here). */
  readonly failed: number
  /** True when the last window was shorter than `seconds` (the measured run is not a whole number of windows). */
  readonly lastPartial: boolean
  /** The figure furthest from holding over the windows with data, in the check's unit; null when none had data. */
  readonly worst: number | null
  /** Windows without a figure (no sample, no operation): unknown; with no failed window, the check is skipped, not passed. */
  readonly noData: number
  /** The failing windows in order, at most the first 100: start and end in seconds from the measured window's start. */
  readonly failing: readonly {
    readonly start: number
    readonly end: number
    readonly actual: number | null
    readonly partial?: true
  }[]
}

/** What reporters receive every interval. */
export interface RunSnapshot {
  readonly runId: string
  readonly phase: Phase
  /** Seconds since the schedule started. */
  readonly elapsedSeconds: number
  /** Fraction of the load phase done (warmup + measure), 0..1. */
  readonly progress: number
  readonly rate: {
    /**
     * What the schedule planned over the last interval (events/s); 0 outside the
     * load phases; `null` in the closed model, which has no target.
     */
    readonly target: number | null
    /** Operations sent per second over the last interval. */
    readonly sent: number
    /** Distinct events observed at the sink per second over the last interval. */
    readonly achieved: number
  }
  /** Latencies over the last interval. */
  readonly interval: LatencySummaries
  /** Latencies over the measured window so far (warmup excluded). */
  readonly total: LatencySummaries
  /**
   * Hops of measured-window events, in pipeline order, when the sink declares
   * stamps (absent or empty otherwise): the last interval's and the run's so far.
   */
  readonly hops?: readonly LiveHop[]
  readonly events: EventCounts
  /** Share of sent operations that were late over the whole run, 0..1. */
  readonly lateShare: number
  readonly errors: readonly ErrorCount[]
  readonly slo: readonly SloCheck[]
}

/** One hop in a live snapshot: `from` → `to` (`intended` is cdcb's intended time), latencies in ms. */
export interface LiveHop {
  readonly name: string
  readonly from: string
  readonly to: string
  readonly interval: LatencySummary
  readonly total: LatencySummary
}

/** One row of the per-interval time series in the result. */
export interface IntervalPoint {
  readonly t: number
  readonly phase: Phase
  /** The schedule's rate for the interval; null in a closed model (`load.concurrency`), which plans none. */
  readonly targetRate: number | null
  readonly sentRate: number
  readonly achievedRate: number
  /** Latencies of the interval, ms; null when nothing was recorded in it, and in a merged result's rows that added several inputs (per-interval histograms are not kept). */
  readonly e2eP50: number | null
  readonly e2eP99: number | null
  readonly lagP99: number | null
  readonly inFlight: number
  readonly errors: number
}

/** One hop between two stamps the events carried (plugin.ts `StampInfo`), over the measured window. */
export interface HopSummary {
  /** As SLOs name it: `hop.<name>.p99`. */
  readonly name: string
  /** The stamp it starts at (`intended` for cdcb's intended time) and the one it ends at. */
  readonly from: string
  readonly to: string
  readonly description: string
  /** The coarser resolution of its two stamps, µs; percentiles are no finer than this. */
  readonly resolutionMicros: number
  /** Samples below zero (the two stamps' clocks disagree by more than the hop), left out of the histogram. */
  readonly belowZero: number
  readonly latency: LatencySummary
  /** HDR compressed base64 of microsecond values, like `histograms`. */
  readonly histogram: string
}

/** Something a `pipeline` part reported during the run (plugin.ts `PipelineEvents`). */
export interface PipelineEvent {
  /** Seconds since the schedule started; null when it happened before (during setup). */
  readonly t: number | null
  readonly kind: string
  readonly message: string
  /** `failure` (`events.fail`) fails the run; `error` counts in `errors[]`; `event` is for information. */
  readonly severity: 'event' | 'error' | 'failure'
}

/** What the run's `pipeline` part saw. */
export interface PipelineReport {
  /** The plugin in the `pipeline` slot. */
  readonly name: string
  /** Whether it reported a failure; the run's status is then `failed`. */
  readonly failed: boolean
  /** Every event reported; `events` keeps the first 200 of them. */
  readonly eventCount: number
  readonly events: readonly PipelineEvent[]
}

/** One phase of the run's lifecycle as it really ran (docs/architecture.md, "Lifecycle"). */
export interface PhaseRecord {
  readonly name: 'prepare' | 'ready' | 'load' | 'inFlight' | 'drain' | 'close' | 'teardown'
  /** Seconds it took. */
  readonly seconds: number
  /** `done`: finished; `deadline`: its deadline passed; `stopped`: cut short by Ctrl-C or abortOnFail. */
  readonly outcome: 'done' | 'deadline' | 'stopped'
}

export type RunStatus = 'passed' | 'failed' | 'interrupted' | 'error'

/** The final result of a run, as `--out` writes it. */
export interface RunResult {
  readonly schemaVersion: 1
  readonly runId: string
  readonly name: string
  readonly status: RunStatus
  readonly exitCode: 0 | 1 | 3 | 130
  /** Why the run ended early or failed, when it did. */
  readonly reason?: string
  readonly startedAt: string
  readonly endedAt: string
  /**
   * This process's shard of a run split across processes (`--shard INDEX/COUNT`);
   * absent for a run in one process and for a merged result.
   */
  readonly shard?: { readonly index: number; readonly count: number }
  /**
   * When the schedule started. `requested`: `--start-at` (ISO 8601; null
   * without it); `actual`/`actualMicros`: when this process's clock passed the
   * start with its workers told (ISO 8601, epoch µs); `lateMs`: actual − requested.
   */
  readonly start?: {
    readonly requested: string | null
    readonly actual: string
    readonly actualMicros: number
    readonly lateMs: number | null
  }
  readonly workers: number
  readonly source: string
  readonly sink: string
  /** Which clock `committedAt` came from, as the sink says. */
  readonly timeBase: string
  /**
   * `passed`: every judged check held and the run finished — never true for an interrupted run, whose
   * checks could not all be judged; `note` then says why it did not pass.
   */
  readonly slo: { readonly passed: boolean; readonly checks: readonly SloCheck[]; readonly note?: string }
  /** Latencies over the measured window, milliseconds. */
  readonly metrics: LatencySummaries
  readonly rate: {
    /** Planned operations per second over the measured window; null in the closed model (no plan). */
    readonly target: number | null
    /** Operations sent while the measured window was open, per second of the window; null when the window is empty (a run stopped in its warmup). */
    readonly sent: number | null
    /**
     * Distinct deliveries of the events intended in the measured window, per second of
     * the span in which they were delivered (at least the window); null when none arrived.
     */
    readonly achieved: number | null
  }
  /** Counts over the measured window: operations intended in it (open model) or started in it (closed). */
  readonly window: {
    readonly sent: number
    readonly errors: number
    readonly late: number
    readonly observed: number
    /** Seconds from the first to the last delivery of those events; null when none arrived. */
    readonly deliverySeconds: number | null
  }
  /** Closed model only: latencies corrected for coordinated omission (HdrHistogram's expected-interval correction). */
  readonly corrected?: {
    /** Expected interval between one writer's operations, ms: the median ack latency. */
    readonly expectedIntervalMs: number
    readonly e2e: LatencySummary
    readonly ack: LatencySummary
  }
  readonly events: EventCounts
  /** Operations the schedule generated over the whole run, by kind (what the source was asked to write). */
  readonly operations: { readonly insert: number; readonly update: number; readonly delete: number }
  /** Share of operations sent late, 0..1. */
  readonly lateShare: number
  /** Length of the measured window: the planned one, or up to the interrupt. */
  readonly measuredSeconds: number
  /**
   * The seed the run's keys, operation mix, payloads and memory-pipeline faults came from (the
   * config's `load.seed`, or the one drawn for it): `--seed` with it repeats the plan exactly.
   * Absent in merged results whose inputs differ, and in older results.
   */
  readonly seed?: number
  /** The lifecycle phases after the schedule started, with how each ended. */
  readonly phases: readonly PhaseRecord[]
  readonly errors: readonly ErrorCount[]
  readonly verification: {
    readonly checked: number
    readonly mismatched: number
    /** Keys not verified because a write to them failed, so their final state is unknown. */
    readonly skipped: number
    readonly mismatches: readonly { key: number; problem: string; detail?: string }[]
    /**
     * Why verification did not happen: the verifier failed (e.g. could not reach its server), so the
     * counts cover only workers whose verifier finished (0 when none did). Absent when it ran.
     */
    readonly error?: string
  } | null
  /** Notes on the run's honesty: saturation, late share, drain timeouts. */
  readonly warnings: readonly string[]
  readonly intervals: readonly IntervalPoint[]
  /** Final histograms, HDR compressed base64 of microsecond values, so runs can be merged later. */
  readonly histograms: Readonly<Record<LatencyMetric, string>>
  /** Where the time went, hop by hop, when the sink reads stamps along the pipeline; empty otherwise. */
  readonly hops: readonly HopSummary[]
  /** The `pipeline` part's events and whether it failed; null without one. */
  readonly pipeline: PipelineReport | null
  /** Highest backlog (events sent − failed − observed) at an interval's end after the warmup; null before any interval. */
  readonly backlogMax: number | null
  /** Each planned fault: when it started and ended (seconds from the schedule's start), or why it failed. */
  readonly faults: readonly FaultRecord[]
  /** Recovery after each fault that started and each burst of the schedule; see `Recovery`. */
  readonly recovery: readonly Recovery[]
  /** What each plugin part reported of itself (`Source.stats`, `Sink.stats`), summed over workers. */
  readonly plugins: { readonly source: Record<string, number>; readonly sink: Record<string, number> }
  /**
   * The config that shaped the load, secrets redacted; absent in results written before it was recorded, and
   * in a merged result whose inputs' configs differ (each input's is then in `mergedFrom[].config`).
   */
  readonly config?: ConfigDescription
  /** Where the run's main process ran; absent in results written before it was recorded. */
  readonly machine?: MachineDescription
  /** Set by `cdcb merge`: the results it added up, in the order given. */
  readonly mergedFrom?: readonly MergedPart[]
  /**
   * Set by `cdcb merge` of a run's shards: the run's shard count and how far
   * apart (ms, by each shard's own clock) the shards actually started.
   */
  readonly shards?: { readonly count: number; readonly actualStartSpreadMs: number | null }
}

/** A plugin as configured: its name and options, secret-looking values replaced by "***". */
export interface PluginDescription {
  readonly name: string
  readonly options: Record<string, unknown>
}

/** The parts of the config that decide what a run measured (`result.config`); durations in seconds. */
export interface ConfigDescription {
  readonly name: string
  readonly source: PluginDescription
  readonly sink: PluginDescription
  readonly verify: PluginDescription | null
  readonly workers: number
  readonly intervalSeconds: number
  readonly slo: readonly string[]
  readonly abortOnFail: boolean
  /** The `pipeline` part, null without one; absent in results written before it was recorded. */
  readonly pipeline?: PluginDescription | null
  /** The planned faults (seconds from the schedule's start), in the config's order; absent in older results. */
  readonly faults?: readonly FaultDescription[]
  readonly load: {
    readonly model: 'open' | 'closed'
    /** The schedule, warmup included: each stage holds or ramps from `fromRate` to `toRate` events/s. */
    readonly stages: readonly { seconds: number; fromRate: number; toRate: number }[]
    readonly warmupSeconds: number
    readonly totalSeconds: number
    readonly concurrency: number
    readonly maxInFlight: number
    readonly batchSize: number
    readonly mix: Readonly<Record<string, number>>
    readonly keys: number
    readonly payloadSize: number
    readonly seed: number
    readonly drainTimeoutSeconds: number
    readonly lateAfterMs: number
  }
}

/** A planned fault as the config gave it (`result.config.faults[]`), secrets in its action redacted. */
export interface FaultDescription {
  readonly name: string
  readonly at: number
  /** How long it lasts before its undo; null when it is never undone. */
  readonly for: number | null
  readonly action: Record<string, unknown>
}

/** The machine a run ran on (`result.machine`). */
export interface MachineDescription {
  readonly hostname: string
  /** `os.platform()` and `os.release()`. */
  readonly platform: string
  readonly arch: string
  readonly cpus: number
  readonly cpuModel: string
  readonly memoryGiB: number
  readonly node: string
  /** @cdcb/core's version. */
  readonly cdcb: string
}

/** One input of a merged result (`result.mergedFrom[]`). */
export interface MergedPart {
  readonly file: string
  readonly runId: string
  /** The input's shard (`"1/3"`), when it was one. */
  readonly shard?: string
  /** When the input was itself a merge: the run ids it counts, at any depth (a later merge refuses any of them twice). */
  readonly runs?: readonly string[]
  /** The input's config, when the inputs' configs differ (the merged result then has none of its own). */
  readonly config?: ConfigDescription
  /** The input's `load.seed`, when the inputs are not shards and differ only in it (the merged config is then the first's). */
  readonly seed?: number
  readonly startedAt: string
  readonly status: RunStatus
  readonly machine?: string
}
