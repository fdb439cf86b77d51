/**
 * Main-thread preparation: the queue, created when missing and tagged
 * `cdcb:owned` with the run id. Teardown deletes only a queue this run created
 * (checked against its tag again, so a queue someone made meanwhile under the
 * same name is never touched), unless `keepQueue`. A queue that already
 * exists is used as it is and left in place: a pipeline under test (a bridge
 * that reads it, a producer of its own) owns it.
 */
import { CreateQueueCommand, DeleteQueueCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs'
import { ConfigError, type Preparation, type RunContext, type Slot } from '@cdcb/core'
import { createClient, describeEndpoint, ErrorCounts, queueExists, withRetries } from './client.js'
import { isFifo, type ResolvedSqsOptions } from './options.js'

export const OWNED_TAG = 'cdcb:owned'

export async function prepareSqs(
  slot: Slot,
  options: ResolvedSqsOptions,
  context: RunContext,
): Promise<Preparation | undefined> {
  if (slot === 'reporter' || slot === 'verify') return undefined
  if (slot === 'sink' && options.testing?.skipSeqs) {
    throw new ConfigError(
      'sink.options.testing.skipSeqs: skipping seqs is a source fault; set it on the source',
    )
  }
  if (context.runShard && context.runShard.count > 1) {
    // The filter by shard needs every shard's sink to see every event; SQS gives each message to one receiver.
    throw new ConfigError(
      `${slot}: SQS hands each message to one receiver, so the sinks of a run's shards (--shard) would take each other's events — run an SQS benchmark in one process`,
    )
  }
  const client = createClient(options)
  try {
    const existing = await queueExists(client, options)
    if (existing) {
      if (slot === 'source')
        context.log(
          `sqs: writing into existing queue ${options.queue}, which this run did not create; it is left in place`,
        )
      return undefined
    }
    if (slot === 'sink') {
      if (options.createQueue) return undefined // the source's prepare (or the pipeline) creates it
      throw new ConfigError(`sink: queue "${options.queue}" does not exist at ${describeEndpoint(options)}`)
    }
    if (!options.createQueue) {
      throw new ConfigError(
        `source: queue "${options.queue}" does not exist at ${describeEndpoint(options)} and createQueue is false`,
      )
    }
    const attributes: Record<string, string> = {}
    if (isFifo(options)) {
      attributes.FifoQueue = 'true'
      attributes.ContentBasedDeduplication = String(options.contentBasedDeduplication)
    }
    const errors = new ErrorCounts()
    const { QueueUrl } = await withRetries(
      () =>
        client.send(
          new CreateQueueCommand({
            QueueName: options.queue,
            Attributes: attributes,
            tags: { [OWNED_TAG]: `run ${context.runId}` },
          }),
        ),
      options.retries,
      errors,
    )
    context.log(
      `sqs: created queue ${options.queue}${options.keepQueue ? ' (kept after the run: keepQueue)' : ''}`,
    )
    if (options.keepQueue || !QueueUrl) return undefined
    return {
      async teardown() {
        const cleanup = createClient(options)
        try {
          const { Tags } = await cleanup.send(new ListQueueTagsCommand({ QueueUrl }))
          if (Tags?.[OWNED_TAG] !== `run ${context.runId}`) {
            context.log(`sqs: queue ${options.queue} no longer carries this run's tag; left in place`)
            return
          }
          await cleanup.send(new DeleteQueueCommand({ QueueUrl }))
        } finally {
          cleanup.destroy()
        }
      },
    }
  } finally {
    client.destroy()
  }
}
