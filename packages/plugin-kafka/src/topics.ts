/**
 * Main-thread preparation: the topic, created with the configured partitions
 * and replication factor when missing. Teardown removes only what this run
 * made: the topic when `deleteTopic` is set. (The sinks and the verifier read
 * by assignment and make no consumer groups.)
 */
import { type CleanContext, ConfigError, type Preparation, type RunContext, type Slot } from '@cdcb/core'
import { Admin, ConfigResourceTypes } from '@platformatic/kafka'
import { causeOf, clientOptions, connectWithin } from './client.js'
import type { ResolvedKafkaOptions } from './options.js'
import { describeLeft, OWNERS_TOPIC, ownerOf, recordOwner, sweepDeadTopics } from './owners.js'

export function groupIdFor(options: ResolvedKafkaOptions, runId: string): string {
  return `${options.groupPrefix}-${runId}`
}

export async function prepareKafka(
  slot: Slot,
  options: ResolvedKafkaOptions,
  context: RunContext,
): Promise<Preparation | undefined> {
  // The verifier only reads, after the run: nothing to make for it.
  if (slot === 'reporter' || slot === 'verify') return undefined
  if (context.runShard && context.runShard.count > 1 && options.deleteTopic) {
    throw new ConfigError(
      `${slot}.options.deleteTopic: the first shard of a run (--shard) to finish would delete the topic the other shards still use — delete it after the run`,
    )
  }
  if (slot === 'source' && options.topics) {
    throw new ConfigError('source.options.topics: the source writes one topic; use "topic"')
  }
  const admin = new Admin(clientOptions(options))
  try {
    await connectWithin(admin, options, 'admin')
  } catch (error) {
    await admin.close().catch(() => {})
    throw error
  }
  const created: string[] = []
  const record = (topic: string, id: string | undefined) =>
    recordOwner(options, admin, topic, ownerOf(context.runId, id)).catch((error: unknown) =>
      context.log(
        `kafka: could not record topic ${topic} in ${OWNERS_TOPIC} (${causeOf(error)}); if this run is killed before its end, delete the topic by hand`,
      ),
    )
  try {
    const topics = slot === 'sink' ? (options.topics ?? [options.topic]) : [options.topic]
    // Topics of runs killed before their teardown go first; a live run's topic is not this run's to share.
    const { left } = await sweepDeadTopics(options, admin, context.runId, (line, kind) =>
      context.log(line, kind),
    ).catch((error: unknown) => {
      // A cluster whose ACLs hide cdcb-owners still runs; the user is told what was not looked for.
      context.log(
        `kafka: could not read ${OWNERS_TOPIC} to look for topics of killed runs (${causeOf(error)}); cdcb clean does it on demand`,
      )
      return { left: [] }
    })
    const existing = new Set(await admin.listTopics())
    for (const topic of topics) {
      const owner = left.find((o) => o.topic === topic)
      if (owner?.owner.state === 'live') {
        throw new ConfigError(
          `${slot}.options.topic${slot === 'sink' && options.topics ? 's' : ''}: topic "${topic}" at ${options.brokers.join(',')} belongs to cdcb run ${owner.run}, which is still running (${owner.owner.why}) and deletes it when it ends (deleteTopic); give this run another topic name, or wait until that run ends`,
        )
      }
      if (existing.has(topic)) {
        if (slot === 'source' && options.partitions !== undefined)
          await notePartitions(admin, topic, options, context)
        continue
      }
      if (!options.createTopic) {
        if (slot === 'sink') continue // the pipeline may create it; the sink reads it from its beginning
        throw new Error(
          `${slot}.options.topic: topic "${topic}" does not exist at ${options.brokers.join(',')} and createTopic is false — create it first, or set createTopic: true (or name a topic that exists)`,
        )
      }
      if (context.runShard && context.runShard.count > 1) {
        // Each shard prepares on its own: two would race to create it, and a deleteTopic by the first out would pull it from under the rest.
        throw new ConfigError(
          `${slot}.options.topic: topic "${topic}" does not exist, and the shards of a run (--shard) cannot create it together — create it before the shards start`,
        )
      }
      // Recorded before it exists, so a run killed right after creating it still left a record.
      if (options.deleteTopic) await record(topic, undefined)
      await admin
        .createTopics({
          topics: [topic],
          partitions: options.partitions ?? -1,
          replicas: options.replicationFactor ?? -1,
          configs: [{ name: 'message.timestamp.type', value: options.timestampType }],
        })
        .catch(async (error: unknown) => {
          // Nothing was made: the record written above would name a topic that never existed.
          if (options.deleteTopic) await recordOwner(options, admin, topic, undefined).catch(() => {})
          throw topicRefused(error, topic, slot, options)
        })
      created.push(topic)
      const id = await leadersOf(admin, topic)
      if (options.deleteTopic) await record(topic, id)
      context.log(
        `kafka: created topic ${topic}${options.partitions ? ` (${options.partitions} partitions)` : ''}`,
      )
    }
  } catch (error) {
    await admin.close()
    throw error
  }
  await admin.close()
  if (!(options.deleteTopic && created.length > 0)) return undefined
  return {
    async teardown() {
      const cleanup = new Admin(clientOptions(options))
      try {
        await connectWithin(cleanup, options, 'admin')
        await cleanup.deleteTopics({ topics: created })
        // A record left here names a topic that is gone: the next sweep forgets it without a word.
        for (const topic of created) await recordOwner(options, cleanup, topic, undefined).catch(() => {})
      } catch (error) {
        // Say what is left and what removes it: the owner record written at setup lets a later sweep find it.
        if (error instanceof Error)
          error.message = `${error.message}; left behind: topic${created.length > 1 ? 's' : ''} ${created.join(', ')} at ${options.brokers.join(',')} — cdcb clean --config <this config>, or its next run, deletes ${created.length > 1 ? 'them' : 'it'} once the broker answers`
        throw error
      } finally {
        await cleanup.close()
      }
    },
  }
}

/**
 * Why the cluster refused to create a topic, in the broker's own words (the
 * client says only "Creating topics failed."); an option the cluster cannot
 * honour is bad input naming the field (exit 2), anything else a server failure.
 */
function topicRefused(error: unknown, topic: string, slot: Slot, options: ResolvedKafkaOptions): Error {
  let inner = error as { errors?: unknown[]; apiId?: string; serverErrorMessage?: string } | undefined
  for (let depth = 0; depth < 6 && inner?.errors?.length; depth++) inner = inner.errors.at(-1) as typeof inner
  const said = inner?.serverErrorMessage || causeOf(error)
  const at = `${options.brokers.join(',')}`
  if (inner?.apiId === 'INVALID_REPLICATION_FACTOR')
    return new ConfigError(
      `${slot}.options.replicationFactor: ${options.replicationFactor} cannot be met at ${at} (${said}) — set it to at most the number of brokers, or leave it out for the cluster's default`,
    )
  if (inner?.apiId === 'INVALID_PARTITIONS')
    return new ConfigError(
      `${slot}.options.partitions: ${options.partitions} refused at ${at} (${said}) — give a count the cluster accepts`,
    )
  return new Error(`cannot create topic "${topic}" at ${at}: ${said}`)
}

async function notePartitions(
  admin: Admin,
  topic: string,
  options: ResolvedKafkaOptions,
  context: RunContext,
): Promise<void> {
  const metadata = await admin.metadata({ topics: [topic] })
  const count = metadata.topics.get(topic)?.partitionsCount
  if (count !== options.partitions) {
    context.log(
      `kafka: topic ${topic} already exists with ${count} partitions; the partitions option (${options.partitions}) applies only to topics cdcb creates`,
    )
  }
}

/**
 * Waits (at most 10 s) until every partition of a new topic has a leader, so
 * the first writes do not fail; returns the topic's id.
 */
async function leadersOf(admin: Admin, topic: string): Promise<string | undefined> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined)
    const meta = metadata?.topics.get(topic)
    const partitions = meta?.partitions
    if (partitions && partitions.length > 0 && partitions.every((p) => p && p.leader >= 0)) return meta.id
    if (Date.now() > deadline) return meta?.id
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The topic's `message.timestamp.type`, or undefined when it cannot be read (ACLs). */
export async function timestampTypeOf(admin: Admin, topic: string): Promise<string | undefined> {
  try {
    const described = await admin.describeConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configurationKeys: ['message.timestamp.type'],
        },
      ],
    })
    return described[0]?.configs.find((c) => c.name === 'message.timestamp.type')?.value ?? undefined
  } catch {
    return undefined
  }
}

// `cdcb clean` calls each slot; a config names one cluster in several (source, sink, verifier), and one look each is enough.
const cleaned = new Set<string>()

/**
 * `cdcb clean`: the topics dead runs created to delete after the run
 * (`deleteTopic`) and never did, deleted unless a dry run; topics of runs that
 * may be alive are named and left.
 */
export async function cleanKafka(
  slot: Slot,
  options: ResolvedKafkaOptions,
  context: CleanContext,
): Promise<void> {
  const where = options.brokers.join(',')
  if (slot === 'reporter' || slot === 'pipeline' || cleaned.has(where)) return
  cleaned.add(where)
  const admin = new Admin(clientOptions(options))
  try {
    await connectWithin(admin, options, 'admin')
    const { left, dead } = await sweepDeadTopics(options, admin, undefined, context.log, context.dryRun)
    if (dead === 0)
      context.log(
        `kafka: at ${where}, no topic left by a cdcb run that is gone (cdcb records in ${OWNERS_TOPIC} the topics it creates with deleteTopic; topics it keeps, and those a connector creates, are not its to delete)`,
      )
    for (const entry of left) context.log(describeLeft(options, entry))
  } finally {
    await admin.close().catch(() => {})
  }
}
