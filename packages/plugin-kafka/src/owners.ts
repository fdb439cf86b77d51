/**
 * Which run owns the topics cdcb creates to delete after the run
 * (`deleteTopic`), kept where Kafka lets a client keep notes of its own: a
 * compacted topic, `cdcb-owners`, as Kafka Connect keeps its connectors'
 * configs and Schema Registry its schemas. A topic's own configs cannot hold
 * it (the broker refuses a config name it does not know: INVALID_CONFIG).
 *
 * One record per topic, keyed by its name: the run id, `processOwner()` (host
 * and pid of the cdcb that made it) and the topic's id, so that a topic
 * deleted and made again under the same name by someone else is never taken
 * for the dead run's. The record is written before the topic is created and
 * again with its id after; teardown deletes the topic and then writes a
 * tombstone. A run killed in between (kill -9) leaves its record; the next
 * run on the same cluster, and `cdcb clean`, delete each topic whose cdcb ran
 * on this host and is gone, after saying how many records it held. Topics
 * kept on purpose (`deleteTopic: false`, the default) are never recorded: a
 * killed run leaves them as a finished one does.
 */
import { type LogKind, type OwnerState, ownerStateOf, processOwner } from '@cdcb/core'
import { type Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka'
import { clientOptions } from './client.js'
import type { ResolvedKafkaOptions } from './options.js'
import { PartitionReader } from './reader.js'

export const OWNERS_TOPIC = 'cdcb-owners'

/** What `cdcb-owners` says of one topic. */
export interface TopicOwner {
  readonly run: string
  readonly process: string
  /** Undefined when the run died between recording the topic and creating it. */
  readonly topicId?: string
}

/** A recorded topic with the state of its owner. */
export interface OwnedTopic extends TopicOwner {
  readonly topic: string
  readonly owner: OwnerState
}

/** Writes (or with `undefined`, forgets) the owner record of `topic`, creating `cdcb-owners` when needed. */
export async function recordOwner(
  options: ResolvedKafkaOptions,
  admin: Admin,
  topic: string,
  owner: TopicOwner | undefined,
): Promise<void> {
  if (owner && !(await admin.listTopics()).includes(OWNERS_TOPIC)) {
    await admin
      .createTopics({
        topics: [OWNERS_TOPIC],
        partitions: 1,
        replicas: options.replicationFactor ?? -1,
        configs: [{ name: 'cleanup.policy', value: 'compact' }],
      })
      .catch((error: unknown) => {
        // Another run made it meanwhile.
        if (
          !/already exists/i.test(String((error as Error).message)) &&
          !/TOPIC_ALREADY_EXISTS/.test(deep(error))
        )
          throw error
      })
  }
  const producer = new Producer({ ...clientOptions(options), serializers: stringSerializers, acks: -1 })
  try {
    await producer.send({
      messages: [{ topic: OWNERS_TOPIC, key: topic, ...(owner ? { value: JSON.stringify(owner) } : {}) }],
    })
  } finally {
    await producer.close().catch(() => {})
  }
}

function deep(error: unknown): string {
  const parts: string[] = []
  let current = error as { message?: string; apiId?: string; errors?: unknown[]; cause?: unknown } | undefined
  for (let depth = 0; depth < 6 && current; depth++) {
    parts.push(`${current.message ?? ''} ${current.apiId ?? ''}`)
    current = (current.errors?.at(-1) ?? current.cause) as typeof current
  }
  return parts.join(' ')
}

/** The topics `cdcb-owners` names as owned (the last record of each, tombstones dropped), by name. */
export async function readOwners(options: ResolvedKafkaOptions, admin: Admin): Promise<OwnedTopic[]> {
  if (!(await admin.listTopics()).includes(OWNERS_TOPIC)) return []
  const consumer = new Consumer({ ...clientOptions(options), groupId: `${options.groupPrefix}-owners` })
  const latest = new Map<string, TopicOwner | undefined>()
  try {
    const end = (await consumer.listOffsets({ topics: [OWNERS_TOPIC] })).get(OWNERS_TOPIC)?.[0] ?? 0n
    if (end === 0n) return []
    const reader = new PartitionReader(
      consumer,
      [{ topic: OWNERS_TOPIC, partition: 0, offset: 0n }],
      (record) => {
        const key = record.key?.toString()
        if (!key) return
        try {
          latest.set(
            key,
            record.value?.length ? (JSON.parse(record.value.toString()) as TopicOwner) : undefined,
          )
        } catch {
          latest.set(key, undefined) // not a record cdcb wrote: nothing to act on
        }
      },
      { maxWaitMs: 100, log: () => {}, what: OWNERS_TOPIC },
    )
    await reader.start()
    // Compaction leaves gaps in the offsets: done once the reader's position passes the end.
    const deadline = Date.now() + 30_000
    while ((reader.position(OWNERS_TOPIC, 0) ?? 0n) < end) {
      if (Date.now() > deadline) {
        reader.stop()
        throw new Error(`could not read ${OWNERS_TOPIC} to its end within 30s`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    reader.stop()
  } finally {
    await consumer.close(true).catch(() => {})
  }
  const owned: OwnedTopic[] = []
  for (const [topic, owner] of latest) {
    if (owner && typeof owner.run === 'string')
      owned.push({ ...owner, topic, owner: ownerStateOf(owner.process) })
  }
  return owned.sort((a, b) => a.topic.localeCompare(b.topic))
}

/** The record this process writes for a topic it is about to create (no id yet) or has created. */
export function ownerOf(runId: string, topicId?: string): TopicOwner {
  return { run: runId, process: processOwner(), ...(topicId ? { topicId } : {}) }
}

/**
 * Deletes the topics of dead runs (not `ownRunId`'s) recorded in
 * `cdcb-owners`, saying how many records each held; with `dryRun` only says
 * so. Returns the topics of runs that may still be alive.
 */
export async function sweepDeadTopics(
  options: ResolvedKafkaOptions,
  admin: Admin,
  ownRunId: string | undefined,
  log: (line: string, kind?: LogKind) => void,
  dryRun = false,
): Promise<{ left: OwnedTopic[]; dead: number }> {
  const left: OwnedTopic[] = []
  let dead = 0
  const owned = (await readOwners(options, admin)).filter((o) => o.run !== ownRunId)
  if (owned.length === 0) return { left, dead }
  const where = options.brokers.join(',')
  const existing = new Set(await admin.listTopics())
  const present = owned.filter((o) => existing.has(o.topic)).map((o) => o.topic)
  const metadata = present.length > 0 ? await admin.metadata({ topics: present }) : undefined
  for (const entry of owned) {
    const meta = metadata?.topics.get(entry.topic)
    if (entry.owner.state !== 'dead') {
      if (meta) left.push(entry)
      continue
    }
    if (!meta || (entry.topicId && meta.id !== entry.topicId)) {
      // Gone already, or made again by someone else: the record has nothing left to say.
      if (!dryRun) await recordOwner(options, admin, entry.topic, undefined)
      continue
    }
    const about = `kafka: at ${where}, topic ${entry.topic} was created by cdcb run ${entry.run}, which is no longer running (${entry.owner.why})`
    if (!entry.topicId) {
      // Killed between recording and creating: the topic by that name may be someone else's.
      log(
        `${about}, but it died before recording the topic's id, so this may be another's topic; left in place`,
      )
      continue
    }
    dead++
    const records = await recordCount(options, entry.topic)
    const held = `${records} record${records === 1n ? '' : 's'} in ${meta.partitionsCount} partition${meta.partitionsCount === 1 ? '' : 's'}`
    if (dryRun) {
      log(`${about}, holding ${held}; would delete it (--dry-run)`)
      continue
    }
    // A notice: even `--quiet` says that cdcb deleted a topic this run did not make.
    log(`${about}, holding ${held} — deleting it`, 'notice')
    await admin.deleteTopics({ topics: [entry.topic] })
    await recordOwner(options, admin, entry.topic, undefined)
  }
  return { left, dead }
}

/** Records in the topic's partitions now (end − start offsets). */
async function recordCount(options: ResolvedKafkaOptions, topic: string): Promise<bigint> {
  const consumer = new Consumer({ ...clientOptions(options), groupId: `${options.groupPrefix}-owners` })
  try {
    const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? []
    const starts = (await consumer.listOffsets({ topics: [topic], timestamp: -2n })).get(topic) ?? []
    return ends.reduce((sum, end, i) => sum + end - (starts[i] ?? 0n), 0n)
  } finally {
    await consumer.close(true).catch(() => {})
  }
}

/** Says why a topic of a run that may be alive is left in place. */
export function describeLeft(options: ResolvedKafkaOptions, entry: OwnedTopic): string {
  const running = entry.owner.state === 'live' ? 'is still running' : 'may still be running'
  return `kafka: at ${options.brokers.join(',')}, topic ${entry.topic} belongs to cdcb run ${entry.run}, which ${running} (${entry.owner.why}); left in place`
}
