/**
 * Runs a benchmark: prepares the plugins, starts one long task per shard on a
 * piscina pool, merges their snapshots every interval for the reporters, drains,
 * verifies, evaluates the SLOs and builds the result.
 */
import { randomBytes } from 'node:crypto'
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
import { plannedBetween } from '../load/schedule.js'
import { createTrackerBuffers, Tracker } from '../metrics/tracker.js'
import type { Mismatch, Preparation, Reporter, RunContext, Slot } from '../plugin.js'
import type { Phase, RunResult, RunSnapshot, RunStatus } from '../result.js'
import { type FaultRecord, startFaults } from '../scenarios/faults.js'
import { type BacklogPoint, burstsOf, type Episode, measureRecovery } from '../scenarios/recovery.js'
import { formatRate } from '../units.js'
import { Aggregator } from './aggregator.js'
import type { MainMessage, WorkerInit, WorkerMessage, WorkerResult } from './messages.js'

/** How a caller stops a run early: the first `stop` ends the schedule and drains briefly. */
export class RunControl {
  private readonly controller = new AbortController()
  reason: 'interrupted' | 'aborted' | undefined
  /** Epoch microseconds of the first `stop`. */
  stoppedAt = 0
  private listeners: Array<() => void> = []

  /** Ends the schedule now; the run drains for at most 5 s and reports what it measured. */
  stop(reason: 'interrupted' | 'aborted' = 'interrupted'): void {
    if (this.reason) return
    this.reason = reason
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
}

export interface RunOptions {
  readonly reporters?: readonly Reporter[]
  readonly control?: RunControl
  /** Fixed run id, for tests; random otherwise. */
  readonly runId?: string
}

const WORKER_URL = new URL('./worker.js', import.meta.url).href
const READY_TIMEOUT_MS = 120_000
const INTERRUPTED_DRAIN_MICROS = 5e6
const MAX_MISMATCHES_REPORTED = 50

export async function runBenchmark(config: ResolvedConfig, options: RunOptions = {}): Promise<RunResult> {
  const control = options.control ?? new RunControl()
  const reporters = new ReporterFanout(options.reporters ?? [])
  const runId = options.runId ?? randomBytes(4).toString('hex')
  const startedAt = new Date()
  const runContext: RunContext = {
    runId,
    name: config.name,
    seed: config.load.seed,
    shards: config.workers,
    signal: control.signal,
    log: (message) => reporters.log(redactUrl(message)),
  }

  const preparations = await prepareAll(config, runContext)
  const buffers = createTrackerBuffers(
    config.load.model === 'open' ? config.load.schedule.plannedOperations : undefined,
    config.load.keys,
  )
  const tracker = new Tracker(buffers)
  const aggregator = new Aggregator(config)
  const pool = new Piscina({
    filename: WORKER_URL,
    minThreads: config.workers,
    maxThreads: config.workers,
    concurrentTasksPerWorker: 1,
    idleTimeout: 1000,
    atomics: 'disabled',
  })

  const ports: MessagePort[] = []
  const ready = new Set<number>()
  const loadDone = new Set<number>()
  const done = new Set<number>()
  let timeBase: string | undefined
  let failure: string | undefined
  let wake: () => void = () => {}
  const changed = () => wake()
  const waitFor = async (condition: () => boolean, timeoutMicros = Number.POSITIVE_INFINITY) => {
    const deadline = nowMicros() + timeoutMicros
    while (!condition() && nowMicros() < deadline) {
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, Math.min(100, Math.max(1, (deadline - nowMicros()) / 1e3)))
      })
    }
    return condition()
  }

  const broadcast = (message: MainMessage) => {
    for (const port of ports) port.postMessage(message)
  }
  control.onStop(() => {
    broadcast({ type: 'stop' })
    changed()
  })

  const tasks: Promise<WorkerResult | undefined>[] = []
  for (let shard = 0; shard < config.workers; shard++) {
    const { port1, port2 } = new MessageChannel()
    ports.push(port1)
    port1.on('message', (message: WorkerMessage | { type: 'done'; shard: number }) => {
      switch (message.type) {
        case 'ready':
          ready.add(message.shard)
          if (message.shard === 0 || timeBase === undefined) timeBase = message.timeBase ?? timeBase
          break
        case 'failed':
          failure ??= `${message.shard === 0 ? '' : `worker ${message.shard}: `}${message.message}`
          break
        case 'log':
          reporters.log(message.message)
          break
        case 'snapshot':
          aggregator.add(message)
          break
        case 'loadDone':
          loadDone.add(message.shard)
          break
      }
      changed()
    })
    port1.on('close', () => {
      done.add(shard)
      changed()
    })
    const init: WorkerInit = {
      runId,
      shard,
      shards: config.workers,
      source: config.source,
      sink: config.sink,
      verify: config.verify,
      verifySample: config.verifySample,
      load: config.load,
      intervalMicros: config.intervalMicros,
      tracker: buffers,
      port: port2,
    }
    tasks.push(
      pool.run(init, { transferList: [port2] as never }).catch((error: unknown) => {
        failure ??= `worker ${shard} crashed: ${redactUrl(describeError(error))}`
        done.add(shard)
        changed()
        return undefined
      }),
    )
  }

  const cleanUp = async () => {
    await Promise.allSettled(tasks)
    for (const port of ports) port.close()
    await pool.destroy()
    await teardownAll(preparations, reporters)
  }

  // Start: every worker's source is open and sink is watching before the first operation.
  const startWaitBegan = nowMicros()
  const nudge = setInterval(() => {
    const waited = Math.round((nowMicros() - startWaitBegan) / 1e6)
    reporters.log(
      `still starting after ${waited}s: ${ready.size} of ${config.workers} workers have their source open and sink watching`,
    )
  }, 10_000)
  const allReady = await waitFor(
    () => ready.size === config.workers || failure !== undefined || control.reason !== undefined,
    READY_TIMEOUT_MS * 1e3,
  )
  clearInterval(nudge)
  if (failure !== undefined || !allReady || control.reason !== undefined) {
    broadcast({ type: 'stop' })
    await cleanUp()
    if (control.reason) throw new CdcbError('interrupted before the run started', 3)
    throw new RuntimeFailure(
      failure !== undefined
        ? failure
        : `the workers did not become ready within ${READY_TIMEOUT_MS / 1000}s (${ready.size} of ${config.workers}) — check that the source and sink can reach their servers`,
    )
  }

  // A whole microsecond: markers carry intended times rounded to one, and seq 0 must not round into the warmup.
  const startAt = Math.ceil(nowMicros()) + 20_000
  broadcast({ type: 'start', startAt })
  await reporters.runStart({
    runId,
    name: config.name,
    workers: config.workers,
    warmupSeconds: config.load.warmupMicros / 1e6,
    measureSeconds: (config.load.totalMicros - config.load.warmupMicros) / 1e6,
    slo: config.slo.map((s) => s.source),
    source: config.source.name,
    sink: config.sink.name,
  })

  // Faults run against the schedule's start; the backlog series feeds recovery after each fault and burst.
  const faultWarnings: string[] = []
  const faults = startFaults(config.faults, startAt, {
    baseDir: config.baseDir,
    pipelineActions: undefined,
    now: nowMicros,
    onEvent: (message, failed) => {
      reporters.log(message)
      if (failed) faultWarnings.push(message)
    },
  })
  const backlogSeries: BacklogPoint[] = []

  let phase: Phase = 'warmup'
  const currentPhase = (): Phase => {
    if (phase === 'drain' || phase === 'verify' || phase === 'done') return phase
    return nowMicros() - startAt < config.load.warmupMicros ? 'warmup' : 'measure'
  }
  let ticking = Promise.resolve()
  // Tick a little after the workers' snapshots for the same interval have arrived.
  const tickOffset = Math.min(config.intervalMicros / 4, 150e3)
  const stopTicker = everyAligned(startAt, config.intervalMicros, tickOffset, () => {
    ticking = ticking.then(async () => {
      const snapshot = aggregator.tick(runId, currentPhase(), startAt, nowMicros())
      backlogSeries.push(backlogPoint(snapshot))
      await reporters.snapshot(snapshot)
      if (config.abortOnFail && snapshot.phase === 'measure' && failsEarly(snapshot.slo, config)) {
        reporters.log('an SLO failed and abortOnFail is set: stopping the run')
        control.stop('aborted')
      }
    })
  })

  // Load phase, then drain until every acknowledged event was seen or the deadline passes.
  await waitFor(() => loadDone.size + done.size >= config.workers || failure !== undefined)
  const loadEndedAt = nowMicros()
  // A fault still in force is undone before the drain: the pipeline must be able to deliver.
  const faultRecords = await faults.stop()
  phase = 'drain'
  const drainBudget = config.load.drainTimeoutMicros
  const drainDeadline = () =>
    control.reason
      ? Math.min(
          loadEndedAt + drainBudget,
          Math.max(control.stoppedAt, loadEndedAt) + INTERRUPTED_DRAIN_MICROS,
        )
      : loadEndedAt + drainBudget
  let drained = false
  let scanFrom = 0
  let lastNote = 0
  while (failure === undefined && nowMicros() < drainDeadline()) {
    const scan = tracker.scanUnseenAcked(aggregator.seqLimit(), scanFrom)
    scanFrom = scan.firstWord
    if (scan.unseen === 0) {
      drained = true
      break
    }
    // Say what the run is waiting for, so a stuck pipeline never looks like a hung tool.
    if (nowMicros() - lastNote >= 5e6) {
      const left = Math.max(0, (drainDeadline() - nowMicros()) / 1e6)
      reporters.log(
        `draining: ${scan.unseen} events still in the pipeline; waiting up to ${left.toFixed(0)}s more`,
      )
      lastNote = nowMicros()
    }
    await waitFor(() => false, 20e3)
  }

  phase = 'verify'
  broadcast({
    type: 'finish',
    verify: config.verify !== undefined && failure === undefined && !control.reason,
  })
  const results = (await Promise.all(tasks)).filter((r): r is WorkerResult => r !== undefined)
  await waitFor(() => done.size >= config.workers, 5e6)
  stopTicker()
  await ticking
  phase = 'done'
  await cleanUp()

  if (failure !== undefined && !control.reason) throw new RuntimeFailure(failure)

  const seqLimit = aggregator.seqLimit()
  aggregator.lost = tracker.countUnseenAcked(seqLimit)
  const lostSample = aggregator.lost > 0 ? tracker.unseenAcked(seqLimit, 10) : []
  const verification = mergeVerification(results)
  aggregator.verification = verification
  const finalSnapshot = aggregator.tick(runId, 'done', startAt, nowMicros())
  await reporters.snapshot(finalSnapshot)

  const measuredMicros = Math.max(
    0,
    Math.min(loadEndedAt - startAt, config.load.totalMicros) - config.load.warmupMicros,
  )
  const measuredSeconds = measuredMicros / 1e6
  const scenario = scenarioOf(config, faultRecords, backlogSeries)
  aggregator.scenario = { recoveryTimeMs: scenario.recoveryTimeMs, backlogMax: scenario.backlogMax }
  const checks = aggregator.evaluate(measuredSeconds)
  const sloPassed = checks.every((c) => c.passed)
  const events = aggregator.events()
  const targetRate =
    config.load.model === 'open' && measuredSeconds > 0
      ? plannedBetween(
          config.load.schedule,
          config.load.warmupMicros,
          config.load.warmupMicros + measuredMicros,
        ) / measuredSeconds
      : 0
  const sentRate = measuredSeconds > 0 ? aggregator.sum('sentInWindow') / measuredSeconds : 0
  const achievedRate = measuredSeconds > 0 ? aggregator.sum('observedInWindow') / measuredSeconds : 0

  const status: RunStatus =
    control.reason === 'interrupted' ? 'interrupted' : sloPassed && !control.reason ? 'passed' : 'failed'
  const exitCode = status === 'interrupted' ? 130 : status === 'passed' ? 0 : 1
  const result: RunResult = {
    schemaVersion: 1,
    runId,
    name: config.name,
    status,
    exitCode,
    reason:
      control.reason === 'interrupted'
        ? 'interrupted (Ctrl-C): partial results'
        : control.reason === 'aborted'
          ? 'stopped early: an SLO failed (abortOnFail)'
          : undefined,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    workers: config.workers,
    source: config.source.name,
    sink: config.sink.name,
    timeBase: timeBase ?? 'observed by cdcb (no target timestamp)',
    slo: { passed: sloPassed, checks },
    metrics: finalSnapshot.total,
    rate: { target: round(targetRate), sent: round(sentRate), achieved: round(achievedRate) },
    events,
    operations: {
      insert: aggregator.sum('inserts'),
      update: aggregator.sum('updates'),
      delete: aggregator.sum('deletes'),
    },
    lateShare: finalSnapshot.lateShare,
    measuredSeconds: round(measuredSeconds),
    errors: aggregator.errors(),
    verification,
    warnings: [
      ...warningsFor({ targetRate, sentRate, events, drained, lostSample, drainBudget, config }),
      ...faultWarnings,
      ...scenario.warnings,
    ],
    backlogMax: scenario.backlogMax,
    faults: faultRecords,
    recovery: scenario.recovery,
    intervals: aggregator.intervals,
    histograms: aggregator.encodedTotals(),
    plugins: { source: sumStats(results, 'sourceStats'), sink: sumStats(results, 'sinkStats') },
  }
  await reporters.runEnd(result)
  return result
}

/** What the pipeline owed at an interval's end: sent − failed − observed (DESIGN.md, backlog). */
function backlogPoint(snapshot: RunSnapshot): BacklogPoint {
  const { events } = snapshot
  return {
    t: snapshot.elapsedSeconds,
    backlog: Math.max(0, events.sent - events.errors - events.observed),
    observed: events.observed,
    e2eP99: snapshot.interval.e2e.count > 0 ? snapshot.interval.e2e.p99 : null,
  }
}

/** Recovery after every fault that started and every burst of the schedule, and the backlog's peak. */
function scenarioOf(config: ResolvedConfig, faults: readonly FaultRecord[], series: readonly BacklogPoint[]) {
  const warmupSeconds = config.load.warmupMicros / 1e6
  const measured = series.filter((p) => p.t > warmupSeconds)
  const backlogMax = measured.length > 0 ? Math.max(...measured.map((p) => p.backlog)) : null
  const episodes: Episode[] = faults
    .filter((f) => f.startedAt !== null)
    .map((f) => ({ label: `fault ${f.name}`, start: f.startedAt!, end: f.endedAt ?? f.startedAt! }))
  if (config.load.model === 'open') {
    const stages = config.load.schedule.segments.map((s) => ({
      seconds: s.durationMicros / 1e6,
      rate: s.fromRate === s.toRate ? s.fromRate : undefined,
    }))
    episodes.push(...burstsOf(stages))
  }
  episodes.sort((a, b) => a.start - b.start)
  const recovery = episodes.map((episode) =>
    measureRecovery(series, episode, {
      baselineSeconds: config.recovery.baselineSeconds,
      latencyFactor: config.recovery.latencyFactor,
    }),
  )
  const never = recovery.filter((r) => r.time === null)
  const warnings = never.map(
    (r) =>
      `${r.label} (${r.start.toFixed(1)}–${r.end.toFixed(1)}s): the backlog and e2e p99 never came back to their level before it within the run`,
  )
  const recoveryTimeMs =
    recovery.length === 0 || never.length > 0 ? null : Math.max(...recovery.map((r) => r.time!)) * 1e3
  return { recovery, backlogMax, recoveryTimeMs, warnings }
}

/** Calls each plugin's `prepare` on the main thread; on failure, tears down what was prepared and rethrows. */
async function prepareAll(config: ResolvedConfig, context: RunContext): Promise<Prepared[]> {
  const slots: Array<[Slot, ResolvedPlugin | undefined]> = [
    ['source', config.source],
    ['sink', config.sink],
    ['verify', config.verify],
  ]
  const prepared: Prepared[] = []
  for (const [slot, ref] of slots) {
    if (!ref) continue
    const plugin = await importPlugin(ref.moduleUrl, ref.name)
    checkSlot(plugin, slot, ref.name)
    if (!plugin.prepare) continue
    const part = partOfSlot(slot)
    try {
      const preparation = await plugin.prepare(slot, ref.options, context)
      if (preparation) prepared.push({ preparation, part, plugin: ref.name })
    } catch (error) {
      await teardownAll(prepared, { log: context.log })
      const message = pluginFailure(part, ref.name, 'prepare', error)
      // Keep the kind: a plugin's ConfigError (a table it must not touch) stays exit 2, nothing written.
      throw error instanceof ConfigError ? new ConfigError(message) : new RuntimeFailure(message)
    }
  }
  return prepared
}

/** A plugin's main-thread preparation with the names its teardown errors need. */
interface Prepared {
  readonly preparation: Preparation
  readonly part: PluginPart
  readonly plugin: string
}

async function teardownAll(prepared: Prepared[], log: { log(message: string): void }): Promise<void> {
  for (const { preparation, part, plugin } of prepared.reverse()) {
    try {
      await preparation.teardown?.()
    } catch (error) {
      log.log(pluginFailure(part, plugin, 'tear down', error))
    }
  }
  prepared.length = 0
}

/** Latency, throughput and error checks can fail mid-run; loss and verification only at the end. */
function failsEarly(checks: RunResult['slo']['checks'], config: ResolvedConfig): boolean {
  return checks.some((check, i) => {
    const metric = config.slo[i]!.metric
    const early = metric.kind === 'latency' || metric.name === 'errors'
    return early && check.actual !== null && !check.passed
  })
}

function mergeVerification(results: readonly WorkerResult[]): RunResult['verification'] {
  const reports = results.map((r) => r.verification).filter((v) => v !== null)
  if (reports.length === 0) return null
  const mismatches: Mismatch[] = []
  for (const report of reports) {
    for (const m of report.mismatches) if (mismatches.length < MAX_MISMATCHES_REPORTED) mismatches.push(m)
  }
  return {
    checked: reports.reduce((n, r) => n + r.checked, 0),
    mismatched: reports.reduce((n, r) => n + r.mismatched, 0),
    skipped: reports.reduce((n, r) => n + r.skipped, 0),
    mismatches,
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

function warningsFor(input: {
  targetRate: number
  sentRate: number
  events: RunResult['events']
  drained: boolean
  lostSample: number[]
  drainBudget: number
  config: ResolvedConfig
}): string[] {
  const { targetRate, sentRate, events, config } = input
  const warnings: string[] = []
  if (targetRate > 0 && sentRate < targetRate * 0.99) {
    warnings.push(
      `saturated: sent ${formatRate(sentRate)} of ${formatRate(targetRate)} planned — the generator or the target could not keep up; latencies still count from intended times`,
    )
  }
  if (events.sent > 0 && events.late / events.sent > 0.01) {
    warnings.push(
      `${((events.late / events.sent) * 100).toFixed(1)}% of operations were sent late (more than ${config.load.lateAfterMicros / 1e3}ms after their intended time)`,
    )
  }
  if (events.errors > 0) warnings.push(`${events.errors} operations failed to write (see errors)`)
  if (events.lost > 0) {
    warnings.push(
      `${events.lost} acknowledged events were not seen within the drain (${input.drainBudget / 1e6}s) and count as lost; first seqs: ${input.lostSample.join(', ')}`,
    )
  }
  return warnings
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

/** Calls reporters one hook at a time, so none sees overlapping calls; a failing reporter is reported, not fatal. */
class ReporterFanout {
  constructor(private readonly reporters: readonly Reporter[]) {}

  async runStart(info: Parameters<NonNullable<Reporter['onRunStart']>>[0]): Promise<void> {
    for (const r of this.reporters) await this.call(() => r.onRunStart?.(info), 'onRunStart')
  }

  async snapshot(snapshot: Parameters<NonNullable<Reporter['onSnapshot']>>[0]): Promise<void> {
    for (const r of this.reporters) await this.call(() => r.onSnapshot?.(snapshot), 'onSnapshot')
  }

  log(message: string): void {
    for (const r of this.reporters) void this.call(() => r.onLog?.(message), 'onLog')
  }

  async runEnd(result: RunResult): Promise<void> {
    for (const r of this.reporters) await this.call(() => r.onRunEnd?.(result), 'onRunEnd')
  }

  private async call(hook: () => void | Promise<void>, name: string): Promise<void> {
    try {
      await hook()
    } catch (error) {
      process.stderr.write(`cdcb: a reporter failed in ${name}: ${redactUrl(describeError(error))}\n`)
    }
  }
}
