/**
 * The source: each operation becomes one message. Writes queue up and go out
 * as SendMessageBatch calls of up to 10 messages and `maxBatchBytes`, with up
 * to `inFlight` calls outstanding per worker: under light load each write goes
 * out at once, under heavy load writes share calls.
 *
 * FIFO queues: `MessageGroupId` is the key, so SQS keeps each key's messages
 * in order, and `MessageDeduplicationId` is `<runId>-<seq>`, so a retried call
 * never doubles a message within SQS's 5-minute deduplication window. On both
 * kinds of queue a message waits while an earlier message of its key is in a
 * call in flight, so neither concurrency nor a retry can put a later change first.
 *
 * Several queues (`queues`): key k goes to queue k mod N, always the same
 * one, so the per-key rules above hold; each call carries one queue's
 * messages, and the `inFlight` calls are shared by the queues in turn.
 *
 * Entries SQS refuses inside a successful call (`Failed`) are retried like a
 * failed call when the fault is SQS's, and fail their write with the entry's
 * code otherwise; every failure is counted by kind in `stats()`.
 */
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs'
import { ConfigError, type Operation, type PluginContext, type Source } from '@cdcb/core'
import { createClient, ErrorCounts, queueUrlsOf, withRetries } from './client.js'
import { createEncoder, type Encoded, type Encoder } from './format.js'
import {
  isFifo,
  queueIndexOf,
  queueNames,
  type ResolvedSqsOptions,
  SQS_LIMIT_BYTES,
  SQS_MAX_BATCH,
} from './options.js'

/** How far past the head of the queue the pump looks for entries whose keys are free. */
const SCAN_LIMIT = 256

export function createSqsSource(options: ResolvedSqsOptions, context: PluginContext): Source {
  return new SqsSource(options, context)
}

interface Pending {
  readonly entries: Entry[]
  /** Entries of this write not yet accepted by SQS. */
  left: number
  failed?: unknown
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

interface Entry {
  readonly op: Operation
  readonly message: Encoded
  /** Distinguishes a testing duplicate's deduplication id from the original's. */
  readonly copy: number
  readonly owner: Pending
}

/** A message SQS refused inside a successful batch call; `code` is its kind. */
export class SqsEntryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = code
  }
}

/** One queue's entries not sent yet, in write order; `head` skips those already taken. */
interface Lane {
  readonly name: string
  url: string
  entries: (Entry | undefined)[]
  head: number
  /** Messages SQS accepted into this queue. */
  sent: number
}

class SqsSource implements Source {
  private readonly client: SQSClient
  private readonly encode: Encoder
  private readonly fifo: boolean
  /** One lane per queue, in `queueNames` order: key k's entries wait in lane k mod N. */
  private readonly lanes: Lane[]
  /** The lane the next pump starts with, so that no queue waits behind another. */
  private nextLane = 0
  /** Entries per key sent in a call that has not settled yet; bounded by the operations in flight. */
  private readonly keysInFlight = new Map<number, number>()
  private readonly skip: ReadonlySet<number>
  private readonly duplicate: ReadonlySet<number>
  private sending = 0
  private readonly errors = new ErrorCounts()
  private readonly counts = { messages: 0, calls: 0, bytes: 0, inserts: 0, updates: 0, deletes: 0 }

  constructor(
    private readonly options: ResolvedSqsOptions,
    private readonly context: PluginContext,
  ) {
    this.client = createClient(options)
    this.encode = createEncoder(options, context)
    this.fifo = isFifo(options)
    this.lanes = queueNames(options).map((name) => ({ name, url: '', entries: [], head: 0, sent: 0 }))
    this.skip = new Set(options.testing?.skipSeqs ?? [])
    this.duplicate = new Set(options.testing?.duplicateSeqs ?? [])
    // The largest message this run makes: an update of the full payload size.
    const largest = this.encode(
      { seq: Number.MAX_SAFE_INTEGER, key: Number.MAX_SAFE_INTEGER, kind: 'update', intendedAt: 1e16 },
      'x'.repeat(context.payloadSize),
    ).bytes
    if (largest > options.maxBatchBytes) {
      const raise =
        largest <= SQS_LIMIT_BYTES
          ? `, or raise source.options.maxBatchBytes to ${SQS_LIMIT_BYTES} (what AWS SQS and ElasticMQ 1.7.1 accept)`
          : ''
      throw new ConfigError(
        `load.payloadSize: ${context.payloadSize} bytes make SQS messages of up to ${largest} bytes, above source.options.maxBatchBytes (${options.maxBatchBytes}); use a payloadSize of at most ${context.payloadSize - (largest - options.maxBatchBytes)}${raise}`,
      )
    }
  }

  async open(): Promise<void> {
    const urls = await queueUrlsOf(this.client, this.options, 'source')
    urls.forEach((url, i) => {
      this.lanes[i]!.url = url
    })
  }

  write(ops: readonly Operation[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { entries: [], left: 0, resolve, reject }
      const counts = this.counts
      for (const op of ops) {
        if (this.skip.has(op.seq)) continue // testing.skipSeqs: acknowledged, never sent
        const message = this.encode(op, op.kind === 'delete' ? '' : this.context.payload(op.seq))
        pending.entries.push({ op, message, copy: 0, owner: pending })
        if (this.duplicate.has(op.seq)) pending.entries.push({ op, message, copy: 1, owner: pending })
        if (op.kind === 'insert') counts.inserts++
        else if (op.kind === 'update') counts.updates++
        else counts.deletes++
      }
      pending.left = pending.entries.length
      if (pending.left === 0) return resolve()
      const lanes = this.lanes
      for (const entry of pending.entries)
        lanes[queueIndexOf(entry.op.key, lanes.length)]!.entries.push(entry)
      this.pump()
    })
  }

  /**
   * Sends queued entries as batch calls (10 messages, `maxBatchBytes`, one
   * queue each), at most `inFlight` at a time, taking the queues in turn. An
   * entry whose key has an entry in a call still in flight waits (and so do
   * later entries of that key): calls in flight together may land in any
   * order, so only this keeps each key in order.
   */
  private pump(): void {
    const lanes = this.lanes
    let idle = 0 // lanes in a row that had nothing to send
    while (this.sending < this.options.inFlight && idle < lanes.length) {
      const lane = lanes[this.nextLane]!
      this.nextLane = (this.nextLane + 1) % lanes.length
      const batch = this.takeBatch(lane)
      if (batch.entries.length === 0) {
        idle++
        continue
      }
      idle = 0
      for (const entry of batch.entries)
        this.keysInFlight.set(entry.op.key, (this.keysInFlight.get(entry.op.key) ?? 0) + 1)
      this.sending++
      this.sendBatch(lane, batch.entries, batch.bytes).finally(() => {
        this.sending--
        for (const entry of batch.entries) {
          const n = this.keysInFlight.get(entry.op.key)! - 1
          if (n === 0) this.keysInFlight.delete(entry.op.key)
          else this.keysInFlight.set(entry.op.key, n)
        }
        this.pump()
      })
    }
  }

  /** The next call's entries from one lane: empty when every key at hand waits for a call in flight. */
  private takeBatch(lane: Lane): { entries: Entry[]; bytes: number } {
    const batch: Entry[] = []
    let bytes = 0
    let blocked: Set<number> | undefined
    const queue = lane.entries
    for (let i = lane.head, scanned = 0; i < queue.length && scanned < SCAN_LIMIT; i++) {
      const entry = queue[i]
      if (!entry) continue
      scanned++
      const key = entry.op.key
      if (
        blocked?.has(key) ||
        this.keysInFlight.has(key) ||
        bytes + entry.message.bytes > this.options.maxBatchBytes
      ) {
        blocked ??= new Set()
        blocked.add(key)
        continue
      }
      batch.push(entry)
      bytes += entry.message.bytes
      queue[i] = undefined
      if (batch.length === SQS_MAX_BATCH) break
    }
    while (lane.head < queue.length && queue[lane.head] === undefined) lane.head++
    if (lane.head === queue.length) {
      lane.entries = []
      lane.head = 0
    } else if (lane.head > 4096) {
      lane.entries = queue.slice(lane.head)
      lane.head = 0
    }
    return { entries: batch, bytes }
  }

  private async sendBatch(lane: Lane, batch: Entry[], bytes: number): Promise<void> {
    let left = batch
    try {
      await withRetries(
        async () => {
          const result = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: lane.url,
              Entries: left.map((e, i) => this.entry(e, i)),
            }),
          )
          this.counts.calls++
          const failed = result.Failed ?? []
          for (const ok of result.Successful ?? []) this.settle(left[Number(ok.Id)]!)
          lane.sent += result.Successful?.length ?? 0
          if (failed.length === 0) return
          // Entries SQS failed on its side are retried; the sender's faults fail their writes now.
          const retry: Entry[] = []
          let retryError: SqsEntryError | undefined
          for (const f of failed) {
            const entry = left[Number(f.Id)]!
            const error = new SqsEntryError(
              f.Code ?? 'BatchEntryFailed',
              f.Message ?? f.Code ?? 'entry refused',
            )
            if (f.SenderFault) {
              this.errors.count(error)
              this.settle(entry, error)
            } else {
              retry.push(entry)
              retryError = error
            }
          }
          left = retry
          if (retryError) throw Object.assign(retryError, { $fault: 'server' })
        },
        this.options.retries,
        this.errors,
      )
      this.counts.bytes += bytes
    } catch (error) {
      for (const entry of left) this.settle(entry, error)
    }
  }

  private entry(e: Entry, index: number): SendMessageBatchRequestEntry {
    const entry: SendMessageBatchRequestEntry = {
      Id: String(index),
      MessageBody: e.message.body,
      MessageAttributes: e.message.attributes,
    }
    if (this.fifo) {
      entry.MessageGroupId = String(e.op.key)
      entry.MessageDeduplicationId = `${this.context.runId}-${e.op.seq}${e.copy ? `-${e.copy}` : ''}`
    }
    return entry
  }

  /** Marks one entry done; its write resolves when all its entries are, or rejects with the first failure. */
  private settle(entry: Entry, error?: unknown): void {
    const owner = entry.owner
    if (error === undefined) this.counts.messages++
    else owner.failed ??= error
    if (--owner.left > 0) return
    if (owner.failed === undefined) owner.resolve()
    else owner.reject(owner.failed)
  }

  async close(): Promise<void> {
    this.client.destroy()
  }

  /** Counts of the whole source; with several queues also `sent.<queue>`: messages each queue accepted. */
  stats(): Record<string, number> {
    const stats: Record<string, number> = { ...this.counts, ...this.errors.toStats() }
    // Core sums stats over workers; every worker writes to all the queues, so only worker 0 counts them.
    if (this.context.shard === 0) stats.queues = this.lanes.length
    if (this.lanes.length > 1) for (const lane of this.lanes) stats[`sent.${lane.name}`] = lane.sent
    return stats
  }
}
