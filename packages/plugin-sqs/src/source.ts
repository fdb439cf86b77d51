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
import { createClient, ErrorCounts, queueUrlOf, withRetries } from './client.js'
import { createEncoder, type Encoded, type Encoder } from './format.js'
import { isFifo, type ResolvedSqsOptions, SQS_MAX_BATCH } from './options.js'

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

class SqsSource implements Source {
  private readonly client: SQSClient
  private readonly encode: Encoder
  private readonly fifo: boolean
  private queueUrl = ''
  /** Entries per key sent in a call that has not settled yet; bounded by the operations in flight. */
  private readonly keysInFlight = new Map<number, number>()
  private readonly skip: ReadonlySet<number>
  private readonly duplicate: ReadonlySet<number>
  /** Entries not sent yet, in write order; `head` skips those already taken. */
  private queue: (Entry | undefined)[] = []
  private head = 0
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
    this.skip = new Set(options.testing?.skipSeqs ?? [])
    this.duplicate = new Set(options.testing?.duplicateSeqs ?? [])
    // The largest message this run makes: an update of the full payload size.
    const largest = this.encode(
      { seq: Number.MAX_SAFE_INTEGER, key: Number.MAX_SAFE_INTEGER, kind: 'update', intendedAt: 1e16 },
      'x'.repeat(context.payloadSize),
    ).bytes
    if (largest > options.maxBatchBytes) {
      throw new ConfigError(
        `load.payloadSize: ${context.payloadSize} bytes make SQS messages of up to ${largest} bytes, above source.options.maxBatchBytes (${options.maxBatchBytes}, SQS's limit); use a payloadSize of at most ${context.payloadSize - (largest - options.maxBatchBytes)}`,
      )
    }
  }

  async open(): Promise<void> {
    this.queueUrl = await queueUrlOf(this.client, this.options, 'source')
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
      for (const entry of pending.entries) this.queue.push(entry)
      this.pump()
    })
  }

  /**
   * Sends queued entries as batch calls (10 messages, `maxBatchBytes`), at most
   * `inFlight` at a time. An entry whose key has an entry in a call still in
   * flight waits (and so do later entries of that key): calls in flight
   * together may land in any order, so only this keeps each key in order.
   */
  private pump(): void {
    while (this.head < this.queue.length && this.sending < this.options.inFlight) {
      const batch: Entry[] = []
      let bytes = 0
      let blocked: Set<number> | undefined
      for (let i = this.head, scanned = 0; i < this.queue.length && scanned < SCAN_LIMIT; i++) {
        const entry = this.queue[i]
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
        this.queue[i] = undefined
        if (batch.length === SQS_MAX_BATCH) break
      }
      while (this.head < this.queue.length && this.queue[this.head] === undefined) this.head++
      if (this.head === this.queue.length) {
        this.queue = []
        this.head = 0
      } else if (this.head > 4096) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
      if (batch.length === 0) return // every key at hand waits for a call in flight
      for (const entry of batch)
        this.keysInFlight.set(entry.op.key, (this.keysInFlight.get(entry.op.key) ?? 0) + 1)
      this.sending++
      this.sendBatch(batch, bytes).finally(() => {
        this.sending--
        for (const entry of batch) {
          const n = this.keysInFlight.get(entry.op.key)! - 1
          if (n === 0) this.keysInFlight.delete(entry.op.key)
          else this.keysInFlight.set(entry.op.key, n)
        }
        this.pump()
      })
    }
  }

  private async sendBatch(batch: Entry[], bytes: number): Promise<void> {
    let left = batch
    try {
      await withRetries(
        async () => {
          const result = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: left.map((e, i) => this.entry(e, i)),
            }),
          )
          this.counts.calls++
          const failed = result.Failed ?? []
          for (const ok of result.Successful ?? []) this.settle(left[Number(ok.Id)]!)
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

  stats(): Record<string, number> {
    return { ...this.counts, ...this.errors.toStats() }
  }
}
