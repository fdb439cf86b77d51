/**
 * What a queue can verify after the drain: that nothing of this run is left
 * in it. A queue keeps no final state per key (the sink consumed and deleted
 * each message, checking its digest on the way), so the verifier reads what
 * remains: every message of this run still there is a change never delivered,
 * reported for its key (`missing` when it is the key's last change, `content`
 * for an earlier one), with a digest check. A copy of a message the sink
 * observed (`context.observed`: its delete failed, or its visibility timeout
 * ended first) was delivered: it is counted in a log line, not reported. Messages of keys another worker
 * verifies are made visible again at once for that worker; foreign messages
 * likewise. The verifier deletes the leftovers of this run it reported, so a
 * queue that outlives the run (not created by cdcb, or `keepQueue`) is left
 * without cdcb's messages. It ends after two receives in a row find nothing
 * of its keys and the queue reports no message in flight, or at `verifyTimeout`.
 * With several queues (`queues`) it reads each in turn, all within one `verifyTimeout`.
 *
 * For a pipeline that moves the messages on (SQS → Kafka), the downstream
 * plugin verifies the final state instead.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs'
import type { ExpectedRow, Mismatch, PluginContext, VerificationReport, Verifier } from '@cdcb/core'
import { createClient, ErrorCounts, queueUrlsOf, withRetries } from './client.js'
import { createDecoder, KEY_ATTRIBUTE, MARKER_ATTRIBUTE } from './format.js'
import { millis, type ResolvedSqsOptions } from './options.js'

const MAX_MISMATCHES = 20
/** Long enough to examine a batch; the verifier releases or deletes each message right after. */
const VISIBILITY_SECONDS = 10

export function createSqsVerifier(options: ResolvedSqsOptions, context: PluginContext): Verifier {
  return { verify: (expected) => verify(options, context, expected) }
}

async function verify(
  options: ResolvedSqsOptions,
  context: PluginContext,
  expected: readonly ExpectedRow[],
): Promise<VerificationReport> {
  const client = createClient(options)
  const errors = new ErrorCounts()
  const decode = createDecoder(options, context)
  const expectedSeq = new Map<number, number>()
  for (const row of expected) expectedSeq.set(row.key, row.seq)
  const problems = new Map<number, string>()
  const deadline = Date.now() + millis(options.verifyTimeout)
  let leftovers = 0
  let deliveredCopies = 0
  try {
    for (const QueueUrl of await queueUrlsOf(client, options, 'verifier')) {
      let quietRounds = 0
      while (Date.now() < deadline) {
        const { Messages = [] } = await withRetries(
          () =>
            client.send(
              new ReceiveMessageCommand({
                QueueUrl,
                MaxNumberOfMessages: 10,
                WaitTimeSeconds: 1,
                VisibilityTimeout: VISIBILITY_SECONDS,
                MessageSystemAttributeNames: ['ApproximateReceiveCount'],
                MessageAttributeNames: [MARKER_ATTRIBUTE, KEY_ATTRIBUTE],
              }),
            ),
          options.retries,
          errors,
        )
        const mine: { Id: string; ReceiptHandle: string }[] = []
        const release: { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[] = []
        Messages.forEach((message, i) => {
          const record = decode(message)
          const handle = message.ReceiptHandle ?? ''
          if (!record || !expectedSeq.has(record.key)) {
            release.push({ Id: String(i), ReceiptHandle: handle, VisibilityTimeout: 0 })
            return
          }
          mine.push({ Id: String(i), ReceiptHandle: handle })
          // A copy of a message the sink observed (its delete failed, or its visibility timeout
          // ended before the delete): delivered, so not missing; SQS would deliver it again.
          if (context.observed?.(record.seq) === true && !record.corrupt) {
            deliveredCopies++
            return
          }
          leftovers++
          const last = expectedSeq.get(record.key)!
          const detail =
            record.seq === last
              ? `missing: the key's last change, seq ${record.seq}, is still in the queue`
              : `content: change seq ${record.seq} (the key's last is ${last}) is still in the queue`
          const why = record.corrupt ? `${detail}, and ${record.corrupt}` : detail
          if (!problems.has(record.key) || record.seq === last) problems.set(record.key, why)
        })
        if (release.length > 0) {
          await client
            .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: release }))
            .catch(() => {})
        }
        if (mine.length > 0) {
          await client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: mine })).catch(() => {})
          quietRounds = 0
          continue
        }
        if (++quietRounds < 2) continue
        const { Attributes = {} } = await client.send(
          new GetQueueAttributesCommand({
            QueueUrl,
            AttributeNames: ['ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
          }),
        )
        const inFlight =
          Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
          Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
        // Messages in flight may be another verifier's, or this run's still held by a receiver: wait them out.
        if (inFlight === 0 || Messages.length > 0) break
      }
    }
    if (Date.now() >= deadline) {
      context.log(
        `sqs verifier ${context.shard}: messages were still in flight after ${options.verifyTimeout} (verifyTimeout); keys among them are not reported`,
      )
    }
  } finally {
    client.destroy()
  }
  if (deliveredCopies > 0) {
    context.log(
      `sqs verifier ${context.shard}: ${deliveredCopies} messages of this run were still in the queue though the sink had observed them (a delete failed or a visibility timeout ended first: SQS would deliver them again); deleted them, not reported as missing`,
    )
  }
  if (leftovers > 0) {
    context.log(`sqs verifier ${context.shard}: ${leftovers} messages of this run were left in the queue`)
  }
  const mismatches: Mismatch[] = []
  for (const [key, detail] of problems) {
    if (mismatches.length >= MAX_MISMATCHES) break
    mismatches.push({ key, problem: detail.startsWith('missing') ? 'missing' : 'content', detail })
  }
  return { checked: expected.length, mismatched: problems.size, mismatches }
}
