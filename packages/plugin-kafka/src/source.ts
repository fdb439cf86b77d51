/**
 * The source: one kafkajs producer per worker. Each operation becomes one
 * record keyed by the operation key, so the partitioner (Java-compatible
 * murmur2, as Kafka's own clients) sends every change of a key to the same
 * partition. A key's records stay in order even under retries: a write that
 * touches a key still in flight in an earlier write waits for that write first.
 */
import { digestOf, nowMicros, type Operation, type PluginContext, type Source } from '@cdcb/core'
import kafkajs, { type Message, type Producer } from 'kafkajs'
import { connectWithin, createKafka, type Kafka } from './client.js'
import { createEncoder, type Encoder } from './formats.js'
import { millis, type ResolvedKafkaOptions } from './options.js'

const { CompressionTypes, Partitioners } = kafkajs

export function createKafkaSource(options: ResolvedKafkaOptions, context: PluginContext): Source {
  return new KafkaSource(options, context)
}

interface Pending {
  readonly messages: Message[]
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

class KafkaSource implements Source {
  private readonly kafka: Kafka
  private readonly producer: Producer
  private readonly encode: Encoder
  private readonly acks: -1 | 0 | 1
  private readonly compression: number
  private readonly timeoutMs: number
  private readonly lingerMs: number
  private readonly maxRecords: number
  /** The last unfinished write per key; bounded by the operations in flight. */
  private readonly inFlightByKey = new Map<number, Promise<void>>()
  private readonly skip: ReadonlySet<number>
  private readonly duplicate: ReadonlySet<number>
  private readonly reorder: ReadonlySet<number>
  /** testing.reorderSeqs: records held back until the next change of their key. */
  private readonly heldBack = new Map<number, Message>()
  /** Records produced (with test duplicates and Debezium tombstones), operations by kind, kafkajs request timeouts. */
  private readonly stats_ = { records: 0, inserts: 0, updates: 0, deletes: 0, requestTimeouts: 0 }
  private readonly maxSends: number
  private readonly debeziumTombstones: boolean
  private queue: Pending[] = []
  private queued = 0
  private sending = 0
  private lingerTimer: NodeJS.Timeout | undefined
  private lingerExpired = false

  constructor(
    private readonly options: ResolvedKafkaOptions,
    private readonly context: PluginContext,
  ) {
    this.kafka = createKafka(options, (m) => context.log(m))
    this.producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: options.idempotent,
      maxInFlightRequests: options.maxInFlightRequests ?? (options.idempotent ? 1 : undefined),
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: options.retries },
    })
    this.producer.on(this.producer.events.REQUEST_TIMEOUT, () => {
      this.stats_.requestTimeouts++
    })
    this.encode = createEncoder(options, context)
    this.acks = options.acks === 'all' ? -1 : options.acks
    this.compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None
    this.timeoutMs = millis(options.requestTimeout)
    this.lingerMs = millis(options.batch.linger)
    this.maxRecords = options.batch.maxRecords
    this.debeziumTombstones = options.format === 'debezium' && options.tombstones
    this.maxSends = options.idempotent ? 1 : options.batch.inFlight
    this.skip = new Set(options.testing?.skipSeqs ?? [])
    this.duplicate = new Set(options.testing?.duplicateSeqs ?? [])
    this.reorder = new Set(options.testing?.reorderSeqs ?? [])
  }

  async open(): Promise<void> {
    await connectWithin(this.kafka, this.options, 'producer', this.producer)
  }

  write(ops: readonly Operation[]): Promise<void> {
    // Wait for earlier writes of the same keys so a retried request cannot overtake a later change.
    let waitFor: Promise<void>[] | undefined
    for (const op of ops) {
      const earlier = this.inFlightByKey.get(op.key)
      if (!earlier) continue
      waitFor ??= []
      if (!waitFor.includes(earlier)) waitFor.push(earlier)
    }
    const written = waitFor ? Promise.allSettled(waitFor).then(() => this.send(ops)) : this.send(ops)
    for (const op of ops) this.inFlightByKey.set(op.key, written)
    const forget = () => {
      for (const op of ops) if (this.inFlightByKey.get(op.key) === written) this.inFlightByKey.delete(op.key)
    }
    written.then(forget, forget)
    return written
  }

  private send(ops: readonly Operation[]): Promise<void> {
    const now = nowMicros()
    const messages: Message[] = []
    const stats = this.stats_
    for (const op of ops) {
      if (this.skip.has(op.seq)) continue // testing.skipSeqs: acknowledged, never sent
      const payload = op.kind === 'delete' ? '' : this.context.payload(op.seq)
      const message = this.encode(op, payload, op.kind === 'delete' ? '' : digestOf(payload), now)
      if (this.reorder.size > 0 && this.testReorder(op, message, messages)) continue
      messages.push(message)
      if (this.duplicate.has(op.seq)) messages.push(message) // testing.duplicateSeqs
      // Debezium follows a delete event with a tombstone so compaction can drop the key.
      if (op.kind === 'delete' && this.debeziumTombstones) messages.push({ key: message.key, value: null })
      if (op.kind === 'insert') stats.inserts++
      else if (op.kind === 'update') stats.updates++
      else stats.deletes++
    }
    stats.records += messages.length
    if (messages.length === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, resolve, reject })
      this.queued += messages.length
      this.pump()
    })
  }

  /**
   * Sends what is queued as one produce request per `maxRecords`, keeping at
   * most `batch.inFlight` requests outstanding: under light load each write goes
   * out at once; under heavy load writes that arrive while requests are in
   * flight share the next request (as the Java producer's accumulator does).
   * With `linger`, a request waits up to that long to fill first.
   */
  private pump(): void {
    while (this.queue.length > 0 && this.sending < this.maxSends) {
      if (this.lingerMs > 0 && this.queued < this.maxRecords && !this.lingerExpired) {
        this.lingerTimer ??= setTimeout(() => {
          this.lingerTimer = undefined
          this.lingerExpired = true
          this.pump()
        }, this.lingerMs)
        return
      }
      this.lingerExpired = false
      clearTimeout(this.lingerTimer)
      this.lingerTimer = undefined
      const batch: Pending[] = []
      let count = 0
      while (
        this.queue.length > 0 &&
        (count === 0 || count + this.queue[0]!.messages.length <= this.maxRecords)
      ) {
        const next = this.queue.shift()!
        batch.push(next)
        count += next.messages.length
      }
      this.queued -= count
      this.sending++
      const messages = batch.length === 1 ? batch[0]!.messages : batch.flatMap((p) => p.messages)
      this.produce(messages).then(
        () => {
          this.sending--
          for (const p of batch) p.resolve()
          this.pump()
        },
        (error: unknown) => {
          this.sending--
          for (const p of batch) p.reject(error)
          this.pump()
        },
      )
    }
  }

  private produce(messages: Message[]): Promise<void> {
    return this.producer
      .send({
        topic: this.options.topic,
        messages,
        acks: this.acks,
        compression: this.compression,
        timeout: this.timeoutMs,
      })
      .then(() => undefined)
  }

  /** testing.reorderSeqs: holds a record back and sends it right after the next record of its key. */
  private testReorder(op: Operation, message: Message, messages: Message[]): boolean {
    const held = this.heldBack.get(op.key)
    if (held) {
      this.heldBack.delete(op.key)
      messages.push(message, held)
      return true
    }
    if (!this.reorder.has(op.seq)) return false
    this.heldBack.set(op.key, message)
    return true
  }

  async close(): Promise<void> {
    clearTimeout(this.lingerTimer)
    const held = [...this.heldBack.values()]
    this.heldBack.clear()
    if (held.length > 0) await this.produce(held).catch(() => {})
    await this.producer.disconnect()
  }

  stats(): Record<string, number> {
    return { ...this.stats_ }
  }
}
