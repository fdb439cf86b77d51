import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs'
import { checkPlugin } from '@cdcb/core/testing'
import { describe, expect, it } from 'vitest'
import { sqs } from '../src/index.js'
import { endpoint, queuesNamed, runSqs, testClient, uniqueQueue } from './helpers.js'

describe.skipIf(!endpoint)('sqs source → ElasticMQ → sqs sink', () => {
  it('standard queue: every operation delivered once, counted per kind, in batches; the queue is deleted after', async () => {
    const queue = uniqueQueue('counts')
    const { result, sinkCounts, logs } = await runSqs({
      source: { queue, credentials: { accessKeyId: 'cdcb', secretAccessKey: 'cdcb' } },
      load: { rate: 300, duration: '3s', keys: 2000, drainTimeout: '30s', seed: 3 },
    })
    const { events } = result
    expect(events.errors, logs.join('\n')).toBe(0)
    expect(events.sent).toBe(900)
    expect(events.acked).toBe(900)
    expect(events.observed).toBe(900)
    expect(events.lost).toBe(0)
    expect(events.duplicates).toBe(0)
    expect(events.corrupt).toBe(0)
    const written = result.plugins.source
    expect(written.inserts! + written.updates! + written.deletes!).toBe(900)
    expect(written.messages).toBe(900)
    expect(written.deletes).toBeGreaterThan(0)
    // Batched: SendMessageBatch carries up to 10 messages, so fewer calls than messages, never fewer than a tenth.
    expect(written.calls).toBeGreaterThanOrEqual(90)
    expect(written.calls).toBeLessThan(900)
    expect(sinkCounts).toMatchObject({
      insert: written.inserts,
      update: written.updates,
      delete: written.deletes,
      corrupt: 0,
      foreign: 0,
      redeliveries: 0,
    })
    expect(result.plugins.sink?.deleted).toBe(900)
    expect(result.verification?.checked).toBeGreaterThan(500)
    expect(result.verification?.mismatched).toBe(0)
    expect(result.timeBase).toMatch(/SentTimestamp/)
    expect(result.metrics.e2e.count).toBeGreaterThanOrEqual(899)
    // The options recorded are the user's: the SDK's `$source` mark on credentials stays out (cdcb compare showed it).
    const recorded = result.config?.source.options as { credentials?: object }
    expect(Object.keys(recorded.credentials ?? {})).toEqual(['accessKeyId', 'secretAccessKey'])
    expect(await queuesNamed(queue)).toEqual([])
  })

  it('FIFO queue: each key in order across workers and receivers', async () => {
    const queue = uniqueQueue('fifo', true)
    const { result, logs } = await runSqs({
      source: { queue },
      sink: { receivers: 4 },
      // Few keys at a high rate: many changes of one key are in the queue at once.
      load: { rate: 300, duration: '3s', keys: 20, drainTimeout: '30s', seed: 5 },
    })
    const { events } = result
    expect(events.errors, logs.join('\n')).toBe(0)
    expect(events.observed).toBe(900)
    expect(events.lost).toBe(0)
    expect(events.duplicates).toBe(0)
    expect(events.outOfOrder).toBe(0)
    expect(result.verification?.mismatched).toBe(0)
    expect(await queuesNamed(queue)).toEqual([])
  })

  it('FIFO queue: a message sent again with the deduplication id cdcb gave it is dropped by SQS', async () => {
    const queue = uniqueQueue('dedup', true)
    const runId = `dd${Date.now().toString(36)}`
    const { result } = await runSqs({
      runId,
      source: { queue, keepQueue: true },
      load: { rate: 100, duration: '1s', keys: 10, drainTimeout: '20s', seed: 1 },
      verify: false,
    })
    expect(result.events.observed).toBe(100)
    const client = testClient()
    try {
      const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queue }))
      // As a retried SendMessageBatch would: seq 7's id again, and a fresh id as the control.
      for (const id of [`${runId}-7`, `${runId}-control`]) {
        await client.send(
          new SendMessageCommand({
            QueueUrl,
            MessageBody: id,
            MessageGroupId: '7',
            MessageDeduplicationId: id,
          }),
        )
      }
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      )
      expect(Messages.map((m) => m.Body)).toEqual([`${runId}-control`])
      await client.send(new DeleteQueueCommand({ QueueUrl }))
    } finally {
      client.destroy()
    }
  })

  it('a receiver that stops deleting sees every message again after the visibility timeout, counted as duplicates', async () => {
    const queue = uniqueQueue('redeliver')
    const { result, sinkCounts } = await runSqs({
      source: { queue },
      sink: { visibilityTimeout: '1s', waitTime: '1s', testing: { sinkNeverDeletes: true } },
      load: { rate: 100, duration: '2s', keys: 1000, drainTimeout: '4s', seed: 2 },
      verify: false,
    })
    expect(result.events.observed).toBe(200)
    expect(result.events.lost).toBe(0)
    expect(sinkCounts.redeliveries).toBeGreaterThan(0)
    // A redelivery is a duplicate, never a new event: core counted exactly the sinks' redeliveries.
    expect(result.events.duplicates).toBe(sinkCounts.redeliveries)
    expect(result.plugins.sink?.deleted).toBe(0)
    expect(await queuesNamed(queue)).toEqual([])
  })

  it('a delete that fails (visibility timeout 0) is counted, and the verifier does not call its delivered message missing', async () => {
    const queue = uniqueQueue('vis0')
    const { result, sinkCounts, logs } = await runSqs({
      source: { queue },
      sink: { visibilityTimeout: '0s', waitTime: '1s' },
      load: { rate: 100, duration: '3s', keys: 1000, drainTimeout: '20s', seed: 7 },
      workers: 1,
    })
    const sink = result.plugins.sink!
    // ElasticMQ refuses the deletes of receipts whose visibility ended: counted in the stats and the sink's line.
    expect(sink.deleteFailed, JSON.stringify(sink)).toBeGreaterThan(0)
    expect(sink['errors.ReceiptHandleIsInvalid']).toBe(sink.deleteFailed)
    expect(sinkCounts.deleteFailed).toBe(sink.deleteFailed)
    // …and in the result's errors, which the summary prints: as many as failed, none of them a failed write.
    const failed = result.errors.find((e) => e.kind === 'DeleteFailed.ReceiptHandleIsInvalid')
    expect(failed?.count, JSON.stringify(result.errors)).toBe(sink.deleteFailed)
    expect(failed?.lastMessage).toMatch(
      /^sqs sink: DeleteMessageBatch did not delete .*counted as a duplicate$/,
    )
    expect(result.events.errors).toBe(0)
    expect(result.events.observed).toBe(300)
    expect(result.events.lost).toBe(0)
    // Copies of delivered messages left in the queue are not "missing".
    expect(result.verification?.mismatches, logs.join('\n')).toEqual([])
    expect(result.verification?.mismatched).toBe(0)
    expect(await queuesNamed(queue)).toEqual([])
  })

  it('the verifier reports messages of the run left in the queue, by key', async () => {
    const queue = uniqueQueue('leftover')
    const ignored = [10, 50, 90]
    const { result } = await runSqs({
      source: { queue },
      // A short visibility timeout: the sink's receives hide the left-behind messages from the verifier only briefly.
      sink: { visibilityTimeout: '2s', testing: { sinkIgnoreSeqs: ignored } },
      load: { rate: 100, duration: '1s', keys: 1000, drainTimeout: '3s', seed: 4 },
      workers: 1,
    })
    expect(result.events.lost).toBe(3)
    expect(result.verification?.mismatched).toBe(3)
    // Each left-behind change is reported for its key: missing when it is the key's last, content otherwise.
    const details = result.verification?.mismatches.map((m) => `${m.problem}: ${m.detail}`) ?? []
    for (const seq of ignored) {
      expect(details.filter((d) => d.includes(`seq ${seq}`))).toEqual([
        expect.stringMatching(
          new RegExp(
            `^(missing: missing: the key's last change, seq ${seq}, is still in the queue|content: content: change seq ${seq} \\(the key's last is \\d+\\) is still in the queue)$`,
          ),
        ),
      ])
    }
  })

  it('messages up to the size limit go one per call; a payload above it is refused before anything is written', async () => {
    const queue = uniqueQueue('large')
    const { result } = await runSqs({
      source: { queue },
      load: { rate: 20, duration: '1s', keys: 1000, payloadSize: 200_000, drainTimeout: '20s' },
      verify: false,
    })
    expect(result.events.observed).toBe(20)
    expect(result.events.corrupt).toBe(0)
    // No two 200 KB messages fit one 256 KB call; a small delete may join one.
    const written = result.plugins.source!
    expect(written.calls).toBeGreaterThanOrEqual(written.inserts! + written.updates!)
    expect(written.calls).toBeLessThanOrEqual(20)
    // A bad option is a config error (exit 2), one line, whichever worker met it first (no "worker N:").
    const tooLarge = uniqueQueue('toolarge')
    for (let attempt = 0; attempt < 3; attempt++) {
      const error = await runSqs({
        source: { queue: tooLarge },
        load: { rate: 10, duration: '1s', payloadSize: 300_000 },
        verify: false,
        workers: 4,
      }).then(
        () => undefined,
        (e: unknown) => e as { exitCode?: number; message: string },
      )
      expect(error?.message).toMatch(
        /load\.payloadSize: 300000 bytes make SQS messages of up to \d+ bytes, above source\.options\.maxBatchBytes \(262144\); use a payloadSize of at most \d+, or raise source\.options\.maxBatchBytes to 1048576/,
      )
      expect(error?.message).not.toMatch(/^worker|\n/)
      expect(error?.exitCode, error?.message).toBe(2)
    }
    expect(await queuesNamed(tooLarge)).toEqual([])
  })

  it('ElasticMQ 1.7.1 takes 1 MB messages with maxBatchBytes 1048576; without it they are refused up front, naming it', async () => {
    const queue = uniqueQueue('mib')
    const { result } = await runSqs({
      source: { queue, maxBatchBytes: 1_048_576 },
      load: { rate: 3, duration: '1s', keys: 100, payloadSize: 1_000_000, drainTimeout: '20s' },
      verify: false,
      workers: 1,
    })
    expect(result.events.errors, JSON.stringify(result.errors)).toBe(0)
    expect(result.events.observed).toBe(3)
    expect(result.events.corrupt).toBe(0)
    expect(result.plugins.source?.bytes).toBeGreaterThan(2_000_000)
    // core's largest payloadSize (1,000,000) fits SQS's 1 MiB, so the fix named is the option.
    const error = await runSqs({
      source: { queue: uniqueQueue('overmib') },
      load: { rate: 1, duration: '1s', payloadSize: 1_000_000 },
      verify: false,
      workers: 1,
    }).then(
      () => undefined,
      (e: unknown) => e as { exitCode?: number; message: string },
    )
    expect(error?.message).toMatch(
      /load\.payloadSize: 1000000 bytes make SQS messages of up to \d+ bytes, above source\.options\.maxBatchBytes \(262144\); use a payloadSize of at most \d+, or raise source\.options\.maxBatchBytes to 1048576 \(what AWS SQS and ElasticMQ 1\.7\.1 accept\)$/,
    )
    expect(error?.exitCode).toBe(2)
  })

  it('uses a queue it did not create and leaves it in place; refuses a missing one with createQueue false', async () => {
    const queue = uniqueQueue('theirs')
    const client = testClient()
    try {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queue }))
      const { result, logs } = await runSqs({
        source: { queue },
        load: { rate: 50, duration: '1s', keys: 100, drainTimeout: '20s' },
      })
      expect(result.events.observed).toBe(50)
      expect(logs).toContain(
        `sqs: writing into existing queue ${queue}, which this run did not create; it is left in place`,
      )
      expect(await queuesNamed(queue)).toEqual([queue])
      await client.send(new DeleteQueueCommand({ QueueUrl }))
    } finally {
      client.destroy()
    }
    const missing = uniqueQueue('missing')
    await expect(
      runSqs({
        source: { queue: missing, createQueue: false },
        load: { rate: 10, duration: '1s' },
        verify: false,
      }),
    ).rejects.toThrow(
      `source "sqs" failed to prepare: queue "${missing}" does not exist at ${endpoint} and createQueue is false`,
    )
  })

  it('an unreachable endpoint fails the run with one line naming it', async () => {
    await expect(
      runSqs({
        source: { queue: uniqueQueue('nowhere'), endpoint: 'http://127.0.0.1:1', connectTimeout: '2s' },
        load: { rate: 10, duration: '1s' },
        verify: false,
      }),
    ).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:1/)
  })

  it('passes core conformance on a FIFO queue', async () => {
    const queue = uniqueQueue('conformance', true)
    const ref = sqs({ endpoint, queue })
    const report = await checkPlugin({ source: ref, sink: ref, verify: ref })
    expect(report.failures).toEqual([])
  })
})
