/**
 * The shapes reporters receive: a snapshot every interval, and the result at the
 * end. `RunResult` is also what `--out result.json` writes (schemaVersion 1,
 * documented in docs/result-schema.md): latencies in milliseconds, rates in events/s.
 */

import type { FaultRecord } from './scenarios/faults.js'
import type { Recovery } from './scenarios/recovery.js'

export type { FaultRecord, Recovery }

/** The latency metrics cdcb records, each in its own HDR histogram (DESIGN.md, Measurement). */
export const LATENCY_METRICS = ['e2e', 'ack', 'lag', 'detect'] as const
export type LatencyMetric = (typeof LATENCY_METRICS)[number]

/** Percentiles of one histogram, in milliseconds; all zero with `count` 0 when nothing was recorded. */
export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly p999: number
  readonly max: number
  readonly mean: number
}

export type LatencySummaries = Readonly<Record<LatencyMetric, LatencySummary>>

/** Event counters, cumulative over the run (warmup included for loss; see `measured` for the rest). */
export interface EventCounts {
  /** Operations handed to the source. */
  readonly sent: number
  /** Operations the source acknowledged. */
  readonly acked: number
  /** Distinct operations seen at the far end. */
  readonly observed: number
  readonly inFlight: number
  readonly duplicates: number
  readonly outOfOrder: number
  /** Operations sent later than `load.lateAfter` after their intended time. */
  readonly late: number
  /** Operations whose write failed. */
  readonly errors: number
  /** Records that carried this run's marker but failed a check (bad digest, unreadable). */
  readonly corrupt: number
  /** Acknowledged but never observed; only final after the drain (0 before). */
  readonly lost: number
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
  /** The measured value in the expression's unit (ms for latencies, events/s, %, counts); null when not measurable yet. */
  readonly actual: number | null
  readonly passed: boolean
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
    /** The schedule's rate now (events/s); 0 in the closed model. */
    readonly target: number
    /** Operations sent per second over the last interval. */
    readonly sent: number
    /** Distinct events observed at the sink per second over the last interval. */
    readonly achieved: number
  }
  /** Latencies over the last interval. */
  readonly interval: LatencySummaries
  /** Latencies over the measured window so far (warmup excluded). */
  readonly total: LatencySummaries
  readonly events: EventCounts
  /** Share of sent operations that were late over the whole run, 0..1. */
  readonly lateShare: number
  readonly errors: readonly ErrorCount[]
  readonly slo: readonly SloCheck[]
}

/** One row of the per-interval time series in the result. */
export interface IntervalPoint {
  readonly t: number
  readonly phase: Phase
  readonly targetRate: number
  readonly sentRate: number
  readonly achievedRate: number
  readonly e2eP50: number
  readonly e2eP99: number
  readonly lagP99: number
  readonly inFlight: number
  readonly errors: number
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
  readonly workers: number
  readonly source: string
  readonly sink: string
  /** Which clock `committedAt` came from, as the sink says. */
  readonly timeBase: string
  readonly slo: { readonly passed: boolean; readonly checks: readonly SloCheck[] }
  /** Latencies over the measured window, milliseconds. */
  readonly metrics: LatencySummaries
  readonly rate: {
    /** Planned operations per second over the measured window. */
    readonly target: number
    /** Operations sent per second over the measured window. */
    readonly sent: number
    /** Distinct events observed at the sink per second over the measured window. */
    readonly achieved: number
  }
  readonly events: EventCounts
  /** Operations the schedule generated, by kind (what the source was asked to write). */
  readonly operations: { readonly insert: number; readonly update: number; readonly delete: number }
  /** Share of operations sent late, 0..1. */
  readonly lateShare: number
  readonly measuredSeconds: number
  readonly errors: readonly ErrorCount[]
  readonly verification: {
    readonly checked: number
    readonly mismatched: number
    /** Keys not verified because a write to them failed, so their final state is unknown. */
    readonly skipped: number
    readonly mismatches: readonly { key: number; problem: string; detail?: string }[]
  } | null
  /** Notes on the run's honesty: saturation, late share, drain timeouts. */
  readonly warnings: readonly string[]
  readonly intervals: readonly IntervalPoint[]
  /** Final histograms, HDR compressed base64 of microsecond values, so runs can be merged later. */
  readonly histograms: Readonly<Record<LatencyMetric, string>>
  /** Highest backlog (events sent − failed − observed) at an interval's end after the warmup; null before any interval. */
  readonly backlogMax: number | null
  /** Each planned fault: when it started and ended (seconds from the schedule's start), or why it failed. */
  readonly faults: readonly FaultRecord[]
  /** Recovery after each fault that started and each burst of the schedule; see `Recovery`. */
  readonly recovery: readonly Recovery[]
  /** What each plugin part reported of itself (`Source.stats`, `Sink.stats`), summed over workers. */
  readonly plugins: { readonly source: Record<string, number>; readonly sink: Record<string, number> }
}
