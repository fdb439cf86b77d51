/**
 * Reads chosen partitions from chosen offsets with Fetch requests, as the Java
 * consumer's `assign()` + `seek()`: no consumer group, so no join, no
 * heartbeat, no rebalance, nothing to delete afterwards. One fetch loop per
 * leader broker, each with one request outstanding; a fetch returns as soon as
 * a record is there (`minBytes` 1) or after `maxWaitMs` when none is.
 *
 * Record timestamps follow the topic: with LogAppendTime the broker writes its
 * append time into the batch header (`maxTimestamp`) and leaves the records'
 * own deltas as the producer sent them, so the batch header is the one to read
 * (as Kafka's Java client does; @platformatic/kafka's stream reads the deltas).
 *
 * A failed fetch (broker gone, leader moved) is logged once per kind every few
 * seconds and retried from the same offsets after fresh metadata: nothing is
 * skipped and nothing read twice.
 */
import type { Consumer, KafkaRecord, RecordsBatch, TopicWithPartitionAndOffset } from '@platformatic/kafka'
import { causeOf } from './client.js'

/** Batch attribute bits (Kafka's DefaultRecordBatch). */
const LOG_APPEND_TIME = 0x08
const CONTROL = 0x20
const RETRY_DELAY_MS = 200
const LOG_INTERVAL_MS = 5000

/**
 * Called for every record read: the record (key, value, headers as Buffers),
 * its timestamp (epoch ms), topic, partition and offset. Nothing is kept per record.
 */
export type OnRecord = (
  record: KafkaRecord,
  timestampMs: number,
  topic: string,
  partition: number,
  offset: number,
) => void

export interface ReaderOptions {
  readonly maxWaitMs: number
  /** Bytes per partition per fetch; the broker still returns one batch larger than it. */
  readonly partitionMaxBytes?: number
  readonly log: (message: string) => void
  readonly what: string
  /** Called each time a fetch is answered, with or without records (the sink's `Observer.answered`). */
  readonly onAnswer?: () => void
}

export class PartitionReader {
  /** `topic:partition` → the next offset to read. */
  private readonly next = new Map<string, bigint>()
  private readonly topics: string[]
  private stopped = false
  private generation = 0
  private readonly lastLogged = new Map<string, number>()
  private retryTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly consumer: Consumer,
    starts: readonly TopicWithPartitionAndOffset[],
    private readonly onRecord: OnRecord,
    private readonly options: ReaderOptions,
  ) {
    for (const { topic, partition, offset } of starts) this.next.set(`${topic}:${partition}`, offset)
    this.topics = [...new Set(starts.map((s) => s.topic))]
    // The client asks metadata only for the topics it tracks.
    consumer.topics.trackAll(...this.topics)
  }

  /** The next offset to read of each partition (for a caller that wants to know where reading stopped). */
  position(topic: string, partition: number): bigint | undefined {
    return this.next.get(`${topic}:${partition}`)
  }

  /** Starts reading; resolves once the first fetches are sent. Rejects when the metadata cannot be read. */
  async start(): Promise<void> {
    if (this.next.size === 0) return
    await this.plan(false)
  }

  /**
   * Reads more partitions from the offsets given (a topic that appeared after
   * the start). The fetches in flight are abandoned and sent again with the new
   * partitions, from the same offsets: nothing is skipped or read twice.
   */
  add(starts: readonly TopicWithPartitionAndOffset[]): void {
    if (this.stopped || starts.length === 0) return
    for (const { topic, partition, offset } of starts) {
      const key = `${topic}:${partition}`
      if (!this.next.has(key)) this.next.set(key, offset)
      if (!this.topics.includes(topic)) {
        this.topics.push(topic)
        this.consumer.topics.track(topic)
      }
    }
    clearTimeout(this.retryTimer)
    this.plan(true).catch((e: unknown) => this.retry(e))
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.retryTimer)
  }

  /** Groups the partitions by leader and starts one fetch loop per leader. */
  private async plan(forceUpdate: boolean): Promise<void> {
    const generation = ++this.generation
    const metadata = await this.consumer.metadata({ topics: this.topics, forceUpdate })
    if (this.stopped || generation !== this.generation) return
    const byNode = new Map<number, { topic: string; topicId: string; partition: number }[]>()
    for (const key of this.next.keys()) {
      const at = key.lastIndexOf(':')
      const topic = key.slice(0, at)
      const partition = Number(key.slice(at + 1))
      const meta = metadata.topics.get(topic)
      const leader = meta?.partitions[partition]?.leader
      if (!meta || leader === undefined || leader < 0)
        throw new Error(`no leader for ${topic} partition ${partition}`)
      let list = byNode.get(leader)
      if (!list) {
        list = []
        byNode.set(leader, list)
      }
      list.push({ topic, topicId: meta.id, partition })
    }
    const topicNames = new Map<string, string>()
    for (const [topic, meta] of metadata.topics) topicNames.set(meta.id, topic)
    for (const [node, partitions] of byNode) this.fetch(generation, node, partitions, topicNames)
  }

  private fetch(
    generation: number,
    node: number,
    partitions: readonly { topic: string; topicId: string; partition: number }[],
    topicNames: ReadonlyMap<string, string>,
  ): void {
    if (this.stopped || generation !== this.generation) return
    const byTopic = new Map<string, { topicId: string; partitions: object[] }>()
    const requested = new Map<string, bigint>()
    for (const { topic, topicId, partition } of partitions) {
      const key = `${topic}:${partition}`
      const fetchOffset = this.next.get(key)!
      requested.set(key, fetchOffset)
      let entry = byTopic.get(topicId)
      if (!entry) {
        entry = { topicId, partitions: [] }
        byTopic.set(topicId, entry)
      }
      entry.partitions.push({
        partition,
        fetchOffset,
        partitionMaxBytes: this.options.partitionMaxBytes ?? 4 * 1024 * 1024,
        currentLeaderEpoch: -1,
        lastFetchedEpoch: -1,
      })
    }
    this.consumer.fetch(
      {
        node,
        topics: [...byTopic.values()] as Parameters<Consumer['fetch']>[0]['topics'],
        minBytes: 1,
        maxWaitTime: this.options.maxWaitMs,
      },
      (error, response) => {
        if (this.stopped || generation !== this.generation) return
        if (error || !response) {
          this.retry(error)
          return
        }
        this.options.onAnswer?.()
        try {
          for (const topicResponse of response.responses) {
            const topic = topicNames.get(topicResponse.topicId) ?? topicResponse.topicId
            for (const p of topicResponse.partitions) this.read(topic, p.partitionIndex, p.records, requested)
          }
        } catch (failure) {
          // A callback that throws must not stop the loop silently.
          this.log(`kafka: ${this.options.what}: ${causeOf(failure)}`)
        }
        this.fetch(generation, node, partitions, topicNames)
      },
    )
  }

  private read(
    topic: string,
    partition: number,
    batches: readonly RecordsBatch[] | null | undefined,
    requested: ReadonlyMap<string, bigint>,
  ): void {
    const key = `${topic}:${partition}`
    const from = requested.get(key)
    if (from === undefined || !batches || batches.length === 0) return
    const fromNumber = Number(from)
    for (const batch of batches) {
      const last = batch.firstOffset + BigInt(batch.lastOffsetDelta)
      if (last < from) continue
      if (last + 1n > this.next.get(key)!) this.next.set(key, last + 1n)
      if (batch.attributes & CONTROL) continue
      const first = Number(batch.firstOffset)
      const appendTime = batch.attributes & LOG_APPEND_TIME ? Number(batch.maxTimestamp) : undefined
      const firstTimestamp = Number(batch.firstTimestamp)
      for (const record of batch.records) {
        const offset = first + record.offsetDelta
        // A compressed batch can start before the offset asked for.
        if (offset < fromNumber) continue
        this.onRecord(
          record,
          appendTime ?? firstTimestamp + Number(record.timestampDelta),
          topic,
          partition,
          offset,
        )
      }
    }
  }

  private retry(error: unknown): void {
    this.log(`kafka: ${this.options.what}: fetch failed, retrying: ${causeOf(error)}`)
    const generation = ++this.generation
    this.retryTimer = setTimeout(() => {
      if (this.stopped || generation !== this.generation) return
      this.plan(true).catch((e: unknown) => this.retry(e))
    }, RETRY_DELAY_MS)
  }

  /** One line per kind of message every few seconds: a broker gone for a minute must not flood the log. */
  private log(line: string): void {
    const now = Date.now()
    if (now - (this.lastLogged.get(line) ?? 0) < LOG_INTERVAL_MS) return
    if (this.lastLogged.size > 100) this.lastLogged.clear()
    this.lastLogged.set(line, now)
    this.options.log(line)
  }
}
