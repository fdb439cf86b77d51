/**
 * Topics and consumer groups that a run's connectors leave at the brokers.
 * Connect creates them, not cdcb: a Debezium source writes
 * `<topic.prefix>.<schema>.<table>` (made on first write), a sink consumes as
 * the group `connect-<connector name>`. Both outlive the connector. The pipeline
 * asks Connect which topics each connector used (`GET /connectors/{name}/topics`,
 * KIP-558) before deleting it, and deletes at the `brokers` it was given only
 * what belongs to the run:
 *
 * A topic or group belongs to the run when its name begins with a *run scope*
 * of the connector: for its name (and `connect-<name>`) and each of its
 * settings, as the config gives them, that hold `{runId}`, the text up to and
 * including the run id (`topic.prefix: 'cdcb_{runId}'` gives `cdcb_<runId>`),
 * followed by the end or a character that is not a lowercase letter or digit.
 * A name the config fixes (`topic.prefix: 'cdcb'`, a user's `orders`) has no
 * scope, so it is kept whatever the run id reads, even a run id that happens
 * to spell part of it. The scopes are stored in the connector (`cdcb.scopes`)
 * so that the sweep of a killed run applies the same rule.
 */
import { describeError } from '@cdcb/core'
import type { ConnectRest } from './rest.js'

export const SCOPES_SETTING = 'cdcb.scopes'

/** Settings never read for scopes: a scope is stored in the connector's config, and need not copy a secret there again. */
const SECRET = /password|secret|credential|token|\.key$/i

/** The run scopes of a connector, from its name and settings as written in the config (`{runId}` not yet replaced). */
export function runScopes(
  nameTemplate: string,
  configTemplate: Readonly<Record<string, unknown>>,
  runId: string,
): string[] {
  const templates = [nameTemplate, `connect-${nameTemplate}`]
  for (const [key, value] of Object.entries(configTemplate)) {
    if (!SECRET.test(key)) templates.push(...String(value).split(','))
  }
  const scopes = new Set<string>()
  for (const template of templates) {
    const at = template.trim().indexOf('{runId}')
    if (at >= 0) scopes.add(`${template.trim().slice(0, at)}${runId}`)
  }
  return [...scopes]
}

/** True when `name` begins with one of the scopes, followed by its end or a character that no run id has. */
export function inScope(name: string, scopes: readonly string[]): boolean {
  return scopes.some((scope) => name.startsWith(scope) && !/[a-z0-9]/.test(name.charAt(scope.length)))
}

/** What one connector of a run leaves at the brokers, split into the run's and others'. */
export interface ConnectorLeftovers {
  readonly connector: string
  /** Topics Connect says the connector used, named for the run: deleted. */
  readonly topics: readonly string[]
  /** Its sink consumer group, when named for the run: deleted. */
  readonly groups: readonly string[]
  /** Topics it used whose name the config fixes: kept. */
  readonly kept: readonly string[]
  /** Why the topics could not be listed, when they could not. */
  readonly unknown?: string
  /** The connector was registered by a cdcb that stored no run scopes (before `cdcb.scopes`): nothing is the run's. */
  readonly unscoped?: boolean
}

/**
 * Asks Connect which topics the connector used (with, for a sink, those its
 * `topics` setting names) and sorts them by the run's scopes (read from its `cdcb.scopes` setting). Called before the connector is
 * deleted: Connect forgets its topics with it.
 */
export async function leftoversOf(
  rest: ConnectRest,
  name: string,
  config: Readonly<Record<string, string>>,
): Promise<ConnectorLeftovers> {
  const unscoped = config[SCOPES_SETTING] === undefined
  const scopes = (config[SCOPES_SETTING] ?? '').split(',').filter(Boolean)
  const isSink = 'topics' in config || 'topics.regex' in config
  const group = config['consumer.override.group.id'] ?? `connect-${name}`
  const groups = isSink && inScope(group, scopes) ? [group] : []
  // A sink names its topics; Connect lists them only once a record of each was read.
  const subscribed = isSink ? (config.topics ?? '').split(',').map((t) => t.trim()) : []
  let used: string[]
  try {
    used = [...new Set([...subscribed, ...((await rest.topics(name)) ?? [])])].filter(Boolean)
  } catch (error) {
    const topics = subscribed.filter((t) => t && inScope(t, scopes))
    return { connector: name, topics, groups, kept: [], unknown: describeError(error), unscoped }
  }
  return {
    connector: name,
    unscoped,
    topics: used.filter((t) => inScope(t, scopes)),
    groups,
    kept: used.filter((t) => !inScope(t, scopes)),
  }
}

/** The run's topics and groups over its connectors, each once (a source's topic is also its sink's). */
function union(all: readonly ConnectorLeftovers[]): { topics: string[]; groups: string[] } {
  return {
    topics: [...new Set(all.flatMap((l) => l.topics))],
    groups: [...new Set(all.flatMap((l) => l.groups))],
  }
}

/** "topics a, b and consumer group c", or "" when there is nothing. */
export function describeLeftovers(all: readonly ConnectorLeftovers[]): string {
  const { topics, groups } = union(all)
  const parts: string[] = []
  if (topics.length) parts.push(`topic${topics.length === 1 ? '' : 's'} ${topics.join(', ')}`)
  if (groups.length) parts.push(`consumer group${groups.length === 1 ? '' : 's'} ${groups.join(', ')}`)
  return parts.join(' and ')
}

/**
 * Deletes the run's topics and groups at the brokers, saying what it deleted
 * and what it kept; without brokers, says what is left and how to delete it.
 * Never throws: a run's result does not hang on its clean-up, which is named
 * in one line with the command to finish it by hand.
 */
export async function deleteLeftovers(
  brokers: readonly string[],
  all: readonly ConnectorLeftovers[],
  log: (line: string) => void,
  runId: string,
): Promise<void> {
  for (const l of all) {
    const kept = l.kept.filter((t) => !all.some((o) => o.topics.includes(t)))
    if (l.unknown)
      log(
        `kafka-connect: could not ask which topics ${l.connector} used (${l.unknown}); any it made are left at the brokers`,
      )
    if (kept.length)
      log(
        `kafka-connect: kept topic${kept.length === 1 ? '' : 's'} ${kept.join(', ')} (used by ${l.connector}): ${l.unscoped ? `the cdcb that registered it for run ${runId} did not record which names are the run's` : `not named for run ${runId} ({runId} is not in the name the config gives it)`}`,
      )
  }
  const { topics, groups } = union(all)
  if (topics.length + groups.length === 0) return
  const what = describeLeftovers(all)
  const byHand = [
    ...topics.map((t) => `kafka-topics.sh --bootstrap-server <brokers> --delete --topic ${t}`),
    ...groups.map((g) => `kafka-consumer-groups.sh --bootstrap-server <brokers> --delete --group ${g}`),
  ].join('; ')
  if (brokers.length === 0) {
    log(
      `kafka-connect: left ${what} of run ${runId} at the brokers: set the pipeline's "brokers" option to have cdcb delete them; by hand: ${byHand}`,
    )
    return
  }
  const where = brokers.join(',')
  const { Admin } = await import('@platformatic/kafka')
  const admin = new Admin({
    clientId: 'cdcb-kafka-connect',
    bootstrapBrokers: [...brokers],
    connectTimeout: 10_000,
    requestTimeout: 30_000,
    retries: 3,
    retryDelay: 100,
  })
  try {
    const deleted = await deleteTopicsSettled(admin, topics)
    for (const group of groups) {
      if (await deleteGroupOnceEmpty(admin, group)) deleted.push(`consumer group ${group}`)
    }
    if (deleted.length) log(`kafka-connect: deleted ${deleted.join(', ')} of run ${runId} at ${where}`)
  } catch (error) {
    log(
      `kafka-connect: could not delete ${what} of run ${runId} at ${where}: ${describeError(deepest(error))}; by hand: ${byHand.replaceAll('<brokers>', where)}`,
    )
  } finally {
    await admin.close().catch(() => {})
  }
}

type Admin = InstanceType<typeof import('@platformatic/kafka').Admin>

/**
 * Deletes the topics that exist, then looks again once: a source task that
 * Connect is still stopping can write once more, and a broker that creates
 * topics on demand makes the topic again.
 */
async function deleteTopicsSettled(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const deleted = new Set<string>()
  for (let round = 0; round < 3; round++) {
    const existing = new Set(await admin.listTopics())
    const present = topics.filter((t) => existing.has(t))
    if (present.length === 0) break
    await admin.deleteTopics({ topics: present })
    for (const t of present) deleted.add(t)
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  return [...deleted].map((t) => `topic ${t}`)
}

/**
 * Deletes a sink's consumer group once its members are gone (the deleted
 * connector's task leaves it as Connect stops it); false when there is no such group.
 */
async function deleteGroupOnceEmpty(admin: Admin, group: string, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await admin.deleteGroups({ groups: [group] })
      return true
    } catch (error) {
      const text = chain(error)
      if (/GROUP_ID_NOT_FOUND/.test(text)) return false
      if (!/NON_EMPTY_GROUP/.test(text) || Date.now() > deadline) throw error
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

interface Nested {
  message?: string
  apiId?: string
  errors?: unknown[]
  cause?: unknown
}

/** Every message and Kafka error name along the chain the client wraps a failure in. */
function chain(error: unknown): string {
  const parts: string[] = []
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 6) return
    const n = e as Nested
    parts.push(`${n.message ?? ''} ${n.apiId ?? ''}`)
    visit(n.cause, depth + 1)
    for (const inner of n.errors ?? []) visit(inner, depth + 1)
  }
  visit(error, 0)
  return parts.join(' ')
}

/** The innermost error: the client wraps the cause (ECONNREFUSED, a Kafka error) in retries. */
function deepest(error: unknown): unknown {
  let current = error as Nested | undefined
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const inner = (current.errors?.at(-1) ?? current.cause) as Nested | undefined
    if (!inner || typeof inner !== 'object') break
    current = inner
  }
  return current ?? error
}
