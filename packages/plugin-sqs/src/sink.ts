/**
 * The sink: every worker runs `receivers` long-polling ReceiveMessage loops on
 * each of the run's queues (one, or all of `queues`), so all workers'
 * receivers share each queue as any group of SQS consumers does. Each message of this run is observed as it arrives, then deleted with
 * DeleteMessageBatch (one call per receive). Messages of other runs or
 * producers are left alone: they become visible again when their visibility
 * timeout ends, for whoever owns them.
 *
 * A message not deleted within the visibility timeout comes back; SQS counts
 * its deliveries (`ApproximateReceiveCount`). A redelivery is observed again
 * with the same seq, so core counts it as a duplicate, never as a new event;
 * `redeliveries` in the stats counts them too. On a FIFO queue a message group
 * is blocked while one of its messages is in flight, so observing before
 * deleting keeps each key in order across receivers and workers.
 *
 * `committedAt` is `SentTimestamp`: when SQS accepted the message, stamped by
 * SQS in whole milliseconds. The sink passes the stamp as it is (the start of
 * its millisecond) and declares `stampResolutionMicros` 1000, so core counts a
 * latency within one millisecond below zero as 0 and reports anything lower.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs'
import { describeError, nowMicros, type Observer, type PluginContext, type Sink } from '@cdcb/core'
import { awsErrorKind, createClient, ErrorCounts, queueUrlsOf, withRetries } from './client.js'
import { createDecoder, type Decoder, KEY_ATTRIBUTE, MARKER_ATTRIBUTE } from './format.js'
import { millis, type ResolvedSqsOptions } from './options.js'

export function createSqsSink(options: ResolvedSqsOptions, context: PluginContext): Sink {
  return new SqsSink(options, context)
}

class SqsSink implements Sink {
  readonly timeBase: string
  readonly stampResolutionMicros: number
  private readonly client: SQSClient
  private readonly decode: Decoder
  private observer: Observer | undefined
  /** Where failed deletes are counted: kept until the receivers end, past `observer`. */
  private failures: Observer | undefined
  private queueCount = 0
  private stopped = false
  private loops: Promise<void>[] = []
  private readonly sentTime: boolean
  private readonly neverDelete: boolean
  private readonly ignore: ReadonlySet<number>
  /** testing.sinkReceiveDelay in ms: a slow receiver, 0 when unset. */
  private readonly receiveDelayMs: number
  private readonly errors = new ErrorCounts()
  private readonly counts = {
    received: 0,
    insert: 0,
    update: 0,
    delete: 0,
    corrupt: 0,
    foreign: 0,
    redeliveries: 0,
    deleted: 0,
    deleteFailed: 0,
    receives: 0,
    emptyReceives: 0,
  }

  constructor(
    private readonly options: ResolvedSqsOptions,
    private readonly context: PluginContext,
  ) {
    this.client = createClient(options)
    this.decode = createDecoder(options, context)
    this.sentTime = options.committedAt === 'sent'
    this.timeBase = this.sentTime
      ? 'SQS SentTimestamp (when the queue accepted the message; 1 ms resolution)'
      : 'observed by cdcb (committedAt: "observed")'
    this.stampResolutionMicros = this.sentTime ? 1000 : 0
    this.neverDelete = options.testing?.sinkNeverDeletes === true
    this.ignore = new Set(options.testing?.sinkIgnoreSeqs ?? [])
    const delay = options.testing?.sinkReceiveDelay
    this.receiveDelayMs = delay === undefined ? 0 : millis(delay)
  }

  async start(observer: Observer): Promise<void> {
    const urls = await queueUrlsOf(this.client, this.options, 'sink')
    this.queueCount = urls.length
    this.observer = observer
    this.failures = observer
    for (const url of urls)
      for (let i = 0; i < this.options.receivers; i++) this.loops.push(this.receiveLoop(url))
  }

  /**
   * One receiver. A long poll is never aborted: SQS would still hand out the
   * messages it finds to the abandoned request, hiding them for a visibility
   * timeout. So `stop` waits for the polls to end (at most `waitTime`), and
   * what they bring after it is made visible again at once.
   */
  private async receiveLoop(queueUrl: string): Promise<void> {
    const waitSeconds = Math.round(millis(this.options.waitTime) / 1000)
    const visibility = Math.round(millis(this.options.visibilityTimeout) / 1000)
    const command = new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      VisibilityTimeout: visibility,
      MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      MessageAttributeNames: [MARKER_ATTRIBUTE, KEY_ATTRIBUTE],
    })
    while (!this.stopped) {
      let messages: Message[]
      try {
        const result = await withRetries(() => this.client.send(command), this.options.retries, this.errors)
        messages = result.Messages ?? []
      } catch (error) {
        if (this.stopped) return
        // Retries exhausted: keep receiving (the stats count the failures), after a pause.
        this.context.log(`sqs sink ${this.context.shard}: receive failed: ${(error as Error).message}`)
        await new Promise((resolve) => setTimeout(resolve, 1000))
        continue
      }
      this.counts.receives++
      if (this.stopped) {
        if (messages.length > 0) await this.release(queueUrl, messages)
        return
      }
      if (messages.length === 0) {
        this.counts.emptyReceives++
        continue
      }
      if (this.receiveDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.receiveDelayMs))
      const toDelete = this.onMessages(messages)
      if (toDelete.length > 0 && !this.neverDelete) await this.deleteBatch(queueUrl, toDelete)
    }
  }

  /** Observes this run's messages; returns the receipt handles of those to delete. */
  private onMessages(messages: Message[]): { Id: string; ReceiptHandle: string }[] {
    const observedAt = nowMicros()
    const observer = this.observer
    const counts = this.counts
    const toDelete: { Id: string; ReceiptHandle: string }[] = []
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!
      counts.received++
      const record = this.decode(message)
      if (!record) {
        counts.foreign++
        continue
      }
      if (this.ignore.has(record.seq)) continue // testing.sinkIgnoreSeqs: left in the queue, unobserved
      if (Number(message.Attributes?.ApproximateReceiveCount ?? 1) > 1) counts.redeliveries++
      if (record.corrupt !== undefined) {
        counts.corrupt++
        observer?.corrupt(record.seq, record.corrupt)
      } else {
        counts[record.kind]++
        const sent = Number(message.Attributes?.SentTimestamp)
        const committedAt = this.sentTime && Number.isFinite(sent) ? sent * 1e3 : undefined
        observer?.observe(record.seq, record.key, record.intendedAt, committedAt, observedAt)
      }
      if (message.ReceiptHandle) toDelete.push({ Id: String(i), ReceiptHandle: message.ReceiptHandle })
    }
    return toDelete
  }

  private async deleteBatch(
    queueUrl: string,
    entries: { Id: string; ReceiptHandle: string }[],
  ): Promise<void> {
    try {
      const result = await withRetries(
        () => this.client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })),
        this.options.retries,
        this.errors,
      )
      this.counts.deleted += result.Successful?.length ?? 0
      // A failed delete (receipt handle expired with the visibility timeout) means the message comes back.
      const byCode = new Map<string, { n: number; message: string }>()
      for (const f of result.Failed ?? []) {
        this.counts.deleteFailed++
        const code = this.errors.count({ name: f.Code ?? 'DeleteFailed' })
        const tally = byCode.get(code) ?? { n: 0, message: f.Message ?? code }
        tally.n++
        byCode.set(code, tally)
      }
      for (const [code, { n, message }] of byCode) this.reportDeleteFailure(code, message, n)
    } catch (error) {
      this.counts.deleteFailed += entries.length
      this.reportDeleteFailure(awsErrorKind(error), describeError(error), entries.length)
    }
  }

  /**
   * Puts failed deletes into the result's errors (kind `DeleteFailed.<code>`):
   * each such message comes back and is counted again as a duplicate, so the
   * user sees why. No event is lost by it: the error rate is unchanged.
   */
  private reportDeleteFailure(code: string, message: string, count: number): void {
    this.failures?.error?.(
      `DeleteFailed.${code}`,
      `sqs sink: DeleteMessageBatch did not delete ${count === 1 ? 'a message' : `${count} messages`} (${message}); SQS delivers it again after the visibility timeout (sink.options.visibilityTimeout ${this.options.visibilityTimeout}), counted as a duplicate`,
      count,
    )
  }

  /** Makes messages received after `stop` visible again for whoever reads the queue next. */
  private async release(queueUrl: string, messages: Message[]): Promise<void> {
    const entries = messages.map((m, i) => ({
      Id: String(i),
      ReceiptHandle: m.ReceiptHandle!,
      VisibilityTimeout: 0,
    }))
    await this.client
      .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }))
      .catch((error: unknown) => this.errors.count(error))
  }

  async stop(): Promise<void> {
    // The worker may call stop twice (after the drain, and again while closing).
    if (this.stopped) return
    this.observer = undefined
    this.stopped = true
    await Promise.allSettled(this.loops)
    this.failures = undefined
    this.client.destroy()
    const c = this.counts
    this.context.log(
      `sqs sink ${this.context.shard}: read insert=${c.insert} update=${c.update} delete=${c.delete} corrupt=${c.corrupt} foreign=${c.foreign} redeliveries=${c.redeliveries} deleteFailed=${c.deleteFailed}`,
    )
  }

  stats(): Record<string, number> {
    // Core sums stats over workers; every worker reads all the queues, so only worker 0 counts them.
    return {
      ...this.counts,
      ...(this.context.shard === 0 ? { queues: this.queueCount } : {}),
      ...this.errors.toStats(),
    }
  }
}
