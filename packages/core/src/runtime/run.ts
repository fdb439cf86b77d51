/**
 * Runs a benchmark: prepares the plugins, starts one long task per shard on a
 * piscina pool, merges their snapshots every interval for the reporters, waits
 * for in-flight writes and drains, verifies, and builds the result from the
 * final state (`buildResult`). The phases and their deadlines are in
 * `lifecycle.ts`; docs/architecture.md describes the whole flow.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { everyAligned, nowMicros } from '../clock.js'
import { checkSlot, importPlugin } from '../config/plugin-loader.js'
import type { ResolvedConfig, ResolvedPlugin } from '../config/resolve-config.js'
import {
  CdcbError,
  ConfigError,
  describeError,
  type PluginPart,
  partOfSlot,
  pluginFailure,
  RuntimeFailure,
  redactUrl,
} from '../errors.js'
import { formatShard, planWorker, START_LATE_WARNING_MICROS } from '../load/shard.js'
import { createTrackerBuffers, Tracker } from '../metrics/tracker.js'
import type { LogKind, Mismatch, Preparation, Reporter, RunContext, Slot } from '../plugin.js'
import { builtInReporters, whyNotWritable } from '../reporters/index.js'
import { claimOutput, type OutputClaim } from '../reporters/output-lock.js'
import type { Phase, RunResult, RunSnapshot } from '../result.js'
import { checkFault, checkPidFile, type FaultProblem, startFaults } from '../scenarios/faults.js'
import type { BacklogPoint } from '../scenarios/recovery.js'
import { Aggregator, settleCounters } from './aggregator.js'
import { buildResult, type DrainTail } from './build-result.js'
import {
  ChangeSignal,
  drainQuietMicros,
  type LifecyclePhase,
  PHASE_DEADLINES,
  type PhaseHooks,
  PhaseLog,
} from './lifecycle.js'
import type { MainMessage, WorkerInit, WorkerMessage, WorkerResult } from './messages.js'
import { PipelineRun } from './pipeline.js'

/** The longest one timer may wait, in µs: Node's setTimeout limit, 2³¹ − 1 ms (a day, to stay well within it). */
const MAX_TIMER_MICROS = 86_400e6

/** How a caller stops a run early: the first `stop` ends the schedule and drains briefly. */
export class RunControl {
  private readonly controller = new AbortController()
  reason: 'interrupted' | 'aborted' | undefined
  /** What interrupted the run, as the result names it: `Ctrl-C`, `SIGTERM`, `SIGHUP`, …; undefined until stopped. */
  by: string | undefined
  /** Epoch microseconds of the first `stop`. */
  stoppedAt = 0
  private listeners: Array<() => void> = []

  /**
   * Ends the schedule now; the run drains for at most 5 s and reports what it measured.
   * `by` names what interrupted it (`SIGINT` is shown as `Ctrl-C`; default `Ctrl-C`).
   */
  stop(reason: 'interrupted' | 'aborted' = 'interrupted', by?: string): void {
    if (this.reason) return
    this.reason = reason
    this.by = reason === 'aborted' ? 'abortOnFail' : by === undefined || by === 'SIGINT' ? 'Ctrl-C' : by
    this.stoppedAt = nowMicros()
    this.controller.abort()
    for (const listener of this.listeners) listener()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  onStop(listener: () => void): void {
    this.listeners.push(listener)
  }

  /** The run's pipeline part, once it is set up; undefined without one. */
  pipeline: PipelineRun | undefined

  /** Runs an action of the config's `pipeline` part (e.g. `pause`); throws when there is none of that name. */
  async pipelineAction(name: string, args?: Record<string, unknown>): Promise<void> {
    if (!this.pipeline) throw new RuntimeFailure(`no pipeline part is running, so it has no action "${name}"`)
    await this.pipeline.action(name, args)
  }
}

export interface RunOptions {
  /** Reporters the caller made (live output, files); plugin reporters in `config.reporters` are made here. */
  readonly reporters?: readonly Reporter[]
  readonly control?: RunControl
  /** Fixed run id, for tests; random otherwise. */
  readonly runId?: string
  /** Called as each lifecycle phase starts and ends. */
  readonly hooks?: PhaseHooks
}

const WORKER_URL = new URL('./worker.js', import.meta.url).href
const MAX_MISMATCHES_REPORTED = 50
/** How often the drain rescans the tracker for acknowledged events not yet seen. */
const DRAIN_POLL_MICROS = 20e3
/** A sink whose target has not answered this long is said to be waiting on it (a healthy one answers several times a second). */
const SINK_SILENCE_NOTE_MICROS = 5e6

export async function runBenchmark(config: ResolvedConfig, options: RunOptions = {}): Promise<RunResult> {
  const control = options.control ?? new RunControl()
  const runId = options.runId ?? config.runId ?? randomBytes(4).toString('hex')
  const reporters = new ReporterFanout([...(options.reporters ?? [])])
  const runContext: RunContext = {
    runId,
    name: config.name,
    seed: config.load.seed,
    shards: config.workers,
    runShard: config.shard,
    signal: control.signal,
    log: (message, kind) => reporters.log(redactUrl(message), kind),
  }
  // Report files that could not be written (each once): the run then ends with exit 3, never a silent 0.
  const unwritten = new Set<string>()
  // Report files this run claimed on this host, so a second live run writing the same file is refused.
  const claims: OutputClaim[] = []
  try {
    await reporters.add(await createConfigReporters(config, runContext, unwritten, claims))
    return await runReporting(config, control, runId, runContext, reporters, unwritten, options.hooks)
  } finally {
    for (const claim of claims) claim.release()
  }
}

/** The run proper, once its reporters exist and its report files are claimed. */
async function runReporting(
  config: ResolvedConfig,
  control: RunControl,
  runId: string,
  runContext: RunContext,
  reporters: ReporterFanout,
  unwritten: Set<string>,
  hooks: PhaseHooks | undefined,
): Promise<RunResult> {
  const phases = new PhaseLog(hooks ?? {}, runContext.log)
  const run = new BenchmarkRun(config, control, runId, reporters, phases)
  const preparations = await run.prepare(runContext)
  let result: RunResult | undefined
  let teardownFailures: string[] = []
  let pipeline: PipelineRun | undefined
  try {
    if (config.pipeline) {
      pipeline = await PipelineRun.open(config.pipeline, runContext)
      control.pipeline = pipeline
      checkPipelineFaults(config, pipeline)
    }
    await checkFaultTargets(config)
    result = await run.measure(pipeline)
  } finally {
    teardownFailures = await run.teardown(preparations, pipeline)
  }
  // A teardown that could not reach its server left objects there: a runtime failure (exit 3), whatever the SLOs said.
  // So is a report file that could not be written: the run's result is not where the user will look for it.
  const failure =
    teardownFailures.length > 0 && result.status !== 'interrupted'
      ? teardownFailures.join(' | ')
      : unwritten.size > 0
        ? `the run finished (${result.status}) but its report could not be written: ${[...unwritten].join('; ')}`
        : undefined
  // What teardown left is in the report's warnings too, also for an interrupted run (which keeps its exit 130).
  const leftBehind = teardownFailures.map((why) => `teardown: ${why}`)
  if (failure !== undefined || leftBehind.length > 0) {
    const final: RunResult = {
      ...result,
      warnings: [...result.warnings, ...leftBehind],
      ...(failure === undefined
        ? {}
        : {
            status: result.status === 'interrupted' ? ('interrupted' as const) : ('failed' as const),
            exitCode: 3,
            // A run that had failed already (a verifier that could not reach its server) keeps saying so.
            reason:
              result.exitCode === 3 && result.reason?.startsWith('runtime failure: ')
                ? `${result.reason} | ${failure}`
                : `runtime failure: ${failure}`,
          }),
    }
    // The report was made before teardown (so a slow teardown never delays it): files are rewritten with the final status.
    await reporters.runAmended(final)
    return final
  }
  return result
}

/**
 * The faults' pipeline actions against what the part offers, for a plugin that does not list them
 * (`PluginDefinition.pipelineActions`, checked with the config): before the load, not at the fault.
 */
function checkPipelineFaults(config: ResolvedConfig, pipeline: PipelineRun): void {
  const part = { name: config.pipeline!.name, actions: Object.keys(pipeline.actions() ?? {}) }
  config.faults.forEach((plan, i) => {
    const problem = checkFault(plan, part)
    if (problem) throw faultConfigError(config, i, problem)
  })
}

/**
 * The processes the signal faults will signal, once every part is up (a part may start them) and
 * before the load: a missing pid file is a config error now, not a failed run at the fault. Shard 0
 * only, as only it runs the faults.
 */
async function checkFaultTargets(config: ResolvedConfig): Promise<void> {
  if ((config.shard?.index ?? 0) !== 0) return
  for (const [i, plan] of config.faults.entries()) {
    const problem = await checkPidFile(plan, config.baseDir)
    if (problem) throw faultConfigError(config, i, problem)
  }
}

/** The one-line config error for fault `index`, naming the config file and the field. */
function faultConfigError(config: ResolvedConfig, index: number, problem: FaultProblem): ConfigError {
  const origin = config.configPath ? path.basename(config.configPath) : 'config'
  return new ConfigError(`${origin}: faults.${index}.${problem.key}: ${problem.message}`)
}

/**
 * The reporters `config.reporters` names that write somewhere of their own: the built-in `json` and `junit`
 * files, checked writable before anything runs (a ConfigError naming the entry), and reporter plugins, made
 * with the run's real id and abort signal. A file that fails to write later is added to `unwritten`.
 * Live output (`plain`, `summary`, `tui`) is the caller's choice, made from its terminal: not made here.
 */
async function createConfigReporters(
  config: ResolvedConfig,
  context: RunContext,
  unwritten: Set<string>,
  claims: OutputClaim[],
): Promise<Reporter[]> {
  const made: Reporter[] = []
  const origin = config.configPath ? path.basename(config.configPath) : 'config'
  for (const [index, spec] of config.reporters.entries()) {
    if (spec.kind === 'builtin') {
      if (spec.name !== 'json' && spec.name !== 'junit') continue
      const reporter = builtInReporters[spec.name](spec.options, { line: () => {}, color: false })
      const file = String(spec.options.file)
      const problem = whyNotWritable(file)
      const where = spec.flag ? `${spec.flag} ${file}` : `${origin}: reporters.${index}`
      if (problem) {
        throw new ConfigError(
          spec.flag
            ? `${where}: cannot write the report there: ${problem} — choose another path`
            : `${where}: cannot write the report to ${file}: ${problem} — choose another file`,
        )
      }
      // Two live runs writing one report would overwrite each other's result: the second stops here, before anything runs.
      const claim = claimOutput(file, context.runId)
      if ('heldBy' in claim) {
        throw new ConfigError(
          `${where}: another cdcb run on this host is writing ${spec.flag ? 'this report' : `the report ${file}`} (${claim.heldBy}) — wait for it to end, or choose another ${spec.flag ? 'path' : 'file'}`,
        )
      }
      claims.push(claim)
      made.push(recordingFailures(reporter, file, unwritten))
      continue
    }
    const plugin = await importPlugin(spec.plugin.moduleUrl, spec.plugin.name)
    try {
      made.push(await plugin.createReporter!(spec.plugin.options, context))
    } catch (error) {
      if (error instanceof CdcbError && !(error instanceof ConfigError)) throw error
      const message = pluginFailure('reporter', spec.plugin.name, 'be created', error)
      throw error instanceof ConfigError ? new ConfigError(message) : new RuntimeFailure(message)
    }
  }
  return made
}

/** A file reporter whose failures are recorded (the run ends with exit 3) instead of only logged. */
function recordingFailures(reporter: Reporter, file: string, unwritten: Set<string>): Reporter {
  const writing =
    (hook: 'onRunEnd' | 'onRunAmended') =>
    async (result: RunResult): Promise<void> => {
      try {
        await reporter[hook]?.(result)
      } catch (error) {
        unwritten.add(`${file} (${error instanceof Error ? error.message : String(error)})`)
      }
    }
  return { onRunEnd: writing('onRunEnd'), onRunAmended: writing('onRunAmended') }
}

/** A plugin's main-thread preparation with the names its teardown errors need. */
interface Prepared {
  readonly preparation: Preparation
  readonly part: PluginPart
  readonly plugin: string
}

/** One run's state machine: prepare → ready → load → inFlight → drain → close → (report) → teardown. */
class BenchmarkRun {
  private readonly startedAt = new Date()
  private readonly changed = new ChangeSignal()
  private readonly ready = new Set<number>()
  private readonly scheduleDone = new Set<number>()
  private readonly loadDone = new Set<number>()
  /**
   * Per worker, its sink's last answer from the target (epoch µs): from its snapshots while the run goes, and
   * last from its `sinkAnswered` as `finish` arrives; nothing after that (the sinks stop then).
   */
  private readonly sinkAnsweredAt = new Map<number, number>()
  /** The earliest last answer of a silence the log has noted (epoch µs); undefined while every sink hears. */
  private silenceNotedFrom: number | undefined
  /** Log lines from the workers in the last second, and when each was said (epoch µs). */
  private readonly recentLogs = new Map<string, number>()
  private readonly closed = new Set<number>()
  private readonly ports: MessagePort[] = []
  private readonly tasks: Promise<WorkerResult | undefined>[] = []
  private readonly aggregator: Aggregator
  private readonly tracker: Tracker
  private readonly buffers: ReturnType<typeof createTrackerBuffers>
  private pool: Piscina | undefined
  private timeBase: string | undefined
  private failure: string | undefined
  /** Whether `failure` is a plugin's ConfigError (a bad option: exit 2). */
  private failureIsConfig = false
  /** Set once the close deadline passed: the pool is being destroyed, so task rejections are expected. */
  private abandoning = false
  private livePhase: Phase = 'starting'
  /** The backlog at each interval's end, for recovery after faults and bursts. */
  private readonly backlogSeries: BacklogPoint[] = []
  /** Faults whose action or undo failed, for the result's warnings. */
  private readonly faultWarnings: string[] = []

  constructor(
    private readonly config: ResolvedConfig,
    private readonly control: RunControl,
    private readonly runId: string,
    private readonly reporters: ReporterFanout,
    private readonly phases: PhaseLog,
  ) {
    this.buffers = createTrackerBuffers(
      config.load.model === 'open' ? config.load.schedule.plannedOperations : undefined,
      config.load.keys,
    )
    this.tracker = new Tracker(this.buffers)
    this.aggregator = new Aggregator(config)
    control.onStop(() => {
      this.broadcast({ type: 'stop' })
      this.changed.notify()
    })
  }

  /** Phase `prepare`: each plugin's main-thread setup, each within its deadline; a stop abandons it. */
  async prepare(context: RunContext): Promise<Prepared[]> {
    await this.phases.start('prepare')
    const slots: Array<[Slot, ResolvedPlugin | undefined]> = [
      ['source', this.config.source],
      ['sink', this.config.sink],
      ['verify', this.config.verify],
    ]
    const prepared: Prepared[] = []
    for (const [slot, ref] of slots) {
      if (!ref) continue
      const plugin = await importPlugin(ref.moduleUrl, ref.name)
      checkSlot(plugin, slot, ref.name)
      if (!plugin.prepare) continue
      const part = partOfSlot(slot)
      try {
        const preparation = await this.withDeadline(
          plugin.prepare(slot, ref.options, context),
          PHASE_DEADLINES.prepare,
          `did not finish within ${PHASE_DEADLINES.prepare / 1e6}s — check that its server answers`,
        )
        if (preparation) prepared.push({ preparation, part, plugin: ref.name })
      } catch (error) {
        await this.teardown(prepared)
        if (this.control.reason) throw new CdcbError('interrupted before the run started', 3)
        const message = pluginFailure(part, ref.name, 'prepare', error)
        // Keep the kind: a plugin's ConfigError (a table it must not touch) stays exit 2, nothing written.
        throw error instanceof ConfigError ? new ConfigError(message) : new RuntimeFailure(message)
      }
    }
    await this.phases.end('done')
    return prepared
  }

  /**
   * Phase `teardown`: removes what the pipeline part and `prepare` made, under one deadline for all of them
   * together (a frozen server must not keep cdcb alive). The pipeline goes first, since its connectors read the
   * tables and slots the preparations remove; the preparations then tear down at once, each removing only its
   * own objects. At the deadline each part still working is aborted and gets a moment to say what it left
   * behind; one that does not answer is reported as not finished. Returns one line per part that left something.
   */
  async teardown(prepared: Prepared[], pipeline?: PipelineRun): Promise<string[]> {
    const parts = prepared.splice(0).reverse()
    if (!pipeline && parts.length === 0) return []
    const deadline = new AbortController()
    const seconds = PHASE_DEADLINES.teardown / 1e6
    const timer = setTimeout(() => deadline.abort(), PHASE_DEADLINES.teardown / 1e3)
    // Waits for a part, but no longer than the deadline plus the grace it gets to name what it left.
    const bounded = async <T>(work: Promise<T>, unfinished: () => T): Promise<T> => {
      let grace: NodeJS.Timeout | undefined
      const cut = new Promise<T>((resolve) => {
        const giveUp = () => {
          grace = setTimeout(() => resolve(unfinished()), PHASE_DEADLINES.teardownGrace / 1e3)
        }
        if (deadline.signal.aborted) giveUp()
        else deadline.signal.addEventListener('abort', giveUp, { once: true })
      })
      try {
        return await Promise.race([work, cut])
      } finally {
        clearTimeout(grace)
      }
    }
    const failures: string[] = []
    try {
      if (pipeline) {
        const unfinished = `pipeline: did not finish its teardown within ${seconds}s; what it made may be left behind`
        const why = await bounded(pipeline.teardown(deadline.signal), () => unfinished)
        if (why === unfinished) this.reporters.log(why)
        if (why !== undefined) failures.push(why)
      }
      const outcomes = await Promise.all(
        parts.map(({ preparation, part, plugin }) =>
          bounded(
            Promise.resolve()
              .then(() => preparation.teardown?.(deadline.signal))
              .then(
                () => undefined,
                (error: unknown) => pluginFailure(part, plugin, 'tear down', error),
              ),
            () =>
              pluginFailure(
                part,
                plugin,
                'tear down',
                new Error(`did not finish within ${seconds}s; what it made may be left behind`),
              ),
          ),
        ),
      )
      for (const why of outcomes) {
        if (why === undefined) continue
        this.reporters.log(why)
        failures.push(why)
      }
    } finally {
      clearTimeout(timer)
    }
    return failures
  }

  /** Every phase from starting the workers to the report; the result is built from the final state. */
  async measure(pipeline: PipelineRun | undefined): Promise<RunResult> {
    this.startWorkers()
    await this.waitReady()
    const { startAt, actualStartAt } = await this.startSchedule()
    pipeline?.watch(startAt)
    const stopTicker = this.startTicker(startAt)
    // Faults run against the schedule's start, during the load phase; in shard 0 only, so a run's fault happens once.
    const planned = (this.config.shard?.index ?? 0) === 0 ? this.config.faults : []
    const faults = startFaults(planned, startAt, {
      baseDir: this.config.baseDir,
      pipelineActions: pipeline?.actions(),
      now: nowMicros,
      onEvent: (message, failed) => {
        this.reporters.log(message)
        if (failed) this.faultWarnings.push(message)
      },
    })

    const plannedEnd = startAt + this.config.load.totalMicros
    const drainBudget = this.config.load.drainTimeoutMicros
    const settleBudget = Math.max(drainBudget, PHASE_DEADLINES.settleAtLeast)
    const stoppedDeadline = () => this.control.stoppedAt + PHASE_DEADLINES.stopped

    // load: until every worker's schedule ended; a schedule still running a drain budget past its plan is stopped.
    await this.phases.start('load')
    const loadEnded = await this.changed.waitFor(
      () => this.scheduleDone.size + this.closed.size >= this.config.workers || this.failure !== undefined,
      () => (this.control.reason ? stoppedDeadline() : plannedEnd + settleBudget),
    )
    // A stop before the planned end ends the schedules early: the load was cut short, not done.
    const cutShort = this.control.reason !== undefined && this.control.stoppedAt < plannedEnd
    await this.phases.end(loadEnded && cutShort ? 'stopped' : this.outcome(loadEnded))
    if (!loadEnded) this.broadcast({ type: 'stop' })
    // A fault still in force is undone before the drain: the pipeline must be able to deliver.
    const faultRecords = await faults.stop()
    const scheduleEndedAt = nowMicros()
    this.livePhase = 'drain'

    // After a stop, load, in-flight and drain together end within PHASE_DEADLINES.stopped of it.
    const capped = (deadline: number) =>
      this.control.reason ? Math.min(deadline, stoppedDeadline()) : deadline
    await this.phases.start('inFlight')
    const settled = await this.changed.waitFor(
      () => this.loadDone.size + this.closed.size >= this.config.workers || this.failure !== undefined,
      () => capped(scheduleEndedAt + settleBudget),
    )
    await this.phases.end(this.outcome(settled))
    const settledAt = nowMicros()

    // The drain: load.drainTimeout from when the writes settled (or were given up on), as without deadlines.
    await this.phases.start('drain')
    const { drained, tail } = await this.drain(() => capped(settledAt + drainBudget), settledAt)
    await this.phases.end(this.outcome(drained))

    const verification = await this.close()
    stopTicker()
    await this.ticking
    this.livePhase = 'done'

    if (this.failure !== undefined && !this.control.reason) throw new RuntimeFailure(this.failure)

    const counted = this.aggregator.totals()
    // Counters and the tracker's bits from one moment: every counter below, and the warnings, agree.
    const marks = this.tracker.tally(counted.seqLimit)
    const totals = settleCounters(counted, marks)
    const unseenAcked = marks.unseenAcked
    // The final interval (after the drain) is a point of the series recovery reads: a recovery inside it is one.
    const final = this.aggregator.tick(this.runId, 'done', startAt, nowMicros())
    this.backlogSeries.push(backlogPoint(final))
    const result = buildResult({
      config: this.config,
      runId: this.runId,
      startedAt: this.startedAt,
      endedAt: new Date(),
      startAt,
      actualStartAt,
      stop: this.control.reason
        ? { reason: this.control.reason, at: this.control.stoppedAt, by: this.control.by }
        : undefined,
      timeBase: this.timeBase,
      totals,
      latencies: this.aggregator.total,
      hops: this.aggregator.hops,
      windows: this.aggregator.windows,
      pipeline: pipeline && {
        failure: pipeline.failure,
        report: pipeline.report(),
        errors: pipeline.errors(),
      },
      errors: this.aggregator.errors(),
      intervals: this.aggregator.intervals,
      histograms: this.aggregator.encodedTotals(),
      unseenAcked,
      drainTail: tail,
      sinkAnsweredAt: this.sinkAnsweredAt.size > 0 ? Math.min(...this.sinkAnsweredAt.values()) : undefined,
      unseenSample: unseenAcked > 0 ? this.tracker.unseenAcked(totals.seqLimit, 10) : [],
      unseenSeqs: unseenAcked > 0 ? this.tracker.unseenAcked(totals.seqLimit, unseenAcked) : [],
      phases: this.phases.records,
      faults: faultRecords,
      faultWarnings: this.lateStart ? [this.lateStart, ...this.faultWarnings] : this.faultWarnings,
      backlogSeries: this.backlogSeries,
      verification: verification.merged,
      plugins: verification.plugins,
    })
    await this.reporters.snapshot({ ...final, events: result.events, slo: result.slo.checks })
    await this.reporters.runEnd(result)
    return result
  }

  private outcome(done: boolean): 'done' | 'deadline' | 'stopped' {
    return done ? 'done' : this.control.reason ? 'stopped' : 'deadline'
  }

  private startWorkers(): void {
    const { config } = this
    this.pool = new Piscina({
      filename: WORKER_URL,
      minThreads: config.workers,
      maxThreads: config.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 1000,
      atomics: 'disabled',
    })
    for (let shard = 0; shard < config.workers; shard++) {
      const { port1, port2 } = new MessageChannel()
      this.ports.push(port1)
      port1.on('message', (message: WorkerMessage) => this.onWorkerMessage(message))
      port1.on('close', () => {
        this.closed.add(shard)
        this.changed.notify()
      })
      const init: WorkerInit = {
        runId: this.runId,
        ...planWorker(config.shard, shard, config.workers),
        worker: shard,
        workers: config.workers,
        runShard: config.shard,
        source: config.source,
        sink: config.sink,
        verify: config.verify,
        verifySample: config.verifySample,
        load: config.load,
        intervalMicros: config.intervalMicros,
        tracker: this.buffers,
        port: port2,
      }
      this.tasks.push(
        this.pool.run(init, { transferList: [port2] as never }).catch((error: unknown) => {
          if (!this.abandoning) this.failure ??= `worker ${shard} crashed: ${redactUrl(describeError(error))}`
          this.closed.add(shard)
          this.changed.notify()
          return undefined
        }),
      )
    }
  }

  private onWorkerMessage(message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.ready.add(message.shard)
        // Process worker 0's, not plan worker 0's: a shard other than 0 has no plan worker 0, and its other workers' sinks only stand by.
        if (message.worker === 0 || this.timeBase === undefined)
          this.timeBase = message.timeBase ?? this.timeBase
        this.aggregator.hops.declare(message.stamps)
        break
      case 'failed':
        if (this.failure !== undefined) break
        // A bad option fails every worker alike: one line, without the worker that happened to say it first.
        this.failureIsConfig = message.config === true
        this.failure = this.failureIsConfig
          ? message.message
          : `${message.shard === 0 ? '' : `worker ${message.shard}: `}${message.message}`
        break
      case 'log':
        if (this.isRepeat(message.message)) break
        this.reporters.log(message.message)
        break
      case 'snapshot':
        this.aggregator.add(message)
        if (message.sinkAnsweredAt !== undefined && this.livePhase !== 'verify' && this.livePhase !== 'done')
          this.sinkAnsweredAt.set(message.shard, message.sinkAnsweredAt)
        break
      case 'scheduleDone':
        this.scheduleDone.add(message.shard)
        break
      case 'loadDone':
        this.loadDone.add(message.shard)
        break
      case 'sinkAnswered':
        if (message.at !== undefined) this.sinkAnsweredAt.set(message.shard, message.at)
        break
    }
    this.changed.notify()
  }

  /**
   * Says live when a sink's target has not answered it (`Observer.answered`) for SINK_SILENCE_NOTE_MICROS, and
   * when every sink hears again: someone watching a run that seems to stall learns it is the target, not cdcb.
   */
  private noteSinkSilence(now: number): void {
    // Once the drain is over the sinks stop, and their silence is cdcb's doing.
    if (this.sinkAnsweredAt.size === 0 || this.livePhase === 'verify' || this.livePhase === 'done') return
    const oldest = Math.min(...this.sinkAnsweredAt.values())
    const silent = now - oldest > SINK_SILENCE_NOTE_MICROS
    if (silent && this.silenceNotedFrom === undefined) {
      this.silenceNotedFrom = oldest
      this.reporters.log(
        `sink "${this.config.sink.name}": no answer from the target for ${SINK_SILENCE_NOTE_MICROS / 1e6}s (a server frozen or unreachable?); still waiting`,
      )
    } else if (!silent && this.silenceNotedFrom !== undefined) {
      this.reporters.log(
        `sink "${this.config.sink.name}": the target answers again, after about ${Math.round((oldest - this.silenceNotedFrom) / 1e6)}s of silence`,
      )
      this.silenceNotedFrom = undefined
    }
  }

  /**
   * Whether every worker said the same line within the last second (a verifier that cannot reach its
   * server fails alike in each): said once. A line a plugin repeats over time still shows each time.
   */
  private isRepeat(line: string): boolean {
    const now = nowMicros()
    const said = this.recentLogs.get(line)
    if (said !== undefined && now - said < 1e6) return true
    if (this.recentLogs.size >= 256) this.recentLogs.clear()
    this.recentLogs.set(line, now)
    return false
  }

  /** Phase `ready`: every worker's source open and sink watching before the first operation. */
  private async waitReady(): Promise<void> {
    const { config } = this
    await this.phases.start('ready')
    const began = nowMicros()
    const nudge = setInterval(() => {
      const waited = Math.round((nowMicros() - began) / 1e6)
      this.reporters.log(
        `still starting after ${waited}s: ${this.ready.size} of ${config.workers} workers have their source open and sink watching`,
      )
    }, 10_000)
    const allReady = await this.changed.waitFor(
      () =>
        this.ready.size === config.workers || this.failure !== undefined || this.control.reason !== undefined,
      () => began + PHASE_DEADLINES.ready,
    )
    clearInterval(nudge)
    const ok = allReady && this.failure === undefined && this.control.reason === undefined
    await this.phases.end(ok ? 'done' : this.outcome(allReady))
    if (ok) {
      const unknownHop = this.undeclaredHopSlo()
      if (unknownHop === undefined) return
      // Every window would fail for "no data": a config error, known once the sink has said what it reads.
      this.broadcast({ type: 'stop' })
      await this.closeWorkers(PHASE_DEADLINES.closeStopped)
      throw new ConfigError(unknownHop)
    }
    this.broadcast({ type: 'stop' })
    await this.closeWorkers(PHASE_DEADLINES.closeStopped)
    if (this.control.reason) throw new CdcbError('interrupted before the run started', 3)
    if (this.failure !== undefined && this.failureIsConfig) throw new ConfigError(this.failure)
    throw new RuntimeFailure(
      this.failure !== undefined
        ? this.failure
        : `the workers did not become ready within ${PHASE_DEADLINES.ready / 1e6}s (${this.ready.size} of ${config.workers}) — check that the source and sink can reach their servers`,
    )
  }

  /** The problem with an SLO on a hop the sink did not declare (`Sink.stamps`), naming the hops it has; undefined when none. */
  private undeclaredHopSlo(): string | undefined {
    const declared = this.aggregator.hops.declared.map((stamp) => stamp.name)
    const check = this.config.slo.find(
      (c) =>
        c.metric.kind === 'latency' &&
        c.metric.name.startsWith('hop.') &&
        !declared.includes(c.metric.name.slice(4)),
    )
    if (!check) return undefined
    const where = this.config.configPath ? `${path.basename(this.config.configPath)}: ` : ''
    const has =
      declared.length > 0
        ? `its hops are ${declared.map((name) => `hop.${name}`).join(', ')}`
        : 'it reads no stamps beyond committedAt, so the run has no hops'
    const fix = declared.length > 0 ? 'use one of those' : 'use e2e, or a sink that reads stamps'
    return `${where}slo: "${check.source}" names a hop the sink "${this.config.sink.name}" does not measure — ${has}; ${fix}`
  }

  /**
   * Starts every worker's schedule: 20 ms from now, or at the run's start time
   * (`--start-at`, shared by its shards) after waiting for it. Returns the
   * schedule's origin and when this process actually started it (epoch µs).
   */
  private async startSchedule(): Promise<{ startAt: number; actualStartAt: number }> {
    const { config } = this
    // A whole microsecond: markers carry intended times rounded to one, and seq 0 must not round into the warmup.
    let startAt = Math.ceil(nowMicros()) + 20_000
    if (config.startAtMicros !== undefined) {
      // Every shard's intended times count from the same origin, so the shards' seqs interleave as one plan's.
      startAt = config.startAtMicros
      const wait = startAt - 20_000 - nowMicros()
      const who = config.shard
        ? `shard ${formatShard(config.shard)} of run ${this.runId}`
        : `run ${this.runId}`
      if (wait > 0) {
        this.reporters.log(
          `${who}: ready; waiting ${(wait / 1e6).toFixed(1)}s to start at ${new Date(startAt / 1e3).toISOString()} (--start-at)`,
        )
        await this.sleepUnlessStopped(wait)
        if (this.control.reason) {
          // As a stop while starting up: the workers close (sinks stop, sources close) before the teardown.
          this.broadcast({ type: 'stop' })
          await this.closeWorkers(PHASE_DEADLINES.closeStopped)
          throw new CdcbError('interrupted before the run started', 3)
        }
      }
    }
    this.broadcast({ type: 'start', startAt })
    // Measured, not assumed: when this process's clock passed the start with its workers told (timer lateness included).
    let actualStartAt = startAt
    if (config.startAtMicros !== undefined) {
      const left = startAt - nowMicros()
      if (left > 0) await this.sleepUnlessStopped(left)
      actualStartAt = nowMicros()
    }
    if (config.startAtMicros !== undefined && actualStartAt - startAt > START_LATE_WARNING_MICROS) {
      this.lateStart = `the schedule started ${((actualStartAt - startAt) / 1e3).toFixed(0)} ms after --start-at (more than ${START_LATE_WARNING_MICROS / 1e3} ms skews a merge of shards; preparing took longer than the lead time, or this machine was busy): its first operations were sent late — give the shards a later start time`
      this.reporters.log(this.lateStart)
    }
    this.livePhase = 'warmup'
    await this.reporters.runStart({
      runId: this.runId,
      name: config.name,
      workers: config.workers,
      warmupSeconds: config.load.warmupMicros / 1e6,
      measureSeconds: (config.load.totalMicros - config.load.warmupMicros) / 1e6,
      slo: config.slo.map((s) => s.source),
      source: config.source.name,
      sink: config.sink.name,
    })
    return { startAt, actualStartAt }
  }

  /** A warning for the result when this process started its schedule well after `--start-at`. */
  private lateStart: string | undefined

  /**
   * Sleeps `micros` µs, or until a stop. In chunks below Node's timer limit
   * (2³¹ − 1 ms, ~24.8 days): a longer delay fires at once with a
   * TimeoutOverflowWarning, so a far `--start-at` would start the run early.
   */
  private async sleepUnlessStopped(micros: number): Promise<void> {
    const deadline = nowMicros() + micros
    for (;;) {
      const left = deadline - nowMicros()
      if (left <= 0 || this.control.signal.aborted) return
      await this.sleepChunk(Math.min(left, MAX_TIMER_MICROS))
    }
  }

  private sleepChunk(micros: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, micros / 1e3)
      const signal = this.control.signal
      function done() {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    })
  }

  private ticking = Promise.resolve()

  private startTicker(startAt: number): () => void {
    const { config } = this
    const currentPhase = (): Phase => {
      if (this.livePhase !== 'warmup') return this.livePhase
      return nowMicros() - startAt < config.load.warmupMicros ? 'warmup' : 'measure'
    }
    // Tick a little after the workers' snapshots for the same interval have arrived.
    const tickOffset = Math.min(config.intervalMicros / 4, 150e3)
    return everyAligned(startAt, config.intervalMicros, tickOffset, () => {
      this.ticking = this.ticking.then(async () => {
        this.noteSinkSilence(nowMicros())
        const snapshot = this.aggregator.tick(this.runId, currentPhase(), startAt, nowMicros())
        this.backlogSeries.push(backlogPoint(snapshot))
        await this.reporters.snapshot(snapshot)
        if (config.abortOnFail && snapshot.phase === 'measure' && failsEarly(snapshot.slo, config)) {
          this.reporters.log('an SLO failed and abortOnFail is set: stopping the run')
          this.control.stop('aborted')
        }
      })
    })
  }

  /**
   * Phase `drain`: until every acknowledged event was seen, or the budget ends.
   * `tail` is the evidence for lost versus unresolved: how many unseen events
   * arrived in the drain's last `drainQuietMicros` (or all of it, if shorter).
   */
  private async drain(
    budgetEnd: () => number,
    since: number,
  ): Promise<{ drained: boolean; tail: DrainTail }> {
    let scanFrom = 0
    let lastNote = nowMicros()
    const quiet = drainQuietMicros(this.config.load.drainTimeoutMicros)
    // (time µs, unseen) at each poll, trimmed to the quiet period: one entry per 20 ms at most.
    const samples: Array<[number, number]> = []
    const unseen = () => {
      const scan = this.tracker.scanUnseenAcked(this.aggregator.totals().seqLimit, scanFrom)
      scanFrom = scan.firstWord
      return scan.unseen
    }
    const drained = await this.changed.waitFor(
      () => {
        if (this.failure !== undefined) return false
        const left = unseen()
        const now = nowMicros()
        samples.push([now, left])
        while (samples.length > 2 && samples[1]![0] <= now - quiet) samples.shift()
        // Say what the run is waiting for, so a stuck pipeline never looks like a hung tool.
        if (left > 0 && now - lastNote >= 5e6) {
          const note = drainNote(now - since, left, budgetEnd() - now)
          if (note) this.reporters.log(note)
          lastNote = now
        }
        return left === 0
      },
      () => (this.failure !== undefined ? 0 : budgetEnd()),
      DRAIN_POLL_MICROS,
    )
    const end = nowMicros()
    const left = unseen()
    const [from, leftThen] = samples[0] ?? [end, left]
    return {
      drained,
      tail: {
        endAt: end,
        seconds: (end - from) / 1e6,
        arrived: Math.max(0, leftThen - left),
        quietSeconds: quiet / 1e6,
      },
    }
  }

  /** Phase `close`: workers stop their sinks, verify if asked, close; a worker past the deadline is terminated. */
  private async close(): Promise<{
    merged: RunResult['verification']
    plugins: RunResult['plugins']
  }> {
    const verify = this.config.verify !== undefined && this.failure === undefined && !this.control.reason
    await this.phases.start('close')
    this.livePhase = 'verify'
    this.broadcast({ type: 'finish', verify })
    const deadline = this.control.reason
      ? PHASE_DEADLINES.closeStopped
      : verify
        ? PHASE_DEADLINES.verify
        : PHASE_DEADLINES.close
    const { results, inTime } = await this.closeWorkers(deadline)
    await this.phases.end(this.outcome(inTime))
    return {
      merged: mergeVerification(results),
      plugins: { source: sumStats(results, 'sourceStats'), sink: sumStats(results, 'sinkStats') },
    }
  }

  /** Waits for every worker's task within `deadlineMicros`, then destroys the pool either way. */
  private async closeWorkers(deadlineMicros: number): Promise<{ results: WorkerResult[]; inTime: boolean }> {
    const began = nowMicros()
    const results: WorkerResult[] = []
    const settledTasks = this.tasks.map((task) =>
      task.then((result) => {
        if (result) results.push(result)
      }),
    )
    let allSettled = false
    void Promise.all(settledTasks).then(() => {
      allSettled = true
      this.changed.notify()
    })
    const inTime = await this.changed.waitFor(
      // A port's close event comes after every message the worker posted on it (its last snapshot).
      () => allSettled && this.closed.size >= this.config.workers,
      () => began + deadlineMicros,
    )
    this.abandoning = true
    for (const port of this.ports) port.close()
    await this.pool?.destroy()
    return { results, inTime }
  }

  private broadcast(message: MainMessage): void {
    for (const port of this.ports) port.postMessage(message)
  }

  /** Races `work` with a deadline and with a stop; rejects with `message` at the deadline. */
  private async withDeadline<T>(work: Promise<T>, micros: number, message: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    let onStop: (() => void) | undefined
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RuntimeFailure(message)), micros / 1e3)
      onStop = () => reject(new CdcbError('interrupted', 3))
      this.control.signal.addEventListener('abort', onStop, { once: true })
    })
    try {
      return await Promise.race([work, limit])
    } finally {
      clearTimeout(timer)
      if (onStop) this.control.signal.removeEventListener('abort', onStop)
    }
  }
}

export type { LifecyclePhase, PhaseHooks }

/** What the pipeline owed at an interval's end: sent − failed − observed (docs/architecture.md, counters). */
/**
 * The drain's progress line, `draining for 10s: 512 events still in the pipeline;
 * waiting up to 20s more` (times in µs); undefined when under a second of the
 * budget is left: the drain is ending (a stop request cut it to 5 s), and the
 * report says what was left — "waiting up to 0s more" read as a hang.
 */
export function drainNote(waitedMicros: number, left: number, moreMicros: number): string | undefined {
  if (moreMicros < 1e6) return undefined
  return `draining for ${(waitedMicros / 1e6).toFixed(0)}s: ${left} events still in the pipeline; waiting up to ${Math.floor(moreMicros / 1e6)}s more`
}

function backlogPoint(snapshot: RunSnapshot): BacklogPoint {
  const { events } = snapshot
  return {
    t: snapshot.elapsedSeconds,
    backlog: Math.max(0, events.sent - events.errors - events.observed),
    observed: events.observed,
    e2eP99: snapshot.interval.e2e.p99,
  }
}

/** Latency, throughput and error checks can fail mid-run; loss and verification only at the end. */
function failsEarly(checks: RunResult['slo']['checks'], config: ResolvedConfig): boolean {
  return checks.some((check, i) => {
    const { metric, windowMicros } = config.slo[i]!
    // A window that failed stays failed, whatever the metric: the check is decided.
    if (windowMicros !== undefined) return check.status === 'failed'
    const early = metric.kind === 'latency' || metric.name === 'errors'
    return early && check.actual !== null && check.status === 'failed'
  })
}

function mergeVerification(results: readonly WorkerResult[]): RunResult['verification'] {
  const reports = results.map((r) => r.verification).filter((v) => v !== null)
  if (reports.length === 0) return null
  const mismatches: Mismatch[] = []
  for (const report of reports) {
    for (const m of report.mismatches) if (mismatches.length < MAX_MISMATCHES_REPORTED) mismatches.push(m)
  }
  // A verifier that failed verified nothing: said as such, never folded into the counts as 0 keys checked.
  const failed = reports.filter((r) => r.error !== undefined)
  const errors = [...new Set(failed.map((r) => r.error!))].join('; ')
  const error =
    failed.length === 0
      ? undefined
      : failed.length === reports.length
        ? errors
        : `${errors} (in ${failed.length} of ${reports.length} workers: the counts are the others' keys only)`
  return {
    checked: reports.reduce((n, r) => n + r.checked, 0),
    mismatched: reports.reduce((n, r) => n + r.mismatched, 0),
    skipped: reports.reduce((n, r) => n + r.skipped, 0),
    mismatches,
    ...(error === undefined ? {} : { error }),
  }
}

function sumStats(
  results: readonly WorkerResult[],
  part: 'sourceStats' | 'sinkStats',
): Record<string, number> {
  const total: Record<string, number> = {}
  for (const r of results) for (const [k, v] of Object.entries(r[part])) total[k] = (total[k] ?? 0) + v
  return total
}

/** Calls reporters one hook at a time, so none sees overlapping calls; a failing reporter is reported, not fatal. */
class ReporterFanout {
  constructor(private readonly reporters: Reporter[]) {}

  async add(reporters: readonly Reporter[]): Promise<void> {
    this.reporters.push(...reporters)
  }

  async runStart(info: Parameters<NonNullable<Reporter['onRunStart']>>[0]): Promise<void> {
    for (const r of this.reporters) await this.call(() => r.onRunStart?.(info), 'onRunStart')
  }

  async snapshot(snapshot: Parameters<NonNullable<Reporter['onSnapshot']>>[0]): Promise<void> {
    for (const r of this.reporters) await this.call(() => r.onSnapshot?.(snapshot), 'onSnapshot')
  }

  log(message: string, kind?: LogKind): void {
    for (const r of this.reporters) void this.call(() => r.onLog?.(message, kind), 'onLog')
  }

  async runEnd(result: RunResult): Promise<void> {
    for (const r of this.reporters) await this.call(() => r.onRunEnd?.(result), 'onRunEnd')
  }

  async runAmended(result: RunResult): Promise<void> {
    for (const r of this.reporters) await this.call(() => r.onRunAmended?.(result), 'onRunAmended')
  }

  private async call(hook: () => void | Promise<void>, name: string): Promise<void> {
    try {
      await hook()
    } catch (error) {
      process.stderr.write(`cdcb: a reporter failed in ${name}: ${redactUrl(describeError(error))}\n`)
    }
  }
}
