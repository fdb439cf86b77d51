/**
 * The source: `producers` @platformatic/kafka producers per worker, each on its
 * own connection with its own batching ("lane"). Each operation becomes one
 * record keyed by the operation key; cdcb computes its partition as Kafka's
 * own clients do (Java-compatible murmur2), and partition p always goes
 * through lane p % producers, so every change of a key takes one partition and
 * one producer. A key's records stay in order even under retries: a lane with
 * one request out (idempotent) sends its queue in order, and with several out a
 * write that touches a key still in flight in an earlier write waits for that
 * write first. Several lanes exist because the client sends an idempotent
 * producer's requests one at a time per connection (Java's producer sends
 * five): against a remote cluster one lane waits a round trip per request.
 */
import { nowMicros, type Operation, type PluginContext, type Source } from '@cdcb/core'
import { kOptions, Producer, stringSerializer } from '@platformatic/kafka'
import { clientOptions, connectWithin, innermostError, isTimeout } from './client.js'
import { createSourceEncoder, type SourceRecord } from './formats.js'
import { isIdempotent, millis, type ResolvedKafkaOptions } from './options.js'
import { partitionOf } from './partitioner.js'

/**
 * A record as it waits to be produced: the value already in a Buffer, and the partition cdcb chose (so the
 * client's partitioner is not run again). A value waits in the lane while a request is out: as a Buffer it
 * waits outside V8's heap, where a string of 1 KB per record in flight made every young-generation GC copy it.
 */
interface Message {
  readonly topic: string
  readonly key: string
  readonly value: Buffer | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly partition: number
}

/** Bytes a record adds to a produce request besides its key, value and headers (record and batch framing, roughly). */
const RECORD_OVERHEAD = 70

/** Bytes of a record as `batch.maxBytes` counts them. cdcb's keys and header values are ASCII, so a string's length is its size. */
function sizeOf(message: Message): number {
  let size = RECORD_OVERHEAD + message.key.length + (message.value?.length ?? 0)
  if (message.headers) for (const name in message.headers) size += name.length + message.headers[name]!.length
  return size
}

function toMessage(record: SourceRecord, partitions: number): Message {
  return {
    topic: record.topic,
    key: record.key,
    value: record.value,
    headers: record.headers,
    partition: partitionOf(record.key, partitions),
  }
}

export function createKafkaSource(options: ResolvedKafkaOptions, context: PluginContext): Source {
  return new KafkaSource(options, context)
}

interface Pending {
  readonly messages: Message[]
  readonly bytes: number
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

/** What a lane reports back to its source. */
interface LaneStats {
  requestTimeouts: number
  produceRetries: number
}

/**
 * One producer and the writes waiting for it. Writes that arrive while
 * `maxSends` requests are out share the next request (as the Java producer's
 * accumulator does); with `linger`, a request waits up to that long to fill.
 */
class Lane {
  readonly producer: Producer<string, Buffer, string, string>
  private queue: Pending[] = []
  private queued = 0
  private queuedBytes = 0
  private sending = 0
  private lingerTimer: NodeJS.Timeout | undefined
  private lingerExpired = false

  constructor(
    options: ResolvedKafkaOptions,
    idempotent: boolean,
    private readonly stats: LaneStats,
    private readonly lingerMs: number,
    private readonly maxRecords: number,
    private readonly maxBytes: number,
    private readonly maxSends: number,
  ) {
    this.producer = new Producer({
      ...clientOptions(options, options.retries),
      // Values are Buffers already (see Message); the client's default passes them through.
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
      acks: options.acks === 'all' ? -1 : options.acks,
      compression: options.compression,
      idempotent,
      maxInflights: options.maxInFlightRequests ?? (idempotent ? 1 : 5),
    })
    // The client makes an idempotent producer's `retries` of 0 or 1 "retry forever";
    // cdcb's `retries` means what it says (a write fails after that many retries).
    if (idempotent) this.producer[kOptions].retries = options.retries
    this.producer.on('client:performWithRetry:retry', (operation: string) => {
      if (operation === 'produce') stats.produceRetries++
    })
  }

  enqueue(messages: Message[], bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, bytes, resolve, reject })
      this.queued += messages.length
      this.queuedBytes += bytes
      this.pump()
    })
  }

  /**
   * Sends what is queued as one produce request per `maxRecords` records or
   * `maxBytes` bytes, whichever comes first, keeping at most `maxSends`
   * requests outstanding: under light load each write goes out at once; under
   * heavy load writes that arrive while requests are in flight share the next
   * request. A write is never split: a write larger than the limits goes alone.
   */
  private pump(): void {
    while (this.queue.length > 0 && this.sending < this.maxSends) {
      const full = this.queued >= this.maxRecords || this.queuedBytes >= this.maxBytes
      if (this.lingerMs > 0 && !full && !this.lingerExpired) {
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
      // Take the longest prefix of the queue that fits, with one splice (shift() per write is
      // quadratic with thousands of writes queued).
      const queue = this.queue
      const messages: Message[] = []
      let taken = 0
      let bytes = 0
      while (taken < queue.length) {
        const next = queue[taken]!
        const fits =
          messages.length + next.messages.length <= this.maxRecords && bytes + next.bytes <= this.maxBytes
        if (taken > 0 && !fits) break
        for (const message of next.messages) messages.push(message)
        bytes += next.bytes
        taken++
      }
      const batch = taken === queue.length ? queue : queue.splice(0, taken)
      if (batch === queue) this.queue = []
      this.queued -= messages.length
      this.queuedBytes -= bytes
      this.sending++
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

  produce(messages: Message[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // The callback form: no promise per request inside the client.
      this.producer.send({ messages: messages as Message[] & { value?: Buffer }[] }, (error) => {
        if (!error) return resolve()
        if (isTimeout(error)) this.stats.requestTimeouts++
        reject(innermostError(error))
      })
    })
  }

  close(): Promise<void> {
    clearTimeout(this.lingerTimer)
    return this.producer.close()
  }
}

class KafkaSource implements Source {
  private readonly lanes: Lane[]
  private readonly encode: ReturnType<typeof createSourceEncoder>
  private readonly maxRecords: number
  private readonly maxBytes: number
  /** Partitions of the topic, read once when the source opens. */
  private partitions = 1
  /** The last unfinished write per key; bounded by the operations in flight. */
  private readonly inFlightByKey = new Map<number, Promise<void>>()
  /** Whether every lane sends one request at a time (in order), so no write can overtake another. */
  private readonly oneRequestAtATime: boolean
  private readonly skip: ReadonlySet<number>
  private readonly duplicate: ReadonlySet<number>
  private readonly reorder: ReadonlySet<number>
  /** testing.reorderSeqs: records held back until the next change of their key. */
  private readonly heldBack = new Map<number, Message>()
  /**
   * Records produced (with test duplicates and Debezium tombstones), operations by kind, produce
   * requests that timed out (failed writes), and produce requests the client retried.
   */
  private readonly stats_ = {
    records: 0,
    inserts: 0,
    updates: 0,
    deletes: 0,
    requestTimeouts: 0,
    produceRetries: 0,
  }
  private readonly debeziumTombstones: boolean

  constructor(
    private readonly options: ResolvedKafkaOptions,
    context: PluginContext,
  ) {
    const idempotent = isIdempotent(options)
    this.encode = createSourceEncoder(options, context)
    this.maxRecords = options.batch.maxRecords
    this.maxBytes = options.batch.maxBytes
    this.debeziumTombstones = options.format === 'debezium' && options.tombstones
    // The client sends an idempotent producer's requests one at a time per connection: a second
    // request handed over would only wait there, costing a round trip of its own. Writes that
    // arrive meanwhile wait in the lane instead and share its next request.
    const maxSends = idempotent ? 1 : options.batch.inFlight
    this.oneRequestAtATime = maxSends === 1
    const lingerMs = millis(options.batch.linger)
    this.lanes = Array.from(
      { length: options.producers },
      () => new Lane(options, idempotent, this.stats_, lingerMs, this.maxRecords, this.maxBytes, maxSends),
    )
    this.skip = new Set(options.testing?.skipSeqs ?? [])
    this.duplicate = new Set(options.testing?.duplicateSeqs ?? [])
    this.reorder = new Set(options.testing?.reorderSeqs ?? [])
  }

  async open(): Promise<void> {
    const [first, ...others] = this.lanes
    await connectWithin(first!.producer, this.options, 'producer')
    const metadata = await first!.producer.metadata({ topics: [this.options.topic] })
    this.partitions = metadata.topics.get(this.options.topic)?.partitionsCount ?? 1
    await Promise.all(others.map((lane) => connectWithin(lane.producer, this.options, 'producer')))
  }

  write(ops: readonly Operation[]): Promise<void> {
    // A key always takes one lane, which queues in order: with one request out per lane, a later
    // change of a key is sent only once every earlier request has succeeded or failed for good.
    if (this.oneRequestAtATime) return this.send(ops)
    // Otherwise wait for earlier writes of the same keys so a retried request cannot overtake a later change.
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
      const message = toMessage(this.encode(op, now), this.partitions)
      if (this.reorder.size > 0 && this.testReorder(op, message, messages)) continue
      messages.push(message)
      if (this.duplicate.has(op.seq)) messages.push(message) // testing.duplicateSeqs
      // Debezium follows a delete event with a tombstone so compaction can drop the key.
      if (op.kind === 'delete' && this.debeziumTombstones)
        messages.push({
          topic: message.topic,
          key: message.key,
          value: undefined,
          partition: message.partition,
        })
      if (op.kind === 'insert') stats.inserts++
      else if (op.kind === 'update') stats.updates++
      else stats.deletes++
    }
    stats.records += messages.length
    if (messages.length === 0) return Promise.resolve()
    const lanes = this.lanes.length
    if (lanes === 1) return this.sendTo(this.lanes[0]!, messages)
    // Most writes are one operation: one lane, no split.
    const lane = messages[0]!.partition % lanes
    let oneLane = true
    for (const message of messages) if (message.partition % lanes !== lane) oneLane = false
    if (oneLane) return this.sendTo(this.lanes[lane]!, messages)
    const byLane: Message[][] = this.lanes.map(() => [])
    for (const message of messages) byLane[message.partition % lanes]!.push(message)
    const sent: Promise<void>[] = []
    for (let i = 0; i < lanes; i++)
      if (byLane[i]!.length > 0) sent.push(this.sendTo(this.lanes[i]!, byLane[i]!))
    return Promise.all(sent).then(() => undefined)
  }

  private sendTo(lane: Lane, messages: Message[]): Promise<void> {
    let bytes = 0
    for (const message of messages) bytes += sizeOf(message)
    if (bytes <= this.maxBytes && messages.length <= this.maxRecords) return lane.enqueue(messages, bytes)
    return this.sendInParts(lane, messages)
  }

  /**
   * A write above `batch.maxBytes` or `maxRecords` goes out in parts that fit.
   * A part holding a key an earlier part holds waits for the earlier parts, so
   * a retry cannot reorder the key's records.
   */
  private sendInParts(lane: Lane, messages: Message[]): Promise<void> {
    const sent: Promise<void>[] = []
    /** Keys of the parts already queued. */
    const earlier = new Set<string>()
    let part: Message[] = []
    let bytes = 0
    let repeats = false
    const flush = () => {
      const records = part
      const size = bytes
      sent.push(
        repeats
          ? Promise.allSettled([...sent]).then(() => lane.enqueue(records, size))
          : lane.enqueue(records, size),
      )
      for (const message of part) earlier.add(message.key)
      part = []
      bytes = 0
      repeats = false
    }
    for (const message of messages) {
      const size = sizeOf(message)
      if (part.length > 0 && (bytes + size > this.maxBytes || part.length >= this.maxRecords)) flush()
      part.push(message)
      bytes += size
      if (earlier.has(message.key)) repeats = true
    }
    flush()
    return Promise.all(sent).then(() => undefined)
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
    const held = [...this.heldBack.values()]
    this.heldBack.clear()
    const lanes = this.lanes.length
    await Promise.all(
      this.lanes.map((lane, i) => {
        const mine = held.filter((message) => message.partition % lanes === i)
        return mine.length > 0 ? lane.produce(mine).catch(() => {}) : undefined
      }),
    )
    await Promise.all(this.lanes.map((lane) => lane.close()))
  }

  stats(): Record<string, number> {
    return { ...this.stats_ }
  }
}
