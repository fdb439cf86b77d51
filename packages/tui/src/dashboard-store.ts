/**
 * What the dashboard shows, fed by the reporter hooks on the main thread. The
 * hooks only store the newest snapshot and push three numbers into fixed-size
 * ring buffers (memory does not grow with run length); React reads a new view
 * object at most once per `minRenderMs`.
 */
import type { RunResult, RunSnapshot, RunStartInfo } from '@cdcb/core'

/** Points kept for the charts: one minute at the default 1 s interval. */
export const HISTORY_POINTS = 60

/** A fixed-capacity series of numbers; the oldest value is dropped when full. */
export class RingSeries {
  private readonly values: Float64Array
  private start = 0
  private size = 0

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity)
  }

  push(value: number): void {
    if (this.size < this.capacity) {
      this.values[(this.start + this.size) % this.capacity] = value
      this.size++
    } else {
      this.values[this.start] = value
      this.start = (this.start + 1) % this.capacity
    }
  }

  get length(): number {
    return this.size
  }

  /** The newest `count` values, oldest first. */
  last(count = this.size): number[] {
    const n = Math.min(count, this.size)
    const out = new Array<number>(n)
    for (let i = 0; i < n; i++) out[i] = this.values[(this.start + this.size - n + i) % this.capacity]!
    return out
  }
}

/** The chart history: one value per snapshot of the load and drain phases. */
export interface History {
  readonly seconds: RingSeries
  readonly target: RingSeries
  readonly achieved: RingSeries
  readonly e2eP99: RingSeries
}

/** An immutable view of the run for one render. */
export interface DashboardView {
  readonly info: RunStartInfo | undefined
  readonly snapshot: RunSnapshot | undefined
  /** Shared ring buffers; read them with `last()` during the render that received this view. */
  readonly history: History
  /** Bumped on every history push, so memoised charts know when to redraw. */
  readonly historyVersion: number
  /** The user asked to stop (q or Ctrl-C); the run is draining. */
  readonly stopping: boolean
  readonly result: RunResult | undefined
}

export class DashboardStore {
  private view: DashboardView
  private readonly listeners = new Set<() => void>()
  private lastPublishedAt = Number.NEGATIVE_INFINITY
  private timer: ReturnType<typeof setTimeout> | undefined

  /** @param minRenderMs the shortest time between two views handed to React (10 renders/s at most by default). */
  constructor(private readonly minRenderMs = 100) {
    const capacity = HISTORY_POINTS
    this.view = {
      info: undefined,
      snapshot: undefined,
      history: {
        seconds: new RingSeries(capacity),
        target: new RingSeries(capacity),
        achieved: new RingSeries(capacity),
        e2eP99: new RingSeries(capacity),
      },
      historyVersion: 0,
      stopping: false,
      result: undefined,
    }
  }

  runStarted(info: RunStartInfo): void {
    this.update({ info })
  }

  /** Stores the snapshot and its chart points; constant time, called once per interval. */
  snapshot(snapshot: RunSnapshot): void {
    const { history } = this.view
    let historyVersion = this.view.historyVersion
    if (snapshot.phase !== 'done' && snapshot.phase !== 'starting') {
      history.seconds.push(snapshot.elapsedSeconds)
      history.target.push(snapshot.rate.target ?? 0) // the chart draws no target line at 0: a closed model has none
      history.achieved.push(snapshot.rate.achieved)
      history.e2eP99.push(snapshot.interval.e2e.p99 ?? 0)
      historyVersion++
    }
    this.update({ snapshot, historyVersion })
  }

  stopRequested(): void {
    this.update({ stopping: true })
  }

  /** The run ended: publishes at once, bypassing the throttle, so the final frame is complete. */
  finished(result: RunResult): void {
    this.view = { ...this.view, result }
    this.publishNow()
  }

  getView = (): DashboardView => this.view

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Cancels a pending throttled render. */
  close(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private update(change: Partial<DashboardView>): void {
    this.view = { ...this.view, ...change }
    if (this.timer) return
    const wait = this.lastPublishedAt + this.minRenderMs - performance.now()
    if (wait <= 0) this.publishNow()
    else this.timer = setTimeout(() => this.publishNow(), wait)
  }

  private publishNow(): void {
    this.close()
    this.lastPublishedAt = performance.now()
    for (const listener of this.listeners) listener()
  }
}
