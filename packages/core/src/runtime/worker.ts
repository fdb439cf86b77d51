/**
 * One shard of a run, as a long piscina task. The worker owns the hot path:
 * the open-model scheduler, its Source and Sink, the shared tracker and its own
 * HDR recorders. It reports encoded histograms and counters every interval and
 * never waits for the main thread on the hot path.
 */
import type { MessagePort } from 'node:worker_threads'
import { everyAligned, nowMicros } from '../clock.js'
import { importPlugin } from '../config/plugin-loader.js'
import {
  ConfigError,
  describeError,
  errorKind,
  PartialWriteFailure,
  type PluginPart,
  type PluginPhase,
  pluginFailure,
  redactUrl,
} from '../errors.js'
import { KeySpace } from '../load/keyspace.js'
import { digestOf, payloadFor, writePayload } from '../load/payload.js'
import { intendedOffset, segmentIndexOf } from '../load/schedule.js'
import { shardOwnsSeq } from '../load/shard.js'
import { decodeMarker } from '../marker.js'
import { HopRecorders } from '../metrics/hops.js'
import { createRecorderSet, type RecorderSet } from '../metrics/recorder.js'
import { Seen, Tracker } from '../metrics/tracker.js'
import type {
  ExpectedRow,
  Observer,
  Operation,
  PluginContext,
  Sink,
  Source,
  VerificationReport,
} from '../plugin.js'
import { LATENCY_METRICS } from '../result.js'
import { plural } from '../units.js'
import type {
  ErrorTally,
  IntervalCounts,
  MainMessage,
  WorkerCounters,
  WorkerInit,
  WorkerMessage,
  WorkerResult,
} from './messages.js'

function takeSparse(set: RecorderSet): IntervalCounts {
  return Object.fromEntries(LATENCY_METRICS.map((m) => [m, set[m].takeSparse()])) as IntervalCounts
}

const MAX_ERROR_KINDS = 20
/**
 * How long past the planned end of the load a generator that fell behind may
 * keep catching up: 5 s, or a quarter of the load phase if longer. What is
 * still unsent then is never sent, and said so (never a silent overrun).
 */
export function overrunBudgetMicros(totalMicros: number): number {
  return Math.max(5e6, totalMicros / 4)
}
/** Sleep granularity while an operation is due within a couple of milliseconds (see `waitForNext`). */
const SHORT_SLEEP_MICROS = 250
const sleepCell = new Int32Array(new SharedArrayBuffer(4))

export default async function runShard(init: WorkerInit): Promise<WorkerResult> {
  const shard = new Shard(init)
  return shard.run()
}

class Shard {
  private readonly port: MessagePort
  private readonly tracker: Tracker
  private readonly keySpace: KeySpace
  private readonly measured: RecorderSet = createRecorderSet()
  private readonly warmup: RecorderSet = createRecorderSet()
  private hops = new HopRecorders([])
  private readonly counters: WorkerCounters = {
    sent: 0,
    acked: 0,
    errors: 0,
    observed: 0,
    duplicates: 0,
    outOfOrder: 0,
    late: 0,
    corrupt: 0,
    inFlight: 0,
    foreign: 0,
    sentMeasured: 0,
    errorsMeasured: 0,
    lateMeasured: 0,
    sentMeasuredInTime: 0,
    observedMeasured: 0,
    firstMeasuredSeenAt: Number.POSITIVE_INFINITY,
    lastMeasuredSeenAt: Number.NEGATIVE_INFINITY,
    firstMeasuredSeenIntended: Number.POSITIVE_INFINITY,
    lastMeasuredSeenIntended: Number.NEGATIVE_INFINITY,
    seqLimit: 0,
    inserts: 0,
    updates: 0,
    deletes: 0,
    insertsAsUpdates: 0,
    changesAsInserts: 0,
  }
  private readonly errors = new Map<string, ErrorTally>()
  private readonly abort = new AbortController()
  private source!: Source
  private sink!: Sink
  private startAt: number | undefined
  private measureStart = Number.POSITIVE_INFINITY
  private loadEnd = Number.POSITIVE_INFINITY
  private stopRequested = false
  /** Set by `finish`: stop waiting for unsettled writes (the main thread's in-flight deadline passed). */
  private finishRequested = false
  /** Resolution of the sink's `committedAt` stamps; a sample within it below zero is 0. */
  private stampResolutionMicros = 0
  private observing = false
  /** Set once the final counters are posted: nothing is counted or marked after them. */
  private accounted = false
  private sinkStopped = false
  /** When the sink last said a read of the target completed (`Observer.answered`), epoch µs. */
  private sinkAnsweredAt: number | undefined
  private capacityWaiter: (() => void) | undefined
  private onStopped: () => void = () => {}
  /** Settles on `stop` or `finish`, so a closed-model writer never waits for ever on a write that never settles. */
  private readonly stopped = new Promise<void>((resolve) => {
    this.onStopped = resolve
  })
  private readonly inbox = new Inbox()

  constructor(private readonly init: WorkerInit) {
    this.port = init.port
    this.tracker = new Tracker(init.tracker)
    const { load } = init
    this.keySpace = new KeySpace(load.keys, init.shard, init.shards, load.seed, load.mix)
    this.port.on('message', (message: MainMessage) => {
      if (message.type === 'stop' || message.type === 'finish') {
        this.stopRequested = true
        if (message.type === 'finish') {
          this.finishRequested = true
          // Now, before the sink stops (its stop may wait on a server that stopped answering).
          this.post({ type: 'sinkAnswered', shard: this.init.shard, at: this.sinkAnsweredAt })
        }
        this.wakeCapacityWaiter()
        this.onStopped()
      }
      this.inbox.push(message)
    })
  }

  async run(): Promise<WorkerResult> {
    const context = this.createContext()
    const { source, sink } = this.init
    // Which part was doing what, so a bare driver message ("Connection is closed.") says where it came from.
    let step: [PluginPart, string, PluginPhase] = ['source', source.name, 'be created']
    try {
      const sourcePlugin = await importPlugin(source.moduleUrl, source.name)
      const sinkPlugin = await importPlugin(sink.moduleUrl, sink.name)
      this.source = await sourcePlugin.createSource!(source.options, context)
      step = ['sink', sink.name, 'be created']
      this.sink = await sinkPlugin.createSink!(sink.options, context)
      step = ['source', source.name, 'open']
      await this.source.open?.()
      this.observing = true
      step = ['sink', sink.name, 'start']
      await this.sink.start(this.createObserver())
      this.stampResolutionMicros = Math.max(0, this.sink.stampResolutionMicros ?? 0)
    } catch (error) {
      // A plugin's ConfigError may come from its own copy of core: know it by name too.
      const config =
        error instanceof ConfigError || (error as { name?: unknown } | null)?.name === 'ConfigError'
      this.post({ type: 'failed', shard: this.init.shard, message: pluginFailure(...step, error), config })
      await this.closeQuietly()
      this.port.close()
      return { shard: this.init.shard, verification: null, sourceStats: {}, sinkStats: {} }
    }
    this.hops = new HopRecorders(this.sink.stamps ?? [])
    this.post({
      type: 'ready',
      shard: this.init.shard,
      worker: this.init.worker,
      timeBase: this.sink.timeBase,
      stamps: this.sink.stamps,
    })

    const start = await this.inbox.next()
    if (start.type !== 'start') return this.finishEarly()
    this.startAt = start.startAt
    this.measureStart = start.startAt + this.init.load.warmupMicros
    this.loadEnd = start.startAt + this.init.load.totalMicros
    const stopReporting = everyAligned(start.startAt, this.init.intervalMicros, 0, (dueAt) =>
      this.postSnapshot(dueAt),
    )

    try {
      if (this.init.load.model === 'open') await this.runOpenModel()
      else await this.runClosedModel()
    } catch (error) {
      this.recordError(error, 0)
    }
    this.post({ type: 'scheduleDone', shard: this.init.shard })
    await this.waitForInFlight()
    this.postSnapshot()
    this.post({ type: 'loadDone', shard: this.init.shard })

    let finish = await this.inbox.next()
    while (finish.type !== 'finish') finish = await this.inbox.next()
    this.observing = false
    await this.stopSink()
    stopReporting()
    // The final counters: an ack arriving after them (a write the close settles) must not reach the tracker's
    // bits either, or the result would count it as in flight and as acknowledged but unseen at once.
    this.accounted = true
    this.postSnapshot()

    const verified = finish.verify && this.init.verify ? await this.verify(context) : null
    const sourceStats = this.source.stats?.() ?? {}
    const sinkStats = this.sink.stats?.() ?? {}
    await this.closeQuietly()
    this.abort.abort()
    this.port.close()
    return {
      shard: this.init.shard,
      verification:
        verified === null
          ? null
          : typeof verified === 'string'
            ? {
                checked: 0,
                mismatched: 0,
                mismatches: [],
                skipped: this.keySpace.uncertainCount,
                error: verified,
              }
            : { ...verified, skipped: this.keySpace.uncertainCount },
      sourceStats,
      sinkStats,
    }
  }

  // ---- scheduling -------------------------------------------------------

  /** Sends each of this shard's operations at its intended time; late ones go as soon as there is room. */
  private async runOpenModel(): Promise<void> {
    const { schedule, batchSize, maxInFlight } = this.init.load
    const planned = schedule.plannedOperations
    const stride = this.init.shards
    const startAt = this.startAt!
    let seq = this.init.shard
    let hint = 0
    let nextIntended =
      seq < planned ? startAt + intendedOffset(schedule, seq, hint) : Number.POSITIVE_INFINITY
    const overrun = overrunBudgetMicros(this.init.load.totalMicros)
    let caughtUpNoticed = false

    while (seq < planned && !this.stopRequested) {
      const behind = nowMicros() - this.loadEnd
      if (behind > 0 && !caughtUpNoticed) {
        caughtUpNoticed = true
        this.post({
          type: 'log',
          message: `worker ${this.init.shard}: the planned load has ended but the generator is behind: catching up on ${plural(Math.ceil((planned - seq) / stride), 'operation')} still unsent, for at most ${overrun / 1e6}s more`,
        })
      }
      if (behind > overrun) {
        const unsent = Math.ceil((planned - seq) / stride)
        this.post({
          type: 'log',
          message: `worker ${this.init.shard}: the generator could not keep up: stopped ${(behind / 1e6).toFixed(1)}s after the planned end with ${plural(unsent, 'operation')} never sent (not counted as lost)`,
        })
        break
      }
      if (this.counters.inFlight >= maxInFlight) {
        // A stalled target must not hold the generator past the planned end, nor past the bound, unsaid.
        await this.waitForCapacityUntil(behind < 0 ? this.loadEnd : this.loadEnd + overrun)
        continue
      }
      const now = nowMicros()
      if (nextIntended > now) {
        await waitUntil(nextIntended)
        continue
      }
      const room = Math.min(batchSize, maxInFlight - this.counters.inFlight)
      const batch: Operation[] = []
      while (batch.length < room && seq < planned && nextIntended <= now) {
        batch.push(this.createOperation(seq, nextIntended))
        seq += stride
        if (seq < planned) {
          hint = segmentIndexOf(schedule, seq, hint)
          nextIntended = startAt + intendedOffset(schedule, seq, hint)
        }
      }
      this.counters.seqLimit = seq - stride + 1
      void this.dispatch(batch)
      // Acks of an in-process source settle as microtasks; yield a macrotask turn so
      // timers and I/O (the sink's deliveries) run between batches instead of starving.
      await yieldToEventLoop()
    }
  }

  /** Closed model: `concurrency` writers in all, each sending its next operation when the last is acknowledged. */
  private async runClosedModel(): Promise<void> {
    const { concurrency } = this.init.load
    const { shard, shards } = this.init
    const writers = Math.floor(concurrency / shards) + (shard < concurrency % shards ? 1 : 0)
    let seq = shard
    const writeNext = async (): Promise<boolean> => {
      if (this.stopRequested || nowMicros() >= this.loadEnd) return false
      const mine = seq
      seq += shards
      if (mine >= this.tracker.capacity) {
        this.post({
          type: 'log',
          message: `stopping at ${plural(mine, 'operation')}: the most one run can track`,
        })
        return false
      }
      this.counters.seqLimit = Math.max(this.counters.seqLimit, mine + 1)
      await this.dispatch([this.createOperation(mine, nowMicros())])
      // An in-process source acks as a microtask: without a macrotask turn the interval's
      // counts were never posted (live lines read sent 0/s, then one interval got them all).
      await yieldToEventLoop()
      return true
    }
    await runWriters(writers, writeNext, this.stopped)
  }

  private createOperation(seq: number, intendedAt: number): Operation {
    const key = this.keySpace.next(seq)
    const kind = this.keySpace.lastKind
    if (kind === 'insert') this.counters.inserts++
    else if (kind === 'update') this.counters.updates++
    else this.counters.deletes++
    this.counters.insertsAsUpdates = this.keySpace.insertsAsUpdates
    this.counters.changesAsInserts = this.keySpace.changesAsInserts
    return { seq, key, kind, intendedAt }
  }

  /** Hands a batch to the source and accounts for it when it is acknowledged or fails. */
  private dispatch(batch: Operation[]): Promise<void> {
    const sentAt = nowMicros()
    const { lateAfterMicros } = this.init.load
    const counters = this.counters
    let measuredOps = 0
    for (const op of batch) {
      const lag = sentAt - op.intendedAt
      const measured = op.intendedAt >= this.measureStart && op.intendedAt < this.loadEnd
      const recorders = measured ? this.measured : this.warmup
      recorders.lag.record(lag)
      if (measured) measuredOps++
      if (lag > lateAfterMicros) {
        counters.late++
        if (measured) counters.lateMeasured++
      }
    }
    counters.sentMeasured += measuredOps
    // The send rate is what the generator sent while the window was open, whichever operations they were:
    // a generator steadily behind by a few ms still sends at the planned rate.
    if (sentAt >= this.measureStart && sentAt < this.loadEnd) counters.sentMeasuredInTime += batch.length
    counters.sent += batch.length
    counters.inFlight += batch.length
    let written: Promise<void>
    try {
      written = this.source.write(batch)
    } catch (error) {
      written = Promise.reject(error)
    }
    return written.then(
      () => {
        this.acknowledge(batch, sentAt)
        this.settled(batch.length)
      },
      (error: unknown) => {
        // A partial failure: only the operations it names failed; the rest were applied.
        const partial = PartialWriteFailure.is(error) ? error : undefined
        const failed = partial ? batch.filter((op) => partial.failed.has(op.seq)) : batch
        if (partial)
          this.acknowledge(
            batch.filter((op) => !partial.failed.has(op.seq)),
            sentAt,
          )
        if (failed.length > 0) this.recordError(partial ? partial.cause : error, failed.length)
        for (const op of failed) {
          if (op.intendedAt >= this.measureStart && op.intendedAt < this.loadEnd) counters.errorsMeasured++
          this.keySpace.markUncertain(op.key)
        }
        this.settled(batch.length)
      },
    )
  }

  /** Accounts for operations the source acknowledged, `sentAt` epoch µs. */
  private acknowledge(ops: readonly Operation[], sentAt: number): void {
    if (this.accounted) return
    const ackAt = nowMicros()
    let measuredOps = 0
    for (const op of ops) {
      if (op.intendedAt >= this.measureStart && op.intendedAt < this.loadEnd) measuredOps++
      this.tracker.markAcked(op.seq)
    }
    // Each operation in the window its own intended time puts it in, as e2e does.
    if (measuredOps > 0) this.measured.ack.record(ackAt - sentAt, measuredOps)
    if (measuredOps < ops.length) this.warmup.ack.record(ackAt - sentAt, ops.length - measuredOps)
    this.counters.acked += ops.length
  }

  private settled(count: number): void {
    this.counters.inFlight -= count
    this.wakeCapacityWaiter()
  }

  private wakeCapacityWaiter(): void {
    const waiter = this.capacityWaiter
    if (waiter) {
      this.capacityWaiter = undefined
      waiter()
    }
  }

  /** As waitForCapacity, but resolves at `deadline` (epoch µs) at the latest. */
  private waitForCapacityUntil(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, (deadline - nowMicros()) / 1000))
      this.capacityWaiter = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  private waitForCapacity(): Promise<void> {
    return new Promise((resolve) => {
      this.capacityWaiter = resolve
    })
  }

  /** Waits for every write to settle, or for `finish`: writes still unsettled then are unresolved, not awaited for ever. */
  private async waitForInFlight(): Promise<void> {
    while (this.counters.inFlight > 0 && !this.finishRequested) await this.waitForCapacity()
  }

  /**
   * Counts `operations` failed operations (into `errors`) under the error's kind. `occurrences`: how many
   * the kind's tally gains when that differs (a corrupt event is one occurrence and no failed operation),
   * so a printed "Kind ×N" always equals the counter it stands for.
   */
  private recordError(error: unknown, operations: number, occurrences = operations): void {
    this.counters.errors += operations
    let kind = errorKind(error)
    if (!this.errors.has(kind) && this.errors.size >= MAX_ERROR_KINDS) kind = 'other'
    const tally = this.errors.get(kind) ?? { kind, count: 0, lastMessage: '' }
    tally.count += occurrences
    tally.lastMessage = redactUrl(describeError(error))
    this.errors.set(kind, tally)
  }

  // ---- observing --------------------------------------------------------

  private createObserver(): Observer {
    const counters = this.counters
    const runShard = this.init.runShard
    const tracker = this.tracker
    return {
      observe: (seq, key, intendedAt, committedAt, observedAt, stamps) => {
        if (!this.observing) return
        // Another shard's event of this run (every shard's sinks read the whole run): that shard counts it.
        if (runShard && !shardOwnsSeq(runShard, seq)) return
        const seenAt = observedAt ?? nowMicros()
        const seen = tracker.markSeen(seq, key)
        if (seen === Seen.Foreign) {
          counters.foreign++
          return
        }
        if (seen === Seen.Duplicate) {
          counters.duplicates++
          return
        }
        if (seen === Seen.OutOfOrder) counters.outOfOrder++
        counters.observed++
        const measured = intendedAt >= this.measureStart && intendedAt < this.loadEnd
        if (measured) {
          counters.observedMeasured++
          if (seenAt < counters.firstMeasuredSeenAt) counters.firstMeasuredSeenAt = seenAt
          if (seenAt > counters.lastMeasuredSeenAt) counters.lastMeasuredSeenAt = seenAt
          if (intendedAt < counters.firstMeasuredSeenIntended) counters.firstMeasuredSeenIntended = intendedAt
          if (intendedAt > counters.lastMeasuredSeenIntended) counters.lastMeasuredSeenIntended = intendedAt
        }
        const set = measured ? this.measured : this.warmup
        if (committedAt === undefined) {
          set.e2e.record(seenAt - intendedAt)
        } else {
          const resolution = this.stampResolutionMicros
          set.e2e.record(committedAt - intendedAt, 1, resolution)
          set.detect.record(seenAt - committedAt, 1, resolution)
        }
        if (stamps && set === this.measured) this.hops.record(intendedAt, stamps)
      },
      corrupt: (seq, reason) => {
        if (!this.observing) return
        // Another shard's event: that shard checks it (its digest is of that shard's plan, not judged here).
        if (runShard && !shardOwnsSeq(runShard, seq)) return
        counters.corrupt++
        this.recordError({ name: 'Corrupt', message: reason }, 0, 1)
      },
      // Counted also while the sink stops (after observing ends): its last calls' failures are real.
      error: (kind, message, count = 1) => this.recordError({ name: kind, message }, 0, count),
      answered: () => {
        this.sinkAnsweredAt = nowMicros()
      },
    }
  }

  // ---- the rest ---------------------------------------------------------

  /** The verifier's report, or why it could not make one (a server it could not reach): never a report of 0 keys. */
  private async verify(context: PluginContext): Promise<VerificationReport | string> {
    const verifyRef = this.init.verify!
    try {
      const plugin = await importPlugin(verifyRef.moduleUrl, verifyRef.name)
      const verifier = await plugin.createVerifier!(verifyRef.options, context)
      try {
        const expected: ExpectedRow[] = [...this.keySpace.expected(this.init.verifySample)]
        return await verifier.verify(expected)
      } finally {
        await verifier.close?.()
      }
    } catch (error) {
      const message = pluginFailure('verifier', verifyRef.name, 'verify', error)
      this.post({ type: 'log', message })
      return message
    }
  }

  private createContext(): PluginContext {
    // Plugins see this process's workers; the plan's split across processes is core's (see load/shard.ts).
    const { runId, worker: shard, workers: shards, runShard } = this.init
    const { seed, payloadSize } = this.init.load
    // A source usually asks for an operation's marker (its digest) and its payload: derive the payload once.
    let cachedSeq = -1
    let cachedPayload = ''
    const payload = (seq: number) => {
      if (seq !== cachedSeq) {
        cachedPayload = payloadFor(seed, seq, payloadSize)
        cachedSeq = seq
      }
      return cachedPayload
    }
    return {
      runId,
      shard,
      shards,
      runShard,
      seed,
      payloadSize,
      keys: this.init.load.keys,
      signal: this.abort.signal,
      startedAt: () => this.startAt,
      observed: (seq) => this.tracker.wasSeen(seq),
      payload,
      writePayload: (seq, target, offset) => writePayload(seed, seq, target, offset, payloadSize),
      digest: (seq) => digestOf(payload(seq)),
      marker: (op) => ({
        runId,
        seq: op.seq,
        intendedAt: op.intendedAt,
        digest: op.kind === 'delete' ? '' : digestOf(payload(op.seq)),
      }),
      parseMarker: (text) => {
        const marker = decodeMarker(text)
        return marker && marker.runId === runId ? marker : undefined
      },
      log: (message) => this.post({ type: 'log', message: redactUrl(message) }),
    }
  }

  /** `dueAt`: the reporting tick this snapshot closes (epoch µs); the final one, off the ticks, passes none. */
  private postSnapshot(dueAt = nowMicros()): void {
    this.post({
      type: 'snapshot',
      shard: this.init.shard,
      sinceMeasureStart: dueAt - this.measureStart,
      measured: takeSparse(this.measured),
      warmup: takeSparse(this.warmup),
      hops: this.hops.take(),
      counters: { ...this.counters },
      errors: [...this.errors.values()].map((e) => ({ ...e })),
      sinkAnsweredAt: this.sinkAnsweredAt,
    })
  }

  private async stopSink(): Promise<void> {
    // Called after the drain and again on the way out; a sink is stopped once.
    if (this.sinkStopped) return
    this.sinkStopped = true
    try {
      await this.sink?.stop?.()
    } catch (error) {
      this.post({ type: 'log', message: pluginFailure('sink', this.init.sink.name, 'stop', error) })
    }
  }

  private async closeQuietly(): Promise<void> {
    await this.stopSink()
    try {
      await this.source?.close?.()
    } catch (error) {
      this.post({ type: 'log', message: pluginFailure('source', this.init.source.name, 'close', error) })
    }
  }

  private async finishEarly(): Promise<WorkerResult> {
    this.observing = false
    await this.closeQuietly()
    this.abort.abort()
    this.port.close()
    return { shard: this.init.shard, verification: null, sourceStats: {}, sinkStats: {} }
  }

  private post(message: WorkerMessage): void {
    this.port.postMessage(message)
  }
}

/**
 * Waits until an epoch-microsecond time with sub-millisecond precision without
 * spinning: timers for the long part (they fire up to ~1 ms late), then short
 * Atomics.wait sleeps, yielding to the event loop between them so acks and
 * observations keep flowing.
 */
function waitUntil(target: number): Promise<void> {
  const remaining = target - nowMicros()
  if (remaining > 2000) return new Promise((resolve) => setTimeout(resolve, (remaining - 1500) / 1e3))
  if (remaining > 0) Atomics.wait(sleepCell, 0, 0, Math.min(remaining, SHORT_SLEEP_MICROS) / 1e3)
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * The closed model's writers: `writers` loops, each awaiting `writeNext()` until it resolves false. Settles
 * when every loop has ended, or when `stopped` settles (a write the target never acknowledges must not hold
 * the run). `stopped` is raced once here, not once per operation: each race leaves a reaction on the
 * long-lived `stopped` promise until it settles — about 300 bytes an operation, for the whole run.
 */
export async function runWriters(
  writers: number,
  writeNext: () => Promise<boolean>,
  stopped: Promise<void>,
): Promise<void> {
  const writer = async () => {
    while (await writeNext()) {}
  }
  await Promise.race([Promise.all(Array.from({ length: writers }, writer)), stopped])
}

/** The next macrotask turn, shared by everyone who yields before it comes (one setImmediate, not one each). */
let nextTurn: Promise<void> | undefined

function yieldToEventLoop(): Promise<void> {
  nextTurn ??= new Promise((resolve) =>
    setImmediate(() => {
      nextTurn = undefined
      resolve()
    }),
  )
  return nextTurn
}

/** A queue of messages from the main thread that can be awaited one at a time. */
class Inbox {
  private readonly queue: MainMessage[] = []
  private waiter: ((message: MainMessage) => void) | undefined

  push(message: MainMessage): void {
    const waiter = this.waiter
    if (waiter) {
      this.waiter = undefined
      waiter(message)
    } else this.queue.push(message)
  }

  next(): Promise<MainMessage> {
    const queued = this.queue.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve) => {
      this.waiter = resolve
    })
  }
}
