/**
 * The run's lifecycle as an explicit state machine: each phase has a deadline,
 * and a phase ends `done`, at its `deadline`, or `stopped` (Ctrl-C,
 * abortOnFail). Whatever is outstanding when a phase ends is left for the
 * result to report (unresolved, never lost); the run always goes on to its
 * report. docs/architecture.md, "Lifecycle", draws the machine.
 */
import { nowMicros } from '../clock.js'
import type { PhaseRecord } from '../result.js'

export type LifecyclePhase = PhaseRecord['name']

/**
 * Seams for parts that live for some phases (a pipeline part sets up before
 * `ready` and tears down in `teardown`, a fault starts in `load`). Called on the
 * main thread, in order, never overlapping; a hook's failure is logged.
 */
export interface PhaseHooks {
  onPhaseStart?(phase: LifecyclePhase): void | Promise<void>
  onPhaseEnd?(phase: LifecyclePhase, outcome: PhaseRecord['outcome']): void | Promise<void>
}

/** How long each phase may take, in microseconds; `load`, `inFlight` and `drain` are computed per run. */
export const PHASE_DEADLINES = {
  /** Each plugin's `prepare` (tables, topics, replication slots). */
  prepare: 120e6,
  /** Every worker's source open and sink watching. */
  ready: 120e6,
  /**
   * Least time a late schedule and unsettled writes get (each is at least
   * `load.drainTimeout`): a write a busy target has not acknowledged for this
   * long is hung, not slow.
   */
  settleAtLeast: 30e6,
  /** After Ctrl-C or abortOnFail: what is left of the load, in-flight writes and the drain together. */
  stopped: 5e6,
  /** Sinks stopped and sources closed after the drain. */
  close: 15e6,
  /** Closing when stopped: the first Ctrl-C must give the report within about 5 s. */
  closeStopped: 2e6,
  /** Verification (reading the target's final state) and closing. */
  verify: 600e6,
  /**
   * Every part's `teardown` together (the pipeline part, then the plugins' preparations at once): a frozen
   * server must not keep cdcb alive; what is not removed by then is reported as left behind (exit 3).
   */
  teardown: 15e6,
  /** After the teardown deadline aborts a part: how long it gets to say what it left behind. */
  teardownGrace: 1e6,
} as const

/**
 * The quiet period that decides loss when a drain reaches `load.drainTimeout`
 * with events still unseen (µs): a quarter of the drain timeout, at least 1 s
 * and at most 10 s. If any of them arrived within this last stretch of the
 * drain, the pipeline was still delivering (behind, not losing) and they are
 * unresolved; only a drain that ended after this long with nothing arriving
 * declares them lost (a drain shorter than this never does). docs/architecture.md, "Lost or unresolved".
 */
export function drainQuietMicros(drainTimeoutMicros: number): number {
  return Math.min(10e6, Math.max(1e6, drainTimeoutMicros / 4))
}

/**
 * Wakes waiters when something the lifecycle waits for changed (a worker
 * message, a stop). Any number of waiters; each wait re-checks its condition.
 */
export class ChangeSignal {
  private waiters: Array<() => void> = []

  notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  /**
   * Waits until `condition()` holds or `deadline()` (epoch µs, re-read on every
   * change, so a stop can bring it forward) passes. Polls at least every 100 ms
   * for conditions no message announces (a drain's scan).
   */
  async waitFor(condition: () => boolean, deadline: () => number, pollMicros = 100e3): Promise<boolean> {
    while (!condition()) {
      const left = deadline() - nowMicros()
      if (left <= 0) return false
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(
          () => {
            // Leave no waiter behind: a long wait without messages must not pile them up.
            this.waiters = this.waiters.filter((w) => w !== wake)
            resolve()
          },
          Math.max(1, Math.min(pollMicros, left) / 1e3),
        )
        this.waiters.push(wake)
      })
    }
    return true
  }
}

/** Records each phase as it really ran, for the result, and calls the hooks. */
export class PhaseLog {
  readonly records: PhaseRecord[] = []
  private current: { name: LifecyclePhase; since: number } | undefined

  constructor(
    private readonly hooks: PhaseHooks,
    private readonly log: (message: string) => void,
  ) {}

  async start(name: LifecyclePhase): Promise<void> {
    this.current = { name, since: nowMicros() }
    await this.call(() => this.hooks.onPhaseStart?.(name))
  }

  async end(outcome: PhaseRecord['outcome']): Promise<void> {
    const current = this.current
    if (!current) return
    this.current = undefined
    const seconds = Math.round((nowMicros() - current.since) / 1e3) / 1e3
    this.records.push({ name: current.name, seconds, outcome })
    await this.call(() => this.hooks.onPhaseEnd?.(current.name, outcome))
  }

  outcomeOf(name: LifecyclePhase): PhaseRecord['outcome'] | undefined {
    return this.records.find((r) => r.name === name)?.outcome
  }

  private async call(hook: () => void | Promise<void>): Promise<void> {
    try {
      await hook()
    } catch (error) {
      this.log(`a phase hook failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
}
