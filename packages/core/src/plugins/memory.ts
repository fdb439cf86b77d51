/**
 * The `memory` plugin: an in-process pipeline for demos, tests and plugin
 * authors. Its source "commits" a write and its sink sees the change after a
 * configurable delay, with faults injected on purpose. It counts exactly what
 * it dropped, duplicated and reordered, so tests can compare cdcb's findings
 * with the truth.
 *
 * Source and sink meet in the worker that created them: each worker has its own
 * pipeline for its shard. Options go on the source; the sink takes none.
 *
 * In the `pipeline` slot (`pipeline: memory()`) it offers fault actions: `stall`
 * pauses delivery in every worker's pipeline until `resume`. The part lives on
 * the main thread and the pipelines in the workers, so the two talk over a
 * BroadcastChannel named after the run.
 */
import { BroadcastChannel } from 'node:worker_threads'
import { z } from 'zod'
import { nowMicros } from '../clock.js'
import { createRandom, normal, uniform } from '../load/random.js'
import { planWorker } from '../load/shard.js'
import { SeqBitset } from '../metrics/seq-bitset.js'
import { durationOption } from '../options.js'
import {
  definePlugin,
  type Observer,
  type Operation,
  type PipelineActionList,
  type PluginContext,
  pluginRef,
} from '../plugin.js'
import { parseDurationMicros } from '../units.js'

const duration = durationOption('"50ms" or "1s"')
const rate = z
  .number()
  .min(0, { error: 'expected a rate from 0 to 1' })
  .max(1, { error: 'expected a rate from 0 to 1' })
const window = z.strictObject({ at: duration, for: duration })

const optionsSchema = z.strictObject({
  /** Delivery delay: fixed ("50ms") or log-normal with the given median and p99. */
  delay: z
    .union([
      duration,
      z.strictObject({ median: duration, p99: duration }).refine(
        // A p99 below the median has no log-normal: it would be silently ignored.
        (d) => parseDurationMicros(d.p99)! >= parseDurationMicros(d.median)!,
        { error: 'p99 must be at least the median (a p99 below it describes no delay distribution)' },
      ),
    ])
    .optional(),
  /** Share of writes dropped by the pipeline (acknowledged, never delivered). */
  loss: rate.optional(),
  /** Share of writes delivered twice. */
  duplicate: rate.optional(),
  /** Share of writes held back until the next change of the same key was delivered. */
  reorder: rate.optional(),
  /** Source acknowledgements hang from `at` (after the start) for `for`. */
  writeStall: window.optional(),
  /** Delivery pauses from `at` for `for`; changes queue up and arrive after it. Not a fault: for one whose recovery is measured, use `pipeline: memory()` and a `{ pipeline: 'stall' }` fault. */
  pipelineStall: window.optional(),
  /**
   * The target stops answering the sink from `at` for `for` (a server frozen or unreachable): changes still
   * commit at their time, but the sink sees none and its reads go unanswered (`Observer.answered`) until it ends.
   */
  targetUnreachable: window.optional(),
  /** Most deliveries per second for the whole pipeline; beyond it changes queue up. */
  maxThroughput: z.number().positive().optional(),
  /** Seed for the faults; defaults to the run's seed. */
  seed: z.number().int().optional(),
})

export type MemoryOptions = z.infer<typeof optionsSchema>

/** Config helper: `memory({ delay: '50ms' })` for the source slot, `memory()` for the sink. */
export const memory = pluginRef<MemoryOptions>('memory')

/** A flush delivers changes due up to this far ahead, rather than arming a timer for each. */
const FLUSH_AHEAD_MICROS = 200

/** How often the memory sink reads its target (and says it was answered: `Observer.answered`). */
const ANSWER_EVERY_MS = 100

/** How long a held-back change waits for a later change of its key before it is delivered anyway. */
const HOLD_LIMIT_MICROS = 200_000

interface Delivery {
  readonly seq: number
  readonly key: number
  readonly kind: Operation['kind']
  readonly intendedAt: number
  deliverAt: number
  /** Set when the change is held back for reordering. */
  heldSince?: number
  /** Push order, so changes due at the same time leave in the order they came (a heap alone would not keep it). */
  order?: number
}

/** The pipeline part's actions, with their undo (checked with the config). */
const MEMORY_PIPELINE_ACTIONS = {
  stall: { undo: 'resume' },
  resume: {},
} as const satisfies PipelineActionList

/** What the pipeline part tells the workers' pipelines. */
type StallMessage = { readonly type: 'stall' } | { readonly type: 'resume' }

/** The channel between the pipeline part and the run's pipelines (one per worker thread). */
function stallChannel(runId: string): BroadcastChannel {
  return new BroadcastChannel(`cdcb-memory-pipeline:${runId}`)
}

/**
 * The seed of one worker's pipeline randoms (delays, drops, reorders): the
 * run's seed mixed with the plan's worker (load/shard.ts), not the worker's
 * index in its process, so worker w of shard i of N draws what plan worker
 * `w × N + i` draws in one process of N × W workers, and no two shards draw alike.
 */
export function pipelineSeed(
  seed: number,
  context: Pick<PluginContext, 'shard' | 'shards' | 'runShard'>,
): number {
  const { shard: worker } = planWorker(context.runShard, context.shard, context.shards)
  return seed ^ (worker * 0x9e3779b1)
}

/** The per-worker pipeline between a memory source and a memory sink. */
class Pipeline {
  private observer: Observer | undefined
  /** Epoch µs since when a `stall` action holds delivery; undefined while it flows. */
  private stalledSince: number | undefined
  /** The last stall an action held: what was due in it is delivered, and stamped, at its end. */
  private lastStall: { from: number; to: number } | undefined
  private readonly stalls: BroadcastChannel
  private readonly queue = new DeliveryQueue()
  private timer: NodeJS.Timeout | undefined
  /** The sink's reads of the target, while one is attached. */
  private reads: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private armedFor = Number.POSITIVE_INFINITY
  /**
   * With `maxThroughput`: the earliest epoch µs at which the next delivery may happen. Kept at
   * delivery time, so the cap also holds while a backlog a stall action built up is replayed.
   */
  private nextSlot = 0
  private readonly slotMicros: number
  private readonly held = new Map<number, Delivery>()
  /** Per key (an integer below context.keys): last delivered seq + 1, and last delivery time. */
  private readonly lastDeliveredByKey: Float64Array
  private readonly lastDeliverAtByKey: Float64Array
  private readonly delivered = new SeqBitset()
  private readonly random: () => number
  /** Final state as the pipeline applied it, in delivery order, per key: seq + 1, -(seq + 1) when deleted, 0 never. */
  readonly store: Float64Array
  /** `unansweredReads`: the sink's reads (every ANSWER_EVERY_MS) that `targetUnreachable` left unanswered. */
  readonly stats = {
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    stalledWrites: 0,
    delivered: 0,
    unansweredReads: 0,
  }

  constructor(
    private readonly options: MemoryOptions,
    private readonly context: PluginContext,
  ) {
    this.random = createRandom(pipelineSeed(options.seed ?? context.seed, context))
    this.lastDeliveredByKey = new Float64Array(context.keys)
    this.lastDeliverAtByKey = new Float64Array(context.keys)
    this.store = new Float64Array(context.keys)
    this.slotMicros = options.maxThroughput ? (1e6 * context.shards) / options.maxThroughput : 0
    this.stalls = stallChannel(context.runId)
    this.stalls.onmessage = (event) => this.onStallMessage((event as { data: StallMessage }).data)
    // The channel must not keep a worker alive after its run.
    this.stalls.unref()
  }

  private onStallMessage(message: StallMessage): void {
    const now = nowMicros()
    if (message.type === 'stall') {
      this.stalledSince ??= now
      this.clearTimers()
      this.armedFor = Number.POSITIVE_INFINITY
      return
    }
    if (this.stalledSince === undefined) return
    this.lastStall = { from: this.stalledSince, to: now }
    this.stalledSince = undefined
    this.arm()
  }

  /** Attaches the sink; while one is attached it reads the target every ANSWER_EVERY_MS and says when answered. */
  attach(observer: Observer | undefined): void {
    this.observer = observer
    clearInterval(this.reads)
    this.reads = undefined
    if (!observer) return
    const answer = () => {
      if (this.unreachableUntil(nowMicros()) === undefined) observer.answered?.()
      else this.stats.unansweredReads++
    }
    answer()
    this.reads = setInterval(answer, ANSWER_EVERY_MS)
    this.reads.unref()
  }

  /** The end of the `targetUnreachable` window when `at` is inside it (epoch µs), else undefined. */
  private unreachableUntil(at: number): number | undefined {
    const window = this.window(this.options.targetUnreachable)
    return window && at >= window.from && at < window.to ? window.to : undefined
  }

  /** Acknowledges a batch (after a write stall, if one is on) and queues its deliveries. */
  async write(ops: readonly Operation[]): Promise<void> {
    const stall = this.window(this.options.writeStall)
    let ackAt = nowMicros()
    if (stall && ackAt >= stall.from && ackAt < stall.to) {
      this.stats.stalledWrites += ops.length
      await sleepUntil(stall.to)
      ackAt = nowMicros()
    }
    const seed = this.options.seed ?? this.context.seed
    const loss = this.options.loss ?? 0
    const duplicate = this.options.duplicate ?? 0
    const reorder = this.options.reorder ?? 0
    for (const op of ops) {
      const roll = loss + duplicate + reorder > 0 ? uniform(seed ^ 0x2545f491, op.seq) : 1
      if (roll < loss) {
        this.stats.dropped++
        continue
      }
      const delivery: Delivery = {
        seq: op.seq,
        key: op.key,
        kind: op.kind,
        intendedAt: op.intendedAt,
        deliverAt: this.deliveryTime(op.key, ackAt),
      }
      this.queue.push(delivery)
      if (roll < loss + duplicate) this.queue.push({ ...delivery })
      else if (roll < loss + duplicate + reorder) (delivery as { hold?: boolean }).hold = true
    }
    this.arm()
  }

  private deliveryTime(key: number, ackAt: number): number {
    let at = ackAt + this.sampleDelay()
    // Like a partitioned log, the pipeline keeps each key's changes in order even when delays vary;
    // only the reorder option breaks that order.
    if (typeof this.options.delay === 'object') {
      at = Math.max(at, this.lastDeliverAtByKey[key]!)
      this.lastDeliverAtByKey[key] = at
    }
    const stall = this.window(this.options.pipelineStall)
    if (stall && at >= stall.from && at < stall.to) at = stall.to
    return at
  }

  private sampleDelay(): number {
    const delay = this.options.delay
    if (delay === undefined) return 0
    if (typeof delay !== 'object') return parseDurationMicros(delay)!
    const median = parseDurationMicros(delay.median)!
    const p99 = parseDurationMicros(delay.p99)!
    const sigma = median > 0 && p99 > median ? Math.log(p99 / median) / 2.326 : 0
    return median * Math.exp(sigma * normal(this.random))
  }

  private window(stall: { at: string | number; for: string | number } | undefined) {
    const startedAt = this.context.startedAt()
    if (!stall || startedAt === undefined) return undefined
    const from = startedAt + parseDurationMicros(stall.at)!
    return { from, to: from + parseDurationMicros(stall.for)! }
  }

  /** Makes sure a timer will fire for the earliest pending delivery. */
  private arm(): void {
    if (this.stalledSince !== undefined) return
    const due = this.queue.peekTime()
    if (due === undefined) return
    const next = Math.max(due, this.nextSlot)
    if (next >= this.armedFor) return
    this.clearTimers()
    this.armedFor = next
    const wait = next - nowMicros()
    if (wait <= 500) this.immediate = setImmediate(() => this.flush())
    else this.timer = setTimeout(() => this.flush(), wait / 1e3)
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.immediate) clearImmediate(this.immediate)
    this.timer = undefined
    this.immediate = undefined
  }

  private flush(): void {
    if (this.stalledSince !== undefined) return
    this.timer = undefined
    this.immediate = undefined
    this.armedFor = Number.POSITIVE_INFINITY
    const now = nowMicros()
    // An unreachable target: what committed meanwhile is seen (keeping its commit time) once it answers again.
    const unreachableUntil = this.unreachableUntil(now)
    if (unreachableUntil !== undefined) {
      this.armedFor = unreachableUntil
      this.timer = setTimeout(() => this.flush(), (unreachableUntil - now) / 1e3)
      return
    }
    // Deliver what is due, up to a bound so a burst cannot starve the scheduler.
    for (let n = 0; n < 50_000; n++) {
      const due = this.queue.peekTime()
      if (due === undefined || Math.max(due, this.nextSlot) > now + FLUSH_AHEAD_MICROS) break
      const delivery = this.queue.shift()!
      // Held by a stall: it became visible when the stall ended, not when it was first due.
      if (
        this.lastStall &&
        delivery.deliverAt >= this.lastStall.from &&
        delivery.deliverAt < this.lastStall.to
      )
        delivery.deliverAt = this.lastStall.to
      if (this.slotMicros > 0) {
        delivery.deliverAt = Math.max(delivery.deliverAt, this.nextSlot)
        this.nextSlot = delivery.deliverAt + this.slotMicros
      }
      if ((delivery as { hold?: boolean }).hold) {
        ;(delivery as { hold?: boolean }).hold = false
        this.holdBack(delivery, now)
        continue
      }
      this.deliver(delivery, now)
      const waiting = this.held.get(delivery.key)
      if (waiting && waiting.seq < delivery.seq) {
        this.held.delete(delivery.key)
        this.release(waiting, now)
      }
    }
    this.releaseExpiredHolds(now)
    this.arm()
    if (this.held.size > 0 && !this.timer && !this.immediate) {
      this.armedFor = now + HOLD_LIMIT_MICROS
      this.timer = setTimeout(() => this.flush(), HOLD_LIMIT_MICROS / 1e3)
    }
  }

  private holdBack(delivery: Delivery, now: number): void {
    const already = this.held.get(delivery.key)
    if (already) this.release(already, now)
    delivery.heldSince = now
    this.held.set(delivery.key, delivery)
  }

  private releaseExpiredHolds(now: number): void {
    for (const [key, delivery] of this.held) {
      if (now - delivery.heldSince! >= HOLD_LIMIT_MICROS) {
        this.held.delete(key)
        this.release(delivery, now)
      }
    }
  }

  /** Delivers a held-back change: it became visible now, not when first due. */
  private release(delivery: Delivery, now: number): void {
    delivery.deliverAt = now
    this.deliver(delivery, now)
  }

  private deliver(delivery: Delivery, now: number): void {
    if (!this.observer) return
    if (this.delivered.testAndSet(delivery.seq)) this.stats.duplicated++
    else {
      if (this.lastDeliveredByKey[delivery.key]! > delivery.seq + 1) this.stats.reordered++
      else this.lastDeliveredByKey[delivery.key] = delivery.seq + 1
      this.stats.delivered++
    }
    this.store[delivery.key] = delivery.kind === 'delete' ? -(delivery.seq + 1) : delivery.seq + 1
    this.observer.observe(delivery.seq, delivery.key, delivery.intendedAt, delivery.deliverAt, now)
  }

  close(): void {
    this.clearTimers()
    clearInterval(this.reads)
    this.stalls.close()
    this.observer = undefined
  }
}

/** Deliveries ordered by time: a FIFO while times arrive in order, a binary heap once they do not. */
class DeliveryQueue {
  private items: Delivery[] = []
  private head = 0
  private heap = false
  private pushed = 0

  push(item: Delivery): void {
    item.order = this.pushed++
    if (!this.heap) {
      const last = this.items[this.items.length - 1]
      if (this.items.length === this.head || !last || last.deliverAt <= item.deliverAt) {
        this.items.push(item)
        return
      }
      this.items = this.items.slice(this.head)
      this.head = 0
      this.heap = true
      this.items.sort((a, b) => a.deliverAt - b.deliverAt || a.order! - b.order!)
    }
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!earlier(item, items[parent]!)) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = item
  }

  peekTime(): number | undefined {
    return this.heap ? this.items[0]?.deliverAt : this.items[this.head]?.deliverAt
  }

  shift(): Delivery | undefined {
    if (!this.heap) {
      const item = this.items[this.head]
      if (item === undefined) return undefined
      this.head++
      if (this.head > 4096 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head)
        this.head = 0
      }
      return item
    }
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined) return undefined
    if (items.length > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= items.length) break
        const right = left + 1
        const child = right < items.length && earlier(items[right]!, items[left]!) ? right : left
        if (!earlier(items[child]!, last)) break
        items[i] = items[child]!
        i = child
      }
      items[i] = last
    }
    if (items.length === 0) this.heap = false
    return top
  }
}

function earlier(a: Delivery, b: Delivery): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.order! < b.order!)
}

function sleepUntil(epochMicros: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, (epochMicros - nowMicros()) / 1e3)))
}

/** Pipelines by worker: the module is imported once per worker thread, so one entry per run. */
const pipelines = new Map<string, Pipeline>()

function pipelineFor(context: PluginContext, options?: MemoryOptions): Pipeline {
  const id = `${context.runId}:${context.shard}`
  let pipeline = pipelines.get(id)
  if (!pipeline) {
    pipeline = new Pipeline(options ?? {}, context)
    pipelines.set(id, pipeline)
  }
  return pipeline
}

export default definePlugin<MemoryOptions>({
  name: 'memory',
  core: '*',
  options: optionsSchema,
  // One pipeline per worker, configured where the changes enter it; the sink and verifier only read it.
  optionsIn: ['source'],
  createSource(options, context) {
    const pipeline = pipelineFor(context, options)
    return {
      write: (ops) => pipeline.write(ops),
      stats: () => ({ ...pipeline.stats }),
      close: async () => {
        pipeline.close()
        pipelines.delete(`${context.runId}:${context.shard}`)
      },
    }
  },
  createSink(_options, context) {
    return {
      timeBase: 'memory pipeline delivery time',
      // A flush delivers what is due within FLUSH_AHEAD_MICROS, so a delivery can be seen that much before its stamp.
      stampResolutionMicros: FLUSH_AHEAD_MICROS,
      start: async (observer) => pipelineFor(context).attach(observer),
      stop: async () => pipelineFor(context).attach(undefined),
    }
  },
  pipelineActions: MEMORY_PIPELINE_ACTIONS,
  createPipeline(_options, context) {
    const channel = stallChannel(context.runId)
    // Closed at teardown; until then it must not be what keeps cdcb running.
    channel.unref()
    let stalled = false
    const send = (message: StallMessage) => channel.postMessage(message)
    return {
      actions: {
        async stall() {
          stalled = true
          send({ type: 'stall' })
        },
        async resume() {
          stalled = false
          send({ type: 'resume' })
        },
      } satisfies Record<
        keyof typeof MEMORY_PIPELINE_ACTIONS,
        (args?: Record<string, unknown>) => Promise<void>
      >,
      async teardown() {
        // A stall still held when the run ended (a fault without `for`) must not outlive it.
        if (stalled) send({ type: 'resume' })
        channel.close()
      },
    }
  },
  createVerifier(_options, context) {
    return {
      async verify(expected) {
        const store = pipelineFor(context).store
        let mismatched = 0
        const mismatches: { key: number; problem: 'missing' | 'unexpected' | 'content'; detail?: string }[] =
          []
        for (const row of expected) {
          const stored = store[row.key]!
          const exists = stored > 0
          let problem: 'missing' | 'unexpected' | 'content' | undefined
          if (row.exists && !exists) problem = 'missing'
          else if (!row.exists && exists) problem = 'unexpected'
          else if (row.exists && stored - 1 !== row.seq) problem = 'content'
          if (problem) {
            mismatched++
            const actual =
              stored === 0
                ? 'never written'
                : stored > 0
                  ? `seq ${stored - 1}`
                  : `deleted by seq ${-stored - 1}`
            if (mismatches.length < 20)
              mismatches.push({ key: row.key, problem, detail: `expected seq ${row.seq}, got ${actual}` })
          }
        }
        return { checked: expected.length, mismatched, mismatches }
      },
    }
  },
})
