/**
 * Main-thread preparation: the topic, created with the configured partitions
 * and replication factor when missing. Teardown removes only what this run
 * made: the topic when `deleteTopic` is set. (The sinks and the verifier read
 * by assignment and make no consumer groups.)
 */
import { ConfigError, type Preparation, type RunContext, type Slot } from '@cdcb/core'
import { Admin, ConfigResourceTypes } from '@platformatic/kafka'
import { clientOptions, connectWithin } from './client.js'
import type { ResolvedKafkaOptions } from './options.js'

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
  try {
    const topics = slot === 'sink' ? (options.topics ?? [options.topic]) : [options.topic]
    const existing = new Set(await admin.listTopics())
    for (const topic of topics) {
      if (existing.has(topic)) {
        if (slot === 'source' && options.partitions !== undefined)
          await notePartitions(admin, topic, options, context)
        continue
      }
      if (!options.createTopic) {
        if (slot === 'sink') continue // the pipeline may create it; the sink reads it from its beginning
        throw new Error(`topic "${topic}" does not exist and createTopic is false`)
      }
      if (context.runShard && context.runShard.count > 1) {
        // Each shard prepares on its own: two would race to create it, and a deleteTopic by the first out would pull it from under the rest.
        throw new ConfigError(
          `${slot}.options.topic: topic "${topic}" does not exist, and the shards of a run (--shard) cannot create it together — create it before the shards start`,
        )
      }
      await admin.createTopics({
        topics: [topic],
        partitions: options.partitions ?? -1,
        replicas: options.replicationFactor ?? -1,
        configs: [{ name: 'message.timestamp.type', value: options.timestampType }],
      })
      created.push(topic)
      await leadersOf(admin, topic)
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
      } finally {
        await cleanup.close()
      }
    },
  }
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

/** Waits (at most 10 s) until every partition of a new topic has a leader, so the first writes do not fail. */
async function leadersOf(admin: Admin, topic: string): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true }).catch(() => undefined)
    const partitions = metadata?.topics.get(topic)?.partitions
    if (partitions && partitions.length > 0 && partitions.every((p) => p && p.leader >= 0)) return
    if (Date.now() > deadline) return
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
