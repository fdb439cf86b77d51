/**
 * Main-thread preparation: the run's queues (one, or all of `queues`), each
 * created when missing and tagged `cdcb:owned` with the run id. Teardown
 * deletes only queues this run created (checked against their tag again, so a
 * queue someone made meanwhile under the same name is never touched), unless
 * `keepQueue`. A queue that already exists is used as it is and left in
 * place: a pipeline under test (a bridge that reads it, a producer of its own)
 * owns it.
 *
 * Runs killed outright (kill -9, a lost machine) never reach teardown. Each
 * queue cdcb creates therefore also carries `cdcb:process` = `<host> <pid>` of
 * the cdcb that made it. When a run finds one of its queue names taken by a
 * queue of another cdcb run whose process on this host is gone, it says what
 * that queue held and deletes it before creating its own; `cdcb clean` does the
 * same for every queue under the config's names. A queue whose run may still
 * live (its process runs, or it ran on another host) is never touched, and a
 * run whose queue belongs to such a run (live on this host, or on another host
 * where its state cannot be known) refuses to start (ConfigError, exit 2)
 * rather than write into it.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs'
import {
  CdcbError,
  type CleanContext,
  ConfigError,
  describeError,
  type LogKind,
  ownerStateOf,
  type Preparation,
  processOwner,
  type RunContext,
  type Slot,
} from '@cdcb/core'
import { createClient, describeEndpoint, ErrorCounts, queueExists, withRetries } from './client.js'
import { isFifo, millis, queueNames, type ResolvedSqsOptions } from './options.js'

export const OWNED_TAG = 'cdcb:owned'
/** `<host> <pid>` of the cdcb process that created the queue: how a later run tells a dead run's queue. */
export const PROCESS_TAG = 'cdcb:process'

/** Whether the run that tagged a queue may still be running; `why` says how cdcb knows, for messages. */
export type RunState =
  | { readonly state: 'not-cdcb' }
  | { readonly state: 'dead' | 'live' | 'unknown'; readonly runId: string; readonly why: string }

/** Reads a queue's cdcb tags: `dead` only when its process ran on this host and is gone. */
export function runStateOf(tags: Record<string, string> | undefined): RunState {
  const owned = /^run (\S+)$/.exec(tags?.[OWNED_TAG] ?? '')
  if (!owned) return { state: 'not-cdcb' }
  const runId = owned[1]!
  const maker = tags?.[PROCESS_TAG]
  if (!maker || !/^\S+ \d+$/.test(maker.trim()))
    return { state: 'unknown', runId, why: 'it carries no cdcb:process tag' }
  return { runId, ...ownerStateOf(maker) }
}

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
  let existing = await queueExists(client, options, name)
  if (existing && slot === 'source') {
    // Another live run's queue: writing into it would mix the two runs (each takes the other's
    // messages as foreign, the first to end deletes the queue under the other).
    const { Tags } = await client.send(new ListQueueTagsCommand({ QueueUrl: existing }))
    const run = runStateOf(Tags)
    if (run.state === 'live' && run.runId !== context.runId) {
      throw new ConfigError(
        `source.options.queue: queue "${name}" at ${describeEndpoint(options)} is in use by cdcb run ${run.runId} (${run.why}); give this run another queue name (options.queue, SQS_QUEUE in the examples) or wait until that run ends`,
      )
    }
    // A run on another host (or one that left no process tag) may be alive: nothing here can tell.
    if (run.state === 'unknown' && run.runId !== context.runId) {
      throw new ConfigError(
        `source.options.queue: queue "${name}" at ${describeEndpoint(options)} belongs to cdcb run ${run.runId}, which may still be running (${run.why}; this host cannot tell); give this run another queue name (options.queue, SQS_QUEUE in the examples), or delete that queue once you know its run has ended`,
      )
    }
    if (await sweepIfDead(client, name, existing, context.runId, false, context.log)) existing = undefined
  }
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
          tags: { [OWNED_TAG]: `run ${context.runId}`, [PROCESS_TAG]: processOwner() },
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

/**
 * Deletes the queue at `url` when a dead cdcb run (not `runId`) owns it, after
 * saying what it held; says why it leaves a queue of a run that may live. With
 * `dryRun` only says so. Returns whether the queue is gone (or would be).
 */
async function sweepIfDead(
  client: SQSClient,
  name: string,
  url: string,
  runId: string | undefined,
  dryRun: boolean,
  log: (message: string, kind?: LogKind) => void,
): Promise<boolean> {
  const { Tags } = await client.send(new ListQueueTagsCommand({ QueueUrl: url }))
  const run = runStateOf(Tags)
  if (run.state === 'not-cdcb' || run.runId === runId) return false
  if (run.state !== 'dead') {
    log(
      `sqs: queue ${name} belongs to cdcb run ${run.runId}, which may still run (${run.why}); left in place`,
    )
    return false
  }
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  )
  const held =
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  const what = `sqs: queue ${name} was left by cdcb run ${run.runId} (${run.why}), holding about ${held} messages`
  if (dryRun) {
    log(`${what}; would delete it (--dry-run)`)
    return true
  }
  await client.send(new DeleteQueueCommand({ QueueUrl: url }))
  log(`${what}; deleted it`, 'notice')
  return true
}

/**
 * `cdcb clean`: every queue under the config's queue names (the name itself
 * and `<name>-N`) that a dead cdcb run left is reported and deleted (only
 * reported with `dryRun`); queues of runs that may live are named and left.
 */
export async function cleanSqs(
  slot: Slot,
  options: ResolvedSqsOptions,
  context: CleanContext,
): Promise<void> {
  if (slot !== 'source') return // the sink and verifier name the same queues; the source made them
  const client = createClient(options)
  let found = 0
  try {
    const stems = new Set(queueNames(options).map((name) => name.replace(/\.fifo$/, '').replace(/-\d+$/, '')))
    // Every queue under the names first, then in name order: ListQueues promises no order.
    const urls = new Map<string, string>()
    for (const stem of stems) {
      let NextToken: string | undefined
      do {
        // Bounded like prepare's first call: a frozen or absent endpoint is one line, not a hang.
        const page = await client.send(
          new ListQueuesCommand({ QueueNamePrefix: stem, NextToken, MaxResults: 1000 }),
          { abortSignal: AbortSignal.timeout(millis(options.connectTimeout)) },
        )
        NextToken = page.NextToken
        for (const url of page.QueueUrls ?? []) urls.set(url.slice(url.lastIndexOf('/') + 1), url)
      } while (NextToken)
    }
    for (const name of [...urls.keys()].sort()) {
      if (await sweepIfDead(client, name, urls.get(name)!, undefined, context.dryRun, context.log)) found++
    }
  } catch (error) {
    if (error instanceof CdcbError) throw error
    const cause =
      (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError'
        ? `no answer within ${options.connectTimeout} (connectTimeout)`
        : describeError(error)
    throw new CdcbError(
      `sqs clean: cannot reach ${describeEndpoint(options)}: ${cause} — check the endpoint option and that SQS runs`,
      3,
    )
  } finally {
    client.destroy()
  }
  if (found === 0)
    context.log(`sqs: no queue left by a dead cdcb run under ${queueNames(options).join(', ')}`)
}
