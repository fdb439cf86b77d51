/**
 * Main-thread preparation: the run's queues (one, or all of `queues`), each
 * created when missing and tagged `cdcb:owned` with the run id. Teardown
 * deletes only queues this run created (checked against their tag again, so a
 * queue someone made meanwhile under the same name is never touched), unless
 * `keepQueue`. A queue that already exists is used as it is and left in
 * place: a pipeline under test (a bridge that reads it, a producer of its own)
 * owns it.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ListQueueTagsCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs'
import { ConfigError, type Preparation, type RunContext, type Slot } from '@cdcb/core'
import { createClient, describeEndpoint, ErrorCounts, queueExists, withRetries } from './client.js'
import { isFifo, queueNames, type ResolvedSqsOptions } from './options.js'

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
  const client = createClient(options)
  const created: { name: string; url: string }[] = []
  try {
    for (const name of queueNames(options)) {
      const url = await prepareQueue(client, slot, name, options, context)
      if (url) created.push({ name, url })
    }
  } catch (error) {
    // A later queue failed: the ones this run already made are not left behind.
    if (!options.keepQueue) await deleteOwned(created, options, context)
    throw error
  } finally {
    client.destroy()
  }
  if (options.keepQueue || created.length === 0) return undefined
  return { teardown: () => deleteOwned(created, options, context) }
}

/** Creates `name` when the source needs it; returns its URL when this run created it. */
async function prepareQueue(
  client: SQSClient,
  slot: Slot,
  name: string,
  options: ResolvedSqsOptions,
  context: RunContext,
): Promise<string | undefined> {
  const existing = await queueExists(client, options, name)
  if (existing) {
    if (slot === 'source')
      context.log(
        `sqs: writing into existing queue ${name}, which this run did not create; it is left in place`,
      )
    return undefined
  }
  if (slot === 'sink') {
    if (options.createQueue) return undefined // the source's prepare (or the pipeline) creates it
    throw new ConfigError(`sink: queue "${name}" does not exist at ${describeEndpoint(options)}`)
  }
  if (!options.createQueue) {
    throw new ConfigError(
      `source: queue "${name}" does not exist at ${describeEndpoint(options)} and createQueue is false`,
    )
  }
  const attributes: Record<string, string> = {}
  if (isFifo(options)) {
    attributes.FifoQueue = 'true'
    attributes.ContentBasedDeduplication = String(options.contentBasedDeduplication)
  }
  const { QueueUrl } = await withRetries(
    () =>
      client.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: attributes,
          tags: { [OWNED_TAG]: `run ${context.runId}` },
        }),
      ),
    options.retries,
    new ErrorCounts(),
  )
  context.log(`sqs: created queue ${name}${options.keepQueue ? ' (kept after the run: keepQueue)' : ''}`)
  return QueueUrl
}

/** Deletes the queues this run created, each only while it still carries this run's tag. */
async function deleteOwned(
  queues: readonly { name: string; url: string }[],
  options: ResolvedSqsOptions,
  context: RunContext,
): Promise<void> {
  if (queues.length === 0) return
  const cleanup = createClient(options)
  try {
    for (const { name, url } of queues) {
      const { Tags } = await cleanup.send(new ListQueueTagsCommand({ QueueUrl: url }))
      if (Tags?.[OWNED_TAG] !== `run ${context.runId}`) {
        context.log(`sqs: queue ${name} no longer carries this run's tag; left in place`)
        continue
      }
      await cleanup.send(new DeleteQueueCommand({ QueueUrl: url }))
    }
  } finally {
    cleanup.destroy()
  }
}
