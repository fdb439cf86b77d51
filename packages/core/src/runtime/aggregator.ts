/**
 * The main thread's view of a run: merges the workers' snapshots losslessly
 * (histograms are added, never averaged) into what reporters see.
 */
import type { ResolvedConfig } from '../config/resolve-config.js'
import { plannedBetween } from '../load/schedule.js'
import { shardRateNote } from '../load/shard.js'
import { HopTotals } from '../metrics/hops.js'
import { createRecorderSet, type Recorder, type RecorderSet } from '../metrics/recorder.js'
import {
  type ErrorCount,
  type EventCounts,
  type IntervalPoint,
  LATENCY_METRICS,
  type LatencyMetric,
  type LatencySummaries,
  type Phase,
  type RunSnapshot,
} from '../result.js'
import { evaluateSlo, type LatencyValue, type SloInputs } from '../slo/evaluate.js'
import type { Statistic } from '../slo/parser.js'
import { SloWindows } from '../slo/windows.js'
import type { ErrorTally, WorkerCounters, WorkerMessage } from './messages.js'

type SnapshotMessage = Extract<WorkerMessage, { type: 'snapshot' }>

const STATISTIC_PERCENTILE: Partial<Record<Statistic, number>> = {
  p50: 50,
  p90: 90,
  p95: 95,
  p99: 99,
  p999: 99.9,
}

/** Counters summed over workers, with the measured window's delivery span merged (min of firsts, max of lasts). */
export type CounterTotals = Readonly<WorkerCounters>

export class Aggregator {
  /** Measured-window latencies since the start. */
  readonly total: RecorderSet = createRecorderSet()
  /** Measured-window hops, when the sink reads stamps along the pipeline. */
  readonly hops = new HopTotals()
  /** All latencies since the last tick (warmup included), for the live view. */
  private readonly interval: RecorderSet = createRecorderSet()
  /** Measured-window hops since the last tick, for the live view. */
  private readonly intervalHops = new HopTotals()
  private readonly counters = new Map<number, WorkerCounters>()
  private readonly errorsByShard = new Map<number, readonly ErrorTally[]>()
  /** The last tick: when, the counters then, and the interval boundary (µs since the start) they were counted to. */
  private previous = { at: 0, sent: 0, observed: 0, boundary: 0 }
  readonly intervals: IntervalPoint[] = []

  /** Windowed SLOs' figures, window by window (nothing kept when the config has none). */
  readonly windows: SloWindows

  constructor(private readonly config: ResolvedConfig) {
    const { load } = config
    this.windows = new SloWindows(
      config.slo,
      load.totalMicros - load.warmupMicros,
      config.intervalMicros,
      config.workers,
      this.hops,
      latencyValue,
    )
  }

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
    this.hops.add(message.hops)
    if (message.hops && this.intervalHops.declared.length === 0) this.intervalHops.declare(this.hops.declared)
    this.intervalHops.add(message.hops)
    if (this.windows.active) {
      const before = this.counters.get(message.shard)
      const grown = (counter: keyof WorkerCounters) => message.counters[counter] - (before?.[counter] ?? 0)
      this.windows.add(message.shard, {
        sinceMeasureStart: message.sinceMeasureStart,
        latencies: message.measured,
        hops: message.hops,
        sent: grown('sentMeasured'),
        errors: grown('errorsMeasured'),
        late: grown('lateMeasured'),
        delivered: grown('observed'),
      })
    }
    this.counters.set(message.shard, message.counters)
    this.errorsByShard.set(message.shard, message.errors)
  }

  /** Every counter summed over the workers' latest snapshots. */
  totals(): CounterTotals {
    const sum = (counter: keyof WorkerCounters) => {
      let total = 0
      for (const c of this.counters.values()) total += c[counter]
      return total
    }
    let first = Number.POSITIVE_INFINITY
    let last = Number.NEGATIVE_INFINITY
    let seqLimit = 0
    let firstIntended = Number.POSITIVE_INFINITY
    let lastIntended = Number.NEGATIVE_INFINITY
    for (const c of this.counters.values()) {
      first = Math.min(first, c.firstMeasuredSeenAt)
      last = Math.max(last, c.lastMeasuredSeenAt)
      firstIntended = Math.min(firstIntended, c.firstMeasuredSeenIntended)
      lastIntended = Math.max(lastIntended, c.lastMeasuredSeenIntended)
      seqLimit = Math.max(seqLimit, c.seqLimit)
    }
    return {
      sent: sum('sent'),
      acked: sum('acked'),
      errors: sum('errors'),
      observed: sum('observed'),
      duplicates: sum('duplicates'),
      outOfOrder: sum('outOfOrder'),
      late: sum('late'),
      corrupt: sum('corrupt'),
      inFlight: sum('inFlight'),
      foreign: sum('foreign'),
      sentMeasured: sum('sentMeasured'),
      errorsMeasured: sum('errorsMeasured'),
      lateMeasured: sum('lateMeasured'),
      sentMeasuredInTime: sum('sentMeasuredInTime'),
      observedMeasured: sum('observedMeasured'),
      firstMeasuredSeenAt: first,
      lastMeasuredSeenAt: last,
      firstMeasuredSeenIntended: firstIntended,
      lastMeasuredSeenIntended: lastIntended,
      seqLimit,
      inserts: sum('inserts'),
      updates: sum('updates'),
      deletes: sum('deletes'),
      insertsAsUpdates: sum('insertsAsUpdates'),
      changesAsInserts: sum('changesAsInserts'),
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

  /** Builds the live snapshot for the interval that just ended and starts a new one. */
  tick(runId: string, phase: Phase, startAt: number, now: number): RunSnapshot {
    const { load } = this.config
    const elapsedMicros = Math.max(0, now - startAt)
    const seconds = (now - (this.previous.at || startAt)) / 1e6
    const totals = this.totals()
    const sentRate = seconds > 0 ? (totals.sent - this.previous.sent) / seconds : 0
    const achievedRate = seconds > 0 ? (totals.observed - this.previous.observed) / seconds : 0
    // Workers count to the interval boundary and the main thread ticks a little after it, so the target is what
    // the schedule planned between the same two boundaries — not the rate planned at the tick (an interval ahead
    // at every step of a staged plan).
    const period = this.config.intervalMicros
    const boundary = Math.floor(elapsedMicros / period) * period
    const boundarySeconds = (boundary - this.previous.boundary) / 1e6
    const targetRate =
      load.model === 'closed'
        ? null // writers send as acks come back: there is no target to show, not a target of 0
        : (phase === 'warmup' || phase === 'measure') && boundarySeconds > 0
          ? plannedBetween(load.schedule, this.previous.boundary, boundary) /
            boundarySeconds /
            (this.config.shard?.count ?? 1) // a shard's share
          : 0
    this.previous = { at: now, sent: totals.sent, observed: totals.observed, boundary }
    const interval = summarize(this.interval)
    for (const metric of LATENCY_METRICS) this.interval[metric].reset()
    if (this.intervalHops.declared.length === 0) this.intervalHops.declare(this.hops.declared)
    const totalHops = this.hops.live()
    const hops = this.intervalHops.live().map((hop, i) => ({
      name: hop.name,
      from: hop.from,
      to: hop.to,
      interval: hop.latency,
      total: totalHops[i]!.latency,
    }))
    this.intervalHops.reset()
    const events = liveEvents(totals)
    const measuredMicros = Math.max(0, Math.min(elapsedMicros, load.totalMicros) - load.warmupMicros)
    if (phase === 'measure') this.windows.loadRunning(measuredMicros)
    const snapshot: RunSnapshot = {
      runId,
      phase,
      elapsedSeconds: elapsedMicros / 1e6,
      progress: Math.min(1, elapsedMicros / load.totalMicros),
      rate: { target: targetRate, sent: sentRate, achieved: achievedRate },
      interval,
      total: summarize(this.total),
      ...(hops.length > 0 ? { hops } : {}),
      events,
      lateShare: totals.sentMeasured ? totals.lateMeasured / totals.sentMeasured : 0,
      errors: this.errors(),
      slo: evaluateSlo(this.config.slo, {
        ...sloInputs(this.total, totals, measuredMicros, this.hops, null),
        windows: (expression) => this.windows.report(expression),
        // Loss, unresolved, verification and recovery are known only at the end; say so rather than fail them live.
        unmeasured: (metric) =>
          shardRateNote(this.config.shard, metric) ??
          (metric.kind === 'scenario' ||
          (metric.kind === 'counter' && ['lost', 'unresolved', 'verified'].includes(metric.name))
            ? 'known after the drain'
            : undefined),
      }),
    }
    this.intervals.push({
      t: round(elapsedMicros / 1e6),
      phase,
      targetRate: targetRate === null ? null : round(targetRate), // a closed model plans no rate: unknown, not 0
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

/** Live event counts: loss is unknown (null) and unresolved 0 until the end decides them. */
/**
 * The final counters made to agree with the tracker's bits, read once (`Tracker.tally`). Workers post counters
 * each interval, but mark the shared bitsets as each ack and delivery happens: a worker abandoned at the close
 * deadline (an interrupted run) may have marked an ack its last counters still call in flight, which then
 * counted twice, as unacknowledged and as acknowledged but unseen (sent 6,268 = 3,745 acked + 2,523 in flight,
 * yet 2,524 unresolved). Acks and first sightings the bits hold beyond the counters are moved into them, so
 * sent = acked + errors + in flight, and unresolved = in flight + acknowledged-but-unseen, from one moment.
 */
export function settleCounters(
  totals: CounterTotals,
  marks: { readonly acked: number; readonly seen: number },
): CounterTotals {
  const lateAcks = Math.max(0, Math.min(marks.acked - totals.acked, totals.inFlight))
  const lateSeen = Math.max(0, marks.seen - totals.observed)
  if (lateAcks === 0 && lateSeen === 0) return totals
  return {
    ...totals,
    acked: totals.acked + lateAcks,
    inFlight: totals.inFlight - lateAcks,
    observed: totals.observed + lateSeen,
  }
}

export function liveEvents(totals: CounterTotals): EventCounts {
  return {
    sent: totals.sent,
    acked: totals.acked,
    observed: totals.observed,
    inFlight: totals.inFlight,
    foreign: totals.foreign,
    duplicates: totals.duplicates,
    outOfOrder: totals.outOfOrder,
    late: totals.late,
    errors: totals.errors,
    corrupt: totals.corrupt,
    lost: null,
    unresolved: 0,
  }
}

/**
 * Deliveries per second of the events intended in the measured window, over the
 * span they were delivered in: from the first to the last delivery, and never
 * shorter than the window itself (a burst after a stall is not a faster pipeline).
 * When an interrupt or abortOnFail cut the drain short (`cut`), the window's later
 * events never had their chance to arrive, so the floor is instead the span of
 * intended times of the events that did arrive (they were offered over that long).
 */
export function deliveryRate(totals: CounterTotals, windowMicros: number, cut = false): number | null {
  if (totals.observedMeasured === 0) return null
  const offered = cut
    ? Math.max(0, totals.lastMeasuredSeenIntended - totals.firstMeasuredSeenIntended)
    : windowMicros
  const span = Math.max(totals.lastMeasuredSeenAt - totals.firstMeasuredSeenAt, offered)
  return span > 0 ? totals.observedMeasured / (span / 1e6) : null
}

/**
 * Operations sent while the measured window was open, per second of the window:
 * a generator that fell behind shows below the plan, one steadily a few ms late
 * does not, and one late operation costs one operation, not a longer span.
 */
export function sendRate(totals: CounterTotals, windowMicros: number): number {
  return windowMicros > 0 ? totals.sentMeasuredInTime / (windowMicros / 1e6) : 0
}

/** What the SLO checks read: measured-window latencies and counters, whole-run loss counts. */
export function sloInputs(
  total: RecorderSet,
  totals: CounterTotals,
  windowMicros: number,
  hops: HopTotals | undefined,
  final: {
    events: EventCounts
    verification: { checked: number; mismatched: number } | null
    scenario: SloInputs['scenario']
    /** An interrupt or abortOnFail cut the drain short (see `deliveryRate`). */
    drainCut?: boolean
  } | null,
): SloInputs {
  return {
    latency: (name, statistic) => {
      // `hop.<name>`: a hop the sink declared; one it did not is never measured.
      const recorder = name.startsWith('hop.') ? hops?.recorder(name.slice(4)) : total[name as LatencyMetric]
      return recorder ? latencyValue(recorder, statistic) : { value: null, belowZero: 0, aboveRange: 0 }
    },
    events: final?.events ?? liveEvents(totals),
    window: { sent: totals.sentMeasured, errors: totals.errorsMeasured, late: totals.lateMeasured },
    achievedRate: deliveryRate(totals, windowMicros, final?.drainCut ?? false),
    verification: final?.verification ?? null,
    scenario: final?.scenario ?? null,
  }
}

/** A statistic of a recorder as SLO checks read it (ms; null when unknown, out-of-range samples in the rank). */
export function latencyValue(recorder: Recorder, statistic: Statistic): LatencyValue {
  const { belowZero, aboveRange } = recorder
  const outside = belowZero + aboveRange
  let micros: number
  if (statistic === 'mean')
    micros = outside > 0 ? Number.NaN : recorder.count > 0 ? recorder.mean : Number.NaN
  else if (statistic === 'max')
    micros = aboveRange > 0 ? Number.POSITIVE_INFINITY : recorder.count > 0 ? recorder.max : Number.NaN
  else micros = recorder.valueAtPercentileOfAll(STATISTIC_PERCENTILE[statistic]!)
  return { value: Number.isFinite(micros) ? micros / 1e3 : null, belowZero, aboveRange }
}

function summarize(set: RecorderSet): LatencySummaries {
  return Object.fromEntries(LATENCY_METRICS.map((m) => [m, set[m].summary()])) as LatencySummaries
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
