/**
 * Hops: where the time of an event goes between cdcb's write and the far end.
 * A sink that reads more stamps per event than `committedAt` declares them
 * (`Sink.stamps`, in pipeline order) and passes their values to `observe`;
 * each hop is the time from the previous stamp (cdcb's intended time for the
 * first) to the next, in its own HDR histogram, merged losslessly like e2e.
 */
import type { StampInfo } from '../plugin.js'
import type { HopSummary, LatencySummary } from '../result.js'
import { Recorder, type SparseCounts } from './recorder.js'

/** A worker's hop buckets since the last snapshot; `below` counts samples under zero (clocks apart), by hop. */
export interface HopCounts {
  readonly sparse: ReadonlyArray<SparseCounts | null>
  readonly below: readonly number[]
}

/** The worker's side: records measured-window events' hops; one Recorder per hop, nothing per event. */
export class HopRecorders {
  private readonly recorders: Recorder[]
  private readonly below: number[]

  constructor(readonly stamps: readonly StampInfo[]) {
    this.recorders = stamps.map(() => new Recorder())
    this.below = stamps.map(() => 0)
  }

  /** `values[i]` is stamp i in epoch µs, NaN when this event lacks it; a hop needs both of its ends. */
  record(intendedAt: number, values: ArrayLike<number>): void {
    let previous = intendedAt
    const n = Math.min(values.length, this.recorders.length)
    for (let i = 0; i < n; i++) {
      const value = values[i]!
      if (!Number.isNaN(previous) && !Number.isNaN(value)) {
        const hop = value - previous
        // Counted apart, not hidden: a hop below zero means two clocks disagree by more than the hop.
        if (hop < 0) this.below[i]!++
        else this.recorders[i]!.record(hop)
      }
      previous = value
    }
  }

  take(): HopCounts | null {
    if (this.recorders.length === 0) return null
    const below = [...this.below]
    this.below.fill(0)
    return { sparse: this.recorders.map((r) => r.takeSparse()), below }
  }
}

/** The main thread's side: the run's hop histograms, from the stamps the sink declared. */
export class HopTotals {
  private stamps: readonly StampInfo[] = []
  private recorders: Recorder[] = []
  private below: number[] = []

  /** The stamps the sink declared, in pipeline order; empty until a worker says. */
  get declared(): readonly StampInfo[] {
    return this.stamps
  }

  /** Called with the first worker's declaration; every worker runs the same sink. */
  declare(stamps: readonly StampInfo[] | undefined): void {
    if (!stamps || this.stamps.length > 0) return
    this.stamps = stamps
    this.recorders = stamps.map(() => new Recorder())
    this.below = stamps.map(() => 0)
  }

  add(counts: HopCounts | null | undefined): void {
    if (!counts) return
    counts.sparse.forEach((sparse, i) => {
      if (sparse && this.recorders[i]) this.recorders[i].addSparse(sparse)
    })
    counts.below.forEach((n, i) => {
      if (this.below[i] !== undefined) this.below[i] += n
    })
  }

  /** The recorder of `hop.<name>`, for SLOs; undefined for a hop the sink did not declare. */
  recorder(name: string): Recorder | undefined {
    const i = this.stamps.findIndex((s) => s.name === name)
    return i < 0 ? undefined : this.recorders[i]
  }

  /** Each hop's name, its stamps and its latency summary, without the encoding; for the live view. */
  live(): { name: string; from: string; to: string; latency: LatencySummary }[] {
    return this.stamps.map((stamp, i) => ({
      name: stamp.name,
      from: i === 0 ? 'intended' : this.stamps[i - 1]!.name,
      to: stamp.name,
      latency: this.recorders[i]!.summary(),
    }))
  }

  /** Forgets every sample, keeping the declaration: the live view's per-interval hops. */
  reset(): void {
    for (const recorder of this.recorders) recorder.reset()
    this.below.fill(0)
  }

  summaries(): HopSummary[] {
    return this.stamps.map((stamp, i) => {
      const from = i === 0 ? undefined : this.stamps[i - 1]!
      return {
        name: stamp.name,
        from: from?.name ?? 'intended',
        to: stamp.name,
        description: stamp.description,
        // A hop is as coarse as the coarser of its two stamps (cdcb's intended time is exact to 1 µs).
        resolutionMicros: Math.max(stamp.resolutionMicros, from?.resolutionMicros ?? 1),
        belowZero: this.below[i]!,
        latency: this.recorders[i]!.summary(),
        histogram: this.recorders[i]!.encode(),
      }
    })
  }
}
