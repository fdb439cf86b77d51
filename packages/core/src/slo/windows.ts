/**
 * Windowed SLOs (`e2e.p99[1m] < 2s`): the check holds in every window of that
 * length of the measured run, windows aligned to its start.
 *
 * Memory stays bounded however long the run: per window length, one open set of
 * histograms (only the metrics its checks read) and four counters fill from the
 * workers' snapshots; when every worker has reported past a window's end it is
 * reduced to one figure and a verdict per check, and its histograms are dropped.
 * Kept per check: how many windows were evaluated and failed, the worst figure,
 * and the first `MAX_LISTED` failing windows.
 *
 * Which window a figure belongs to: a snapshot closes one reporting interval,
 * and a window is a whole number of intervals starting on a tick (checked when
 * the config is resolved), so each snapshot falls in exactly one window. A
 * latency counts in the window in which it was recorded (acked or observed),
 * for events intended in the measured window; samples recorded after the
 * measured window (its events' slow tail, in the drain) count in the last
 * window, never dropped. Throughput is the distinct events delivered during the
 * window over its length, whenever they were written (the first window counts
 * warmup events delivered in it: that was the pipeline's rate then); errors and
 * late are over the operations intended in it (failures known after its end
 * count in the last window).
 * The last window, when the measured run is not a whole number of windows, is
 * evaluated over what it had and marked partial. A window with no figure is
 * unknown (`noData`), not failed.
 */
import { type HopCounts, HopTotals } from '../metrics/hops.js'
import { Recorder } from '../metrics/recorder.js'
import type { EventCounts, LatencyMetric, SloWindowReport } from '../result.js'
import type { IntervalCounts } from '../runtime/messages.js'
import { evaluateSlo, type LatencyValue, type SloInputs } from './evaluate.js'
import type { SloExpression, Statistic } from './parser.js'

/** At most this many failing windows are listed per check; the rest are counted. */
export const MAX_LISTED = 100

/** What one worker snapshot adds to the windows: its interval's figures for measured-window events. */
export interface WindowInput {
  /** µs from the measured window's start to the tick the snapshot closes. */
  readonly sinceMeasureStart: number
  readonly latencies: Partial<IntervalCounts>
  readonly hops: HopCounts | null | undefined
  /** Growth since this worker's previous snapshot: measured-window operations sent, failed and late, and distinct events delivered. */
  readonly sent: number
  readonly errors: number
  readonly late: number
  readonly delivered: number
}

interface OpenWindow {
  readonly index: number
  /** Only the latencies this window length's checks read. */
  readonly latencies: Partial<Record<LatencyMetric, Recorder>>
  /** Hops, when a check of this length reads one. */
  readonly hops: HopTotals | undefined
  sent: number
  errors: number
  late: number
  delivered: number
}

interface CheckState {
  count: number
  failed: number
  lastPartial: boolean
  worst: number | null
  noData: number
  failing: { start: number; end: number; actual: number | null; partial?: true }[]
}

/** The figures each windowed check is judged on, kept on the main thread by the Aggregator. */
export class SloWindows {
  private readonly groups: {
    readonly micros: number
    readonly expressions: SloExpression[]
    /** The whole-run latencies its checks read (`e2e`, …), and whether one reads a hop. */
    readonly latencies: Set<LatencyMetric>
    hops: boolean
    readonly open: Map<number, OpenWindow>
    /** Windows below this index are closed: a late figure goes to the first open one, never reopens one. */
    closedBelow: number
  }[] = []
  private readonly states = new Map<SloExpression, CheckState>()
  private readonly reported = new Map<number, number>()
  /** Each worker's previous snapshot (µs since the measured start, exact): where its next interval starts. */
  private readonly previousAt = new Map<number, number>()
  private loadRanUntil = 0

  /**
   * `measuredMicros`: the planned measured window; `workers`: how many report;
   * `latencyValue` reads a statistic from a recorder as whole-run checks do.
   */
  constructor(
    expressions: readonly SloExpression[],
    private readonly measuredMicros: number,
    private readonly intervalMicros: number,
    private readonly workers: number,
    private readonly hopTotals: HopTotals,
    private readonly latencyValue: (recorder: Recorder, statistic: Statistic) => LatencyValue,
  ) {
    for (const expression of expressions) {
      const micros = expression.windowMicros
      if (micros === undefined) continue
      this.states.set(expression, {
        count: 0,
        failed: 0,
        lastPartial: false,
        worst: null,
        noData: 0,
        failing: [],
      })
      let group = this.groups.find((g) => g.micros === micros)
      if (!group) {
        group = {
          micros,
          expressions: [],
          latencies: new Set(),
          hops: false,
          open: new Map(),
          closedBelow: 0,
        }
        this.groups.push(group)
      }
      group.expressions.push(expression)
      const { metric } = expression
      if (metric.kind === 'latency') {
        if (metric.name.startsWith('hop.')) group.hops = true
        else group.latencies.add(metric.name as LatencyMetric)
      }
    }
  }

  /** True when the config has a windowed check. */
  get active(): boolean {
    return this.groups.length > 0
  }

  /** Windows holding histograms now, over all window lengths (what memory grows with). */
  get openWindows(): number {
    return this.groups.reduce((n, g) => n + g.open.size, 0)
  }

  /** Adds one worker's snapshot; closes the windows every worker has reported past. */
  add(shard: number, input: WindowInput): void {
    if (!this.active || input.sinceMeasureStart <= 0) return
    // The middle of the interval the snapshot closes (robust to float error at a window's edge). It
    // starts at this worker's previous snapshot: the final one, sent at a stop, closes a short interval
    // after the last tick, and its middle one tick back would fall in a window already closed.
    const since = this.previousAt.get(shard) ?? input.sinceMeasureStart - this.intervalMicros
    this.previousAt.set(shard, input.sinceMeasureStart)
    const at = (Math.max(0, since) + input.sinceMeasureStart) / 2
    for (const group of this.groups) {
      const lastIndex = Math.max(0, Math.ceil(this.measuredMicros / group.micros) - 1)
      const index = Math.max(
        group.closedBelow,
        Math.min(lastIndex, Math.max(0, Math.floor(at / group.micros))),
      )
      let window = group.open.get(index)
      if (!window) {
        const latencies: OpenWindow['latencies'] = {}
        for (const metric of group.latencies) latencies[metric] = new Recorder()
        let hops: HopTotals | undefined
        if (group.hops) {
          hops = new HopTotals()
          hops.declare(this.hopTotals.declared)
        }
        window = { index, latencies, hops, sent: 0, errors: 0, late: 0, delivered: 0 }
        group.open.set(index, window)
      }
      for (const metric of group.latencies) {
        const sparse = input.latencies[metric]
        if (sparse) window.latencies[metric]!.addSparse(sparse)
      }
      window.hops?.add(input.hops)
      window.sent += input.sent
      window.errors += input.errors
      window.late += input.late
      // Deliveries after the measured window are not the window's throughput.
      if (at < this.measuredMicros) window.delivered += input.delivered
    }
    // Up to which tick this worker has reported (a whole number of intervals).
    this.reported.set(shard, Math.round(input.sinceMeasureStart / this.intervalMicros) * this.intervalMicros)
    if (this.reported.size < this.workers) return
    const reported = Math.min(...this.reported.values())
    for (const group of this.groups) {
      const lastIndex = Math.max(0, Math.ceil(this.measuredMicros / group.micros) - 1)
      for (const window of [...group.open.values()].sort((a, b) => a.index - b.index)) {
        const end = (window.index + 1) * group.micros
        // The last window stays open for the drain's samples until `finish`, and so does any
        // window the load may not have reached (a stop ends the measured window early).
        if (end > reported || end > this.loadRanUntil || window.index >= lastIndex) break
        this.close(group, window, end)
      }
    }
  }

  /** Called on each live tick while the load runs: µs from the measured window's start to now. */
  loadRunning(sinceMeasureStart: number): void {
    this.loadRanUntil = Math.max(this.loadRanUntil, sinceMeasureStart)
  }

  /** Closes every window still open; the measured run ended `measuredMicros` after its start (earlier when stopped). */
  finish(measuredMicros: number): void {
    for (const group of this.groups) {
      for (const window of [...group.open.values()].sort((a, b) => a.index - b.index)) {
        const start = window.index * group.micros
        // Windows a stopped run never reached have only the drain's figures: not a window of the run.
        if (start >= measuredMicros && window.index > 0) {
          group.open.delete(window.index)
          continue
        }
        this.close(group, window, Math.min((window.index + 1) * group.micros, measuredMicros))
      }
    }
  }

  /** What `expression` has shown so far (every window, after `finish`); undefined for an unwindowed one. */
  report(expression: SloExpression): SloWindowReport | undefined {
    const state = this.states.get(expression)
    if (!state || expression.windowMicros === undefined) return undefined
    return {
      seconds: expression.windowMicros / 1e6,
      count: state.count,
      failed: state.failed,
      lastPartial: state.lastPartial,
      worst: state.worst,
      noData: state.noData,
      failing: state.failing.map((w) => ({ ...w })),
    }
  }

  private close(group: SloWindows['groups'][number], window: OpenWindow, endMicros: number): void {
    group.open.delete(window.index)
    group.closedBelow = Math.max(group.closedBelow, window.index + 1)
    const startMicros = window.index * group.micros
    const seconds = (endMicros - startMicros) / 1e6
    const partial = endMicros - startMicros < group.micros
    const inputs: SloInputs = {
      latency: (name, statistic) => {
        const recorder = name.startsWith('hop.')
          ? window.hops?.recorder(name.slice(4))
          : window.latencies[name as LatencyMetric]
        return recorder
          ? this.latencyValue(recorder, statistic)
          : { value: null, belowZero: 0, aboveRange: 0 }
      },
      events: NO_EVENTS,
      window: { sent: window.sent, errors: window.errors, late: window.late },
      // A window with no delivery delivered at 0/s: its length is known, unlike a whole run's delivery span.
      achievedRate: seconds > 0 ? window.delivered / seconds : null,
      verification: null,
      scenario: null,
    }
    for (const expression of group.expressions) {
      const [check] = evaluateSlo([{ ...expression, windowMicros: undefined }], inputs)
      const state = this.states.get(expression)!
      state.count++
      state.lastPartial = partial
      // No figure (no sample, no operation) is unknown, not a failure: counted apart and said so.
      if (check!.actual === null) {
        state.noData++
        continue
      }
      if (state.worst === null || worse(check!.actual, state.worst, expression)) state.worst = check!.actual
      if (check!.passed) continue
      state.failed++
      if (state.failing.length < MAX_LISTED)
        state.failing.push({
          start: startMicros / 1e6,
          end: endMicros / 1e6,
          actual: check!.actual,
          ...(partial ? { partial: true as const } : {}),
        })
    }
  }
}

/** The further of two figures from holding: the higher for `<`, the lower for `>`. */
function worse(a: number, b: number, expression: SloExpression): boolean {
  const { comparator } = expression
  if (comparator === '<' || comparator === '<=') return a > b
  if (comparator === '>' || comparator === '>=') return a < b
  return Math.abs(a - expression.threshold) > Math.abs(b - expression.threshold)
}

const NO_EVENTS: EventCounts = {
  sent: 0,
  acked: 0,
  observed: 0,
  inFlight: 0,
  foreign: 0,
  duplicates: 0,
  outOfOrder: 0,
  late: 0,
  errors: 0,
  corrupt: 0,
  lost: 0,
  unresolved: 0,
}
