/**
 * The run's side of a `pipeline` part (plugin.ts `Pipeline`): creates it on the
 * main thread, calls its setup before the workers start, lets it watch during
 * the run, runs its actions, tears it down, and keeps what it reported for the
 * result. Kept apart from run.ts so the run's phases only call five methods.
 */
import { nowMicros } from '../clock.js'
import { importPlugin } from '../config/plugin-loader.js'
import type { ResolvedPlugin } from '../config/resolve-config.js'
import { CdcbError, describeError, RuntimeFailure, redactUrl } from '../errors.js'
import type { Pipeline, PipelineEvents, RunContext } from '../plugin.js'
import type { ErrorCount, PipelineEvent, PipelineReport } from '../result.js'

/** Events kept for the result; a flapping task must not grow memory without bound. The counts stay exact. */
const MAX_EVENTS_KEPT = 200

export class PipelineRun {
  private readonly watching = new AbortController()
  private readonly events: PipelineEvent[] = []
  private readonly errorsByKind = new Map<string, { count: number; lastMessage: string }>()
  private startAt: number | undefined
  private eventCount = 0
  private tornDown = false
  /** The first failure the pipeline reported, shown as the run's reason; undefined while it is healthy. */
  failure: string | undefined

  private constructor(
    private readonly name: string,
    private readonly part: Pipeline,
    private readonly context: RunContext,
  ) {}

  /** Creates the part and runs its setup; on failure tears it down and throws a RuntimeFailure naming it. */
  static async open(ref: ResolvedPlugin, context: RunContext): Promise<PipelineRun> {
    let run: PipelineRun | undefined
    try {
      const plugin = await importPlugin(ref.moduleUrl, ref.name)
      const part = await plugin.createPipeline!(ref.options, context)
      run = new PipelineRun(ref.name, part, context)
      await part.setup?.()
      return run
    } catch (error) {
      await run?.teardown()
      if (error instanceof CdcbError) throw error
      throw new RuntimeFailure(`pipeline: ${ref.name}: ${redactUrl(describeError(error))}`)
    }
  }

  /** Starts the part's watch at the schedule's start (epoch µs); event times count from it. */
  watch(startAt: number): void {
    this.startAt = startAt
    const events: PipelineEvents = {
      event: (kind, message) => this.record(kind, message, 'event'),
      error: (kind, message) => this.record(kind, message, 'error'),
      fail: (kind, message) => this.record(kind, message, 'failure'),
    }
    try {
      this.part.watch?.(events, this.watching.signal)
    } catch (error) {
      this.record('WatchFailed', describeError(error), 'failure')
    }
  }

  /** Runs one of the part's actions by name; throws a CdcbError listing the known ones for an unknown name. */
  async action(name: string, args?: Record<string, unknown>): Promise<void> {
    const act = this.part.actions?.[name]
    if (!act) {
      const known = Object.keys(this.part.actions ?? {})
      throw new RuntimeFailure(
        `pipeline: ${this.name} has no action "${name}"${known.length ? ` (it has: ${known.join(', ')})` : ''}`,
      )
    }
    this.record('action', `${name}${args ? ` ${JSON.stringify(args)}` : ''}`, 'event')
    await act(args)
  }

  /** The part's actions for the fault runner (`faults: [{ pipeline: 'pause' }]`), each recorded as a run event; undefined without any. */
  actions(): Readonly<Record<string, (args?: Record<string, unknown>) => Promise<void>>> | undefined {
    const names = Object.keys(this.part.actions ?? {})
    if (names.length === 0) return undefined
    return Object.fromEntries(
      names.map((name) => [name, (args?: Record<string, unknown>) => this.action(name, args)]),
    )
  }

  /**
   * Stops watching and removes what setup made; once, also after Ctrl-C. `signal` aborts at the run's teardown
   * deadline. A failing teardown is logged and returned (what it left behind), never thrown.
   */
  async teardown(signal: AbortSignal = new AbortController().signal): Promise<string | undefined> {
    if (this.tornDown) return undefined
    this.tornDown = true
    this.watching.abort()
    try {
      await this.part.teardown?.(signal)
      return undefined
    } catch (error) {
      const why = `pipeline: ${this.name}: teardown failed: ${redactUrl(describeError(error))}`
      this.context.log(why)
      return why
    }
  }

  /** Errors by kind for the result's `errors`, next to the workers' write errors. */
  errors(): ErrorCount[] {
    return [...this.errorsByKind].map(([kind, e]) => ({ kind, count: e.count, lastMessage: e.lastMessage }))
  }

  report(): PipelineReport {
    return {
      name: this.name,
      failed: this.failure !== undefined,
      eventCount: this.eventCount,
      events: [...this.events],
    }
  }

  private record(kind: string, message: string, severity: 'event' | 'error' | 'failure'): void {
    const failure = severity === 'failure'
    const text = redactUrl(message)
    const t = this.startAt === undefined ? null : Math.round((nowMicros() - this.startAt) / 1e3) / 1e3
    this.eventCount++
    if (this.events.length < MAX_EVENTS_KEPT) this.events.push({ t, kind, message: text, severity })
    if (failure) this.failure ??= `${kind}: ${text}`
    if (severity !== 'event') {
      const known = this.errorsByKind.get(kind)
      if (known) {
        known.count++
        known.lastMessage = text
      } else this.errorsByKind.set(kind, { count: 1, lastMessage: text })
    }
    this.context.log(`pipeline ${failure ? 'FAILED' : severity}: ${kind}: ${text}`)
  }
}
