/**
 * The main thread's view of a run: merges the workers' snapshots losslessly
 * (histograms are added, never averaged) into what reporters see.
 */
import type { ResolvedConfig } from '../config/resolve-config.js'
import { rateAt } from '../load/schedule.js'
import { createRecorderSet, type RecorderSet } from '../metrics/recorder.js'
import {
  type ErrorCount,
  type EventCounts,
  type IntervalPoint,
  LATENCY_METRICS,
  type LatencyMetric,
  type LatencySummaries,
  type Phase,
  type RunSnapshot,
  type SloCheck,
} from '../result.js'
import { evaluateSlo, type SloInputs } from '../slo/evaluate.js'
import type { Statistic } from '../slo/parser.js'
import type { ErrorTally, WorkerCounters, WorkerMessage } from './messages.js'

type SnapshotMessage = Extract<WorkerMessage, { type: 'snapshot' }>

const STATISTIC_PERCENTILE: Partial<Record<Statistic, number>> = {
  p50: 50,
  p90: 90,
  p95: 95,
  p99: 99,
  p999: 99.9,
}

export class Aggregator {
  /** Measured-window latencies since the start. */
  readonly total: RecorderSet = createRecorderSet()
  /** All latencies since the last tick (warmup included), for the live view. */
  private readonly interval: RecorderSet = createRecorderSet()
  private readonly counters = new Map<number, WorkerCounters>()
  private readonly errorsByShard = new Map<number, readonly ErrorTally[]>()
  private previous = { at: 0, sent: 0, observed: 0 }
  readonly intervals: IntervalPoint[] = []
  lost = 0
  verification: { checked: number; mismatched: number } | null = null
  /** Set at the end of the run, from the backlog series and the faults. */
  scenario: SloInputs['scenario'] = null

  constructor(private readonly config: ResolvedConfig) {}

  /** Adds one worker's snapshot. */
  add(message: SnapshotMessage): void {
    for (const metric of LATENCY_METRICS) {
      const measured = message.measured[metric]
      const warmup = message.warmup[metric]
      if (measured) {
        this.total[metric].addSparse(measured)
        this.interval[metric].addSparse(measured)
      }
      if (warmup) this.interval[metric].addSparse(warmup)
    }
    this.counters.set(message.shard, message.counters)
    this.errorsByShard.set(message.shard, message.errors)
  }

  /** Sum of one counter over all workers. */
  sum(counter: keyof WorkerCounters): number {
    let total = 0
    for (const c of this.counters.values()) total += c[counter]
    return total
  }

  /** Highest seq + 1 any worker assigned. */
  seqLimit(): number {
    let limit = 0
    for (const c of this.counters.values()) limit = Math.max(limit, c.seqLimit)
    return limit
  }

  events(): EventCounts {
    return {
      sent: this.sum('sent'),
      acked: this.sum('acked'),
      observed: this.sum('observed'),
      inFlight: this.sum('inFlight'),
      duplicates: this.sum('duplicates'),
      outOfOrder: this.sum('outOfOrder'),
      late: this.sum('late'),
      errors: this.sum('errors'),
      corrupt: this.sum('corrupt'),
      lost: this.lost,
    }
  }

  errors(): ErrorCount[] {
    const merged = new Map<string, ErrorCount>()
    for (const tallies of this.errorsByShard.values()) {
      for (const t of tallies) {
        const before = merged.get(t.kind)
        merged.set(t.kind, {
          kind: t.kind,
          count: (before?.count ?? 0) + t.count,
          lastMessage: t.lastMessage,
        })
      }
    }
    return [...merged.values()].sort((a, b) => b.count - a.count)
  }

  sloInputs(measuredSeconds: number): SloInputs {
    return {
      latency: (name, statistic) => {
        const recorder = this.total[name as LatencyMetric]
        if (!recorder || recorder.count === 0) return null
        const micros =
          statistic === 'max'
            ? recorder.max
            : statistic === 'mean'
              ? recorder.mean
              : recorder.valueAtPercentile(STATISTIC_PERCENTILE[statistic]!)
        return micros / 1e3
      },
      events: this.events(),
      achievedRate: measuredSeconds > 0 ? this.sum('observedInWindow') / measuredSeconds : 0,
      verification: this.verification,
      scenario: this.scenario,
    }
  }

  evaluate(measuredSeconds: number): SloCheck[] {
    return evaluateSlo(this.config.slo, this.sloInputs(measuredSeconds))
  }

  /** Builds the live snapshot for the interval that just ended and starts a new one. */
  tick(runId: string, phase: Phase, startAt: number, now: number): RunSnapshot {
    const { load } = this.config
    const elapsedMicros = Math.max(0, now - startAt)
    const seconds = (now - (this.previous.at || startAt)) / 1e6
    const sent = this.sum('sent')
    const observed = this.sum('observed')
    const sentRate = seconds > 0 ? (sent - this.previous.sent) / seconds : 0
    const achievedRate = seconds > 0 ? (observed - this.previous.observed) / seconds : 0
    this.previous = { at: now, sent, observed }
    const targetRate =
      load.model === 'open' && (phase === 'warmup' || phase === 'measure')
        ? rateAt(load.schedule, elapsedMicros)
        : 0
    const interval = summarize(this.interval)
    for (const metric of LATENCY_METRICS) this.interval[metric].reset()
    const events = this.events()
    const measuredSeconds = Math.max(0, Math.min(elapsedMicros, load.totalMicros) - load.warmupMicros) / 1e6
    const snapshot: RunSnapshot = {
      runId,
      phase,
      elapsedSeconds: elapsedMicros / 1e6,
      progress: Math.min(1, elapsedMicros / load.totalMicros),
      rate: { target: targetRate, sent: sentRate, achieved: achievedRate },
      interval,
      total: summarize(this.total),
      events,
      lateShare: events.sent ? events.late / events.sent : 0,
      errors: this.errors(),
      slo: this.evaluate(measuredSeconds),
    }
    this.intervals.push({
      t: round(elapsedMicros / 1e6),
      phase,
      targetRate: round(targetRate),
      sentRate: round(sentRate),
      achievedRate: round(achievedRate),
      e2eP50: interval.e2e.p50,
      e2eP99: interval.e2e.p99,
      lagP99: interval.lag.p99,
      inFlight: events.inFlight,
      errors: events.errors,
    })
    return snapshot
  }

  encodedTotals(): Record<LatencyMetric, string> {
    return Object.fromEntries(LATENCY_METRICS.map((m) => [m, this.total[m].encode()])) as Record<
      LatencyMetric,
      string
    >
  }
}

function summarize(set: RecorderSet): LatencySummaries {
  return Object.fromEntries(LATENCY_METRICS.map((m) => [m, set[m].summary()])) as LatencySummaries
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
