/**
 * The sink: every worker reads the partitions `p` with `p % workers === shard`
 * of each topic, so the partitions are shared across workers and each record
 * is read once. It reads them by direct assignment (see reader.ts): no consumer
 * group, so no rebalance when workers start or stop, and a worker is ready in
 * milliseconds. `start` reads the end offset of each of its partitions before
 * it resolves (so before the schedule starts) and reads from there: each worker
 * starts at the run's start, and no record of the run can come earlier. With
 * fewer partitions than workers some workers idle.
 *
 * `committedAt` is the record timestamp: LogAppendTime (the broker's append
 * time) or CreateTime (the producer's send time), as the topic is configured;
 * `timeBase` says which. It has millisecond resolution, so cdcb takes the middle
 * of the millisecond and declares `stampResolutionMicros` 1000: core's one policy
 * for coarse stamps decides what a value just below zero means.
 */
import {
  formatMicros,
  nowMicros,
  type Observer,
  type PluginContext,
  type Sink,
  type StampInfo,
} from '@cdcb/core'
import { Admin, Consumer, type KafkaRecord, type TopicWithPartitionAndOffset } from '@platformatic/kafka'
import { clientOptions, connectWithin } from './client.js'
import { createDecoder, type Decoder } from './formats.js'
import { LogHistogram } from './histogram.js'
import type { ResolvedKafkaOptions } from './options.js'
import { PartitionReader } from './reader.js'
import { groupIdFor, timestampTypeOf } from './topics.js'

/** A consumer for reading by assignment. It never joins its group: the id is only a required option. */
export function createConsumer(options: ResolvedKafkaOptions, runId: string, name: string): Consumer {
  return new Consumer({ ...clientOptions(options, 10), groupId: `${groupIdFor(options, runId)}-${name}` })
}

/** The offset of each of the shard's partitions of `topics` at `timestamp` (epoch ms), or their end offsets. */
export async function offsetsOf(
  consumer: Consumer,
  topics: readonly string[],
  shard: number,
  shards: number,
  timestamp?: bigint,
): Promise<TopicWithPartitionAndOffset[]> {
  const offsets = await consumer.listOffsets({
    topics: [...topics],
    ...(timestamp === undefined ? {} : { timestamp }),
  })
  const result: TopicWithPartitionAndOffset[] = []
  for (const topic of topics) {
    const partitions = offsets.get(topic) ?? []
    partitions.forEach((offset, partition) => {
      if (partition % shards === shard) result.push({ topic, partition, offset })
    })
  }
  return result
}

export function createKafkaSink(options: ResolvedKafkaOptions, context: PluginContext): Sink {
  return new KafkaSink(options, context)
}

/**
 * The stamps a Debezium envelope carries, in pipeline order, for core's hops.
 * Each is declared at millisecond resolution, the coarsest it may have
 * (`ts_ms` where a connector gives no `ts_us`, and Kafka's record timestamp).
 */
const DEBEZIUM_STAMPS: readonly StampInfo[] = [
  {
    name: 'source',
    description: "Debezium source.ts_us: the change committed at the origin database (that database's clock)",
    resolutionMicros: 1000,
  },
  {
    name: 'connector',
    description: "Debezium ts_us: the connector processed the change (the Connect worker's clock)",
    resolutionMicros: 1000,
  },
  {
    name: 'kafka',
    description: 'Kafka record timestamp: the record was appended (LogAppendTime) or produced (CreateTime)',
    resolutionMicros: 1000,
  },
]

class KafkaSink implements Sink {
  timeBase = 'Kafka record timestamp'
  /** Record timestamps are whole milliseconds; core's policy counts what is within that (see Sink). */
  readonly stampResolutionMicros: number
  private consumer: Consumer | undefined
  private reader: PartitionReader | undefined
  private lookTimer: NodeJS.Timeout | undefined
  private observer: Observer | undefined
  private readonly decode: Decoder
  private readonly counts = { insert: 0, update: 0, delete: 0, corrupt: 0, foreign: 0 }
  private readonly sourceLag = new LogHistogram()
  private readonly recordTime: boolean
  readonly stamps: readonly StampInfo[] | undefined
  /** One array for every event's stamps: core reads it during `observe`. */
  private readonly stampValues = new Float64Array(DEBEZIUM_STAMPS.length)

  constructor(
    private readonly options: ResolvedKafkaOptions,
    private readonly context: PluginContext,
  ) {
    this.decode = createDecoder(options, context)
    this.recordTime = options.committedAt === 'record'
    this.stamps = options.format === 'debezium' ? DEBEZIUM_STAMPS : undefined
    this.stampResolutionMicros = this.recordTime ? 1000 : 0
  }

  async start(observer: Observer): Promise<void> {
    this.observer = observer
    const { options, context } = this
    const topics = options.topics ?? [options.topic]
    const admin = new Admin(clientOptions(options))
    let missing: string[]
    try {
      await connectWithin(admin, options, 'sink admin')
      const existing = new Set(await admin.listTopics())
      missing = topics.filter((t) => !existing.has(t))
      const type = await timestampTypeOf(admin, topics.find((t) => existing.has(t)) ?? topics[0]!)
      this.timeBase = !this.recordTime
        ? 'observed by cdcb (committedAt: "observed")'
        : type === 'LogAppendTime'
          ? 'Kafka LogAppendTime (broker append time, ms)'
          : type === 'CreateTime'
            ? 'Kafka CreateTime (producer send time, ms)'
            : 'Kafka record timestamp (ms)'
    } finally {
      await admin.close()
    }
    const consumer = createConsumer(options, context.runId, `sink-${context.shard}`)
    this.consumer = consumer
    await connectWithin(consumer, options, 'consumer')
    const present = topics.filter((t) => !missing.includes(t))
    const starts = await offsetsOf(consumer, present, context.shard, context.shards)
    const reader = new PartitionReader(
      consumer,
      starts,
      (record, timestamp) => this.onRecord(record, timestamp),
      {
        // An idle fetch returns after this; a record ends the wait at once.
        maxWaitMs: 100,
        log: (m) => context.log(m),
        what: `sink ${context.shard}`,
        // A broker frozen to the end answers no fetch: core then calls what it holds unresolved, not lost.
        onAnswer: () => this.observer?.answered?.(),
      },
    )
    this.reader = reader
    await reader.start()
    if (missing.length > 0) this.awaitTopics(consumer, reader, missing)
  }

  /**
   * A topic the pipeline has not made yet (Debezium and Kafka Connect create
   * theirs with the first change): looked for every half second, and read from
   * its first offset once it exists, since all it holds came after the start.
   */
  private awaitTopics(consumer: Consumer, reader: PartitionReader, missing: string[]): void {
    const { context } = this
    context.log(
      `kafka sink ${context.shard}: topic ${missing.join(', ')} does not exist yet; reading it from its start when it appears`,
    )
    const look = async () => {
      const found: string[] = []
      for (const topic of missing) {
        const metadata = await consumer
          .metadata({ topics: [topic], forceUpdate: true })
          .catch(() => undefined)
        if (metadata) this.observer?.answered?.()
        const partitions = metadata?.topics.get(topic)?.partitions
        if (partitions && partitions.length > 0 && partitions.every((p) => p && p.leader >= 0))
          found.push(topic)
      }
      if (found.length > 0) {
        // ListOffsets timestamp -2: each partition's earliest offset.
        reader.add(await offsetsOf(consumer, found, context.shard, context.shards, -2n))
        missing = missing.filter((t) => !found.includes(t))
      }
    }
    const next = () => {
      if (this.consumer !== consumer || missing.length === 0) return
      this.lookTimer = setTimeout(() => {
        look().then(next, next)
      }, 500)
    }
    next()
  }

  private onRecord(message: KafkaRecord, timestampMs: number): void {
    const observer = this.observer
    if (!observer) return
    const observedAt = nowMicros()
    const counts = this.counts
    const record = this.decode(message)
    if (!record) {
      counts.foreign++
      return
    }
    if (record.corrupt !== undefined) {
      counts.corrupt++
      observer.corrupt(record.seq, record.corrupt)
      return
    }
    counts[record.kind]++
    // Record timestamps have millisecond resolution: take the middle of the millisecond,
    // not clamped: core counts a latency within the declared resolution below zero as 0.
    const committedAt = this.recordTime ? timestampMs * 1e3 + 500 : undefined
    if (this.stamps) {
      const values = this.stampValues
      values[0] = record.sourceMicros ?? Number.NaN
      values[1] = record.processedMicros ?? Number.NaN
      values[2] = timestampMs * 1e3
      observer.observe(record.seq, record.key, record.intendedAt, committedAt, observedAt, values)
    } else observer.observe(record.seq, record.key, record.intendedAt, committedAt, observedAt)
    if (record.sourceMicros !== undefined) this.sourceLag.record(record.sourceMicros - record.intendedAt)
  }

  async stop(): Promise<void> {
    // The worker may call stop twice (after the drain, and again while closing).
    const consumer = this.consumer
    if (!consumer) return
    this.consumer = undefined
    this.observer = undefined
    this.reader?.stop()
    clearTimeout(this.lookTimer)
    await consumer.close(true).catch(() => {})
    const { shard } = this.context
    const c = this.counts
    this.context.log(
      `kafka sink ${shard}: read insert=${c.insert} update=${c.update} delete=${c.delete} corrupt=${c.corrupt} foreign=${c.foreign}`,
    )
    const lag = this.sourceLag
    if (lag.count > 0) {
      this.context.log(
        `kafka sink ${shard}: Debezium source.ts − intended (origin commit latency, ${lag.count} events): ` +
          `p50 ${formatMicros(lag.quantile(0.5))} p99 ${formatMicros(lag.quantile(0.99))} max ${formatMicros(lag.max)}`,
      )
    }
  }
}
