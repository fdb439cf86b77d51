/**
 * Main-thread preparation: the topic, created with the configured partitions
 * and replication factor when missing. Teardown removes only what this run
 * made: the sinks' consumer groups, and the topic when `deleteTopic` is set.
 */
import { ConfigError, type Preparation, type RunContext, type Slot } from '@cdcb/core'
import kafkajs, { type Admin } from 'kafkajs'
import { connectWithin, createKafka } from './client.js'
import type { ResolvedKafkaOptions } from './options.js'

const { ConfigResourceTypes } = kafkajs

export function groupIdFor(options: ResolvedKafkaOptions, runId: string): string {
  return `${options.groupPrefix}-${runId}`
}

/** The one-member consumer group of a worker's sink (see sink.ts). */
export function shardGroupId(options: ResolvedKafkaOptions, runId: string, shard: number): string {
  return `${groupIdFor(options, runId)}-${shard}`
}

export async function prepareKafka(
  slot: Slot,
  options: ResolvedKafkaOptions,
  context: RunContext,
): Promise<Preparation | undefined> {
  // The verifier only reads, after the run: nothing to make for it.
  if (slot === 'reporter' || slot === 'verify') return undefined
  if (slot === 'source' && options.topics) {
    throw new ConfigError('source.options.topics: the source writes one topic; use "topic"')
  }
  const kafka = createKafka(options, (m) => context.log(m))
  const admin = kafka.admin()
  await connectWithin(kafka, options, 'admin', admin)
  const created: string[] = []
  const groups: string[] = []
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
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: options.partitions ?? -1,
            replicationFactor: options.replicationFactor ?? -1,
            configEntries: [{ name: 'message.timestamp.type', value: options.timestampType }],
          },
        ],
      })
      created.push(topic)
      context.log(
        `kafka: created topic ${topic}${options.partitions ? ` (${options.partitions} partitions)` : ''}`,
      )
    }
    // The consumer groups the sinks make (one per worker) are removed after the run.
    if (slot === 'sink') {
      for (let shard = 0; shard < context.shards; shard++)
        groups.push(shardGroupId(options, context.runId, shard))
    }
  } catch (error) {
    await admin.disconnect()
    throw error
  }
  await admin.disconnect()
  if (groups.length === 0 && !(options.deleteTopic && created.length > 0)) return undefined
  return {
    async teardown() {
      const cleanup = kafka.admin()
      await connectWithin(kafka, options, 'admin', cleanup)
      try {
        if (groups.length > 0) await cleanup.deleteGroups(groups).catch(() => {})
        if (options.deleteTopic && created.length > 0) await cleanup.deleteTopics({ topics: created })
      } finally {
        await cleanup.disconnect()
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
  const offsets = await admin.fetchTopicOffsets(topic)
  if (offsets.length !== options.partitions) {
    context.log(
      `kafka: topic ${topic} already exists with ${offsets.length} partitions; the partitions option (${options.partitions}) applies only to topics cdcb creates`,
    )
  }
}

/** The topic's `message.timestamp.type`, or undefined when it cannot be read (ACLs). */
export async function timestampTypeOf(admin: Admin, topic: string): Promise<string | undefined> {
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['message.timestamp.type'] }],
    })
    return described.resources[0]?.configEntries.find((e) => e.configName === 'message.timestamp.type')
      ?.configValue
  } catch {
    return undefined
  }
}

/** Retries an admin call that fails while a new topic's leadership settles (retriable kafkajs errors). */
export async function retrying<T>(call: () => Promise<T>, attempts = 30): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true
      if (!retriable || attempt >= attempts) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}
