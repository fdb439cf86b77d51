/**
 * The sink: every worker runs one kafkajs consumer that reads the partitions
 * `p` with `p % workers === shard` of each topic, so the partitions are shared
 * across workers and each record is read once. kafkajs has no manual
 * assignment, so each worker gets its own one-member consumer group made for
 * this run (`<groupPrefix>-<runId>-<shard>`) with an assigner that picks the
 * worker's partitions: no rebalancing between workers, and a join takes
 * milliseconds instead of a group-wide rebalance. `start` reads the end offsets
 * of every partition before it resolves (so before the schedule starts) and
 * seeks there: each consumer starts at the run's start, and no record of the
 * run can come earlier. A restarted consumer resumes from committed offsets.
 * With fewer partitions than workers some consumers idle. (Committing the
 * groups' offsets in `prepare` instead costs seconds per group in kafkajs.)
 *
 * `committedAt` is the record timestamp: LogAppendTime (the broker's append
 * time) or CreateTime (the producer's send time), as the topic is configured;
 * `timeBase` says which. It has millisecond resolution, so cdcb takes the middle
 * of the millisecond, kept between the intended time and the time it was read.
 */
import {
  formatMicros,
  nowMicros,
  type Observer,
  type PluginContext,
  type Sink,
  type StampInfo,
} from '@cdcb/core'
import kafkajs, { type Batch, type Consumer, type PartitionAssigner } from 'kafkajs'
import { connectWithin, createKafka } from './client.js'
import { createDecoder, type Decoder } from './formats.js'
import { LogHistogram } from './histogram.js'
import { millis, type ResolvedKafkaOptions } from './options.js'
import { retrying, shardGroupId, timestampTypeOf } from './topics.js'

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

const { AssignerProtocol } = kafkajs
const ASSIGNER = 'cdcb-shard'

/** Assigns this worker's partitions (`p % shards === shard`) to the group's only member. */
export function shardAssigner(shard: number, shards: number): PartitionAssigner {
  return ({ cluster }) => ({
    name: ASSIGNER,
    version: 1,
    async assign({ members, topics }) {
      const assignment: Record<string, number[]> = {}
      for (const topic of topics) {
        assignment[topic] = cluster
          .findTopicPartitionMetadata(topic)
          .map((p) => p.partitionId)
          .filter((p) => p % shards === shard)
          .sort((a, b) => a - b)
      }
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment,
          userData: Buffer.alloc(0),
        }),
      }))
    },
    protocol: ({ topics }) => ({
      name: ASSIGNER,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    }),
  })
}

export function createKafkaSink(options: ResolvedKafkaOptions, context: PluginContext): Sink {
  return new KafkaSink(options, context)
}

class KafkaSink implements Sink {
  timeBase = 'Kafka record timestamp'
  private consumer: Consumer | undefined
  private observer: Observer | undefined
  private readonly decode: Decoder
  private readonly counts = { insert: 0, update: 0, delete: 0, corrupt: 0, foreign: 0 }
  private readonly sourceLag = new LogHistogram()
  private readonly recordTime: boolean
  private joined: (() => void) | undefined
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
  }

  async start(observer: Observer): Promise<void> {
    this.observer = observer
    const { options, context } = this
    const kafka = createKafka(options, (m) => context.log(m))
    const topics = options.topics ?? [options.topic]
    const admin = kafka.admin()
    await connectWithin(kafka, options, 'sink admin', admin)
    try {
      const type = await timestampTypeOf(admin, topics[0]!)
      this.timeBase = !this.recordTime
        ? 'observed by cdcb (committedAt: "observed")'
        : type === 'LogAppendTime'
          ? 'Kafka LogAppendTime (broker append time, ms)'
          : type === 'CreateTime'
            ? 'Kafka CreateTime (producer send time, ms)'
            : 'Kafka record timestamp (ms)'
      const consumer = kafka.consumer({
        groupId: shardGroupId(options, context.runId, context.shard),
        partitionAssigners: [shardAssigner(context.shard, context.shards)],
        sessionTimeout: millis(options.sessionTimeout),
        heartbeatInterval: Math.min(1000, millis(options.sessionTimeout) / 3),
        maxWaitTimeInMs: 100,
        allowAutoTopicCreation: false,
        retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 20 },
      })
      this.consumer = consumer
      const joined = new Promise<void>((resolve) => {
        this.joined = resolve
      })
      consumer.on(consumer.events.GROUP_JOIN, () => this.joined?.())
      consumer.on(consumer.events.CRASH, (event) => {
        const { error, restart } = event.payload as { error: Error; restart: boolean }
        context.log(
          `kafka sink: consumer ${restart ? 'restarting after' : 'stopped by'}: ${error.message.split('\n')[0]}`,
        )
      })
      await connectWithin(kafka, options, 'consumer', consumer)
      const starts: { topic: string; partition: number; offset: string }[] = []
      for (const topic of topics) {
        for (const o of await retrying(() => admin.fetchTopicOffsets(topic))) {
          if (o.partition % context.shards === context.shard)
            starts.push({ topic, partition: o.partition, offset: o.high })
        }
      }
      await consumer.subscribe({ topics, fromBeginning: true })
      // Commit progress every few seconds, not after every batch: a commit per fetch doubles the round trips.
      await consumer.run({ autoCommitInterval: 5000, eachBatch: async ({ batch }) => this.onBatch(batch) })
      for (const start of starts) consumer.seek(start)
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the sink consumer did not join within 60s')), 60_000)
      })
      await Promise.race([joined, timeout]).finally(() => clearTimeout(timer))
    } finally {
      await admin.disconnect()
    }
  }

  private onBatch(batch: Batch): void {
    const observer = this.observer
    if (!observer) return
    const observedAt = nowMicros()
    const counts = this.counts
    for (const message of batch.messages) {
      const record = this.decode(message)
      if (!record) {
        counts.foreign++
        continue
      }
      if (record.corrupt !== undefined) {
        counts.corrupt++
        observer.corrupt(record.seq, record.corrupt)
        continue
      }
      counts[record.kind]++
      // Record timestamps have millisecond resolution: take the middle of the
      // millisecond, kept between the intended time and now (never negative).
      const committedAt = this.recordTime
        ? Math.min(Math.max(Number(message.timestamp) * 1e3 + 500, record.intendedAt), observedAt)
        : undefined
      if (this.stamps) {
        const values = this.stampValues
        values[0] = record.sourceMicros ?? Number.NaN
        values[1] = record.processedMicros ?? Number.NaN
        values[2] = Number(message.timestamp) * 1e3
        observer.observe(record.seq, record.key, record.intendedAt, committedAt, observedAt, values)
      } else observer.observe(record.seq, record.key, record.intendedAt, committedAt, observedAt)
      if (record.sourceMicros !== undefined) this.sourceLag.record(record.sourceMicros - record.intendedAt)
    }
  }

  async stop(): Promise<void> {
    // The worker may call stop twice (after the drain, and again while closing).
    const consumer = this.consumer
    if (!consumer) return
    this.consumer = undefined
    this.observer = undefined
    await consumer.disconnect()
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
