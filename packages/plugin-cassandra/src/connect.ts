/**
 * Connecting with messages a user can act on: unreachable contact points,
 * a wrong datacenter name, refused credentials, a missing keyspace. Every
 * failure is one line, given within the connect timeout; none carries the
 * password (the driver's messages do not either, and cdcb never adds it).
 */
import { describeError, RuntimeFailure } from '@cdcb/core'
import cassandra from 'cassandra-driver'
import { type CassandraOptions, type ConsistencyName, DEFAULTS, describeTarget, millis } from './options.js'

const { Client, auth, errors, policies, types } = cassandra
export type CassandraClient = InstanceType<typeof Client>

const CONSISTENCY_CODES: Record<ConsistencyName, number> = {
  ANY: types.consistencies.any,
  ONE: types.consistencies.one,
  TWO: types.consistencies.two,
  THREE: types.consistencies.three,
  QUORUM: types.consistencies.quorum,
  ALL: types.consistencies.all,
  LOCAL_QUORUM: types.consistencies.localQuorum,
  EACH_QUORUM: types.consistencies.eachQuorum,
  LOCAL_ONE: types.consistencies.localOne,
}

/** The driver's consistency code for the configured level. */
export function consistencyOf(options: CassandraOptions): number {
  return CONSISTENCY_CODES[options.consistency ?? DEFAULTS.consistency]
}

/** Driver settings for these options; `serverTimestamps` leaves stamping writes to the coordinator. */
export function clientOptions(options: CassandraOptions, serverTimestamps = false): cassandra.ClientOptions {
  const connectTimeout = millis(options.connectTimeout ?? DEFAULTS.connectTimeout)
  const connections = options.connections ?? DEFAULTS.connections
  return {
    contactPoints: [...(options.contactPoints ?? DEFAULTS.contactPoints)],
    localDataCenter: options.localDataCenter ?? DEFAULTS.localDataCenter,
    ...(options.username !== undefined && {
      authProvider: new auth.PlainTextAuthProvider(options.username, options.password ?? ''),
    }),
    socketOptions: {
      connectTimeout,
      readTimeout: millis(options.requestTimeout ?? DEFAULTS.requestTimeout),
    },
    pooling: {
      coreConnectionsPerHost: {
        [types.distance.local]: connections,
        [types.distance.remote]: 1,
      },
      // Headroom over what the source keeps in flight, for the driver's own requests (prepares, metadata).
      maxRequestsPerConnection: requestsPerConnection(options) + DRIVER_HEADROOM,
    },
    policies: {
      // A null generator sends no timestamp, so the coordinator stamps each write.
      // (The driver accepts null here; its typings do not say so.)
      timestampGeneration: serverTimestamps
        ? (null as unknown as undefined)
        : new policies.timestampGeneration.MonotonicTimestampGenerator(1000, 1000),
      // Failed writes count as errors: cdcb measures the pipeline, so it must not hide a timeout by retrying.
      retry: new FailFastRetryPolicy(),
      // Against a node that comes back, reconnect within a second instead of the default's growing delays.
      reconnection: new policies.reconnection.ConstantReconnectionPolicy(1000),
    },
    queryOptions: { consistency: consistencyOf(options), prepare: true },
    // bigint columns (seq, intended_at, tokens) as JS bigint, never a lossy number.
    encoding: { useBigIntAsLong: true },
  }
}

/** Requests the driver may have in flight per connection beyond what the source sends. */
const DRIVER_HEADROOM = 64

/** Requests the source keeps in flight per connection (`maxRequestsPerConnection`). */
export function requestsPerConnection(options: CassandraOptions): number {
  return options.maxRequestsPerConnection ?? DEFAULTS.maxRequestsPerConnection
}

/** Retries nothing: every timeout or unavailable answer reaches cdcb as a failed write. */
class FailFastRetryPolicy extends policies.retry.RetryPolicy {
  override onReadTimeout() {
    return this.rethrowResult()
  }
  override onWriteTimeout() {
    return this.rethrowResult()
  }
  override onUnavailable() {
    return this.rethrowResult()
  }
  override onRequestError() {
    return this.rethrowResult()
  }
}

/**
 * Opens a client and connects it; throws a RuntimeFailure with one line if
 * that fails or takes longer than the connect timeout. `keyspace`, when given,
 * must exist.
 */
export async function connect(
  options: CassandraOptions,
  role: string,
  { keyspace, serverTimestamps = false }: { keyspace?: string; serverTimestamps?: boolean } = {},
): Promise<CassandraClient> {
  const settings = clientOptions(options, serverTimestamps)
  const client = new Client(settings)
  const limitMs = millis(options.connectTimeout ?? DEFAULTS.connectTimeout)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectTimeout()), limitMs)
  })
  try {
    await Promise.race([client.connect(), timeout])
    if (keyspace) await requireKeyspace(client, options, keyspace)
  } catch (error) {
    void client.shutdown().catch(() => {})
    if (error instanceof RuntimeFailure) throw new RuntimeFailure(`${role}: ${error.message}`)
    throw new RuntimeFailure(`${role}: ${explainConnectError(error, options, limitMs)}`)
  } finally {
    clearTimeout(timer)
  }
  return client
}

class ConnectTimeout extends Error {}

async function requireKeyspace(client: CassandraClient, options: CassandraOptions, keyspace: string) {
  const { rowLength } = await client.execute(
    'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
    [keyspace],
  )
  if (rowLength === 0) {
    throw new RuntimeFailure(
      `Cassandra at ${describeTarget(options)} has no keyspace '${keyspace}' — create it first or fix the keyspace option`,
    )
  }
}

/** One line for a failed connect, naming where and what to check. Exported for unit tests. */
export function explainConnectError(error: unknown, options: CassandraOptions, limitMs: number): string {
  const where = describeTarget(options)
  if (error instanceof ConnectTimeout) {
    return `cannot reach Cassandra at ${where}: no answer within ${limitMs / 1000}s (connectTimeout)`
  }
  if (error instanceof errors.NoHostAvailableError) {
    const inner = Object.values(error.innerErrors ?? {}) as unknown[]
    if (inner.some((e) => e instanceof errors.AuthenticationError)) {
      const first = inner.find((e) => e instanceof errors.AuthenticationError)
      return `Cassandra at ${where} refused the login: ${oneLine(first)} — check the username and password`
    }
    const dc = inner.find((e) => /localDataCenter/.test(describeError(e)))
    if (dc) return wrongDataCenter(where, dc)
    const codes = new Set(inner.map((e) => (e as { code?: string }).code).filter(Boolean))
    if (codes.has('ECONNREFUSED')) {
      return `cannot reach Cassandra at ${where}: connection refused — is the node running and listening there?`
    }
    if (codes.has('ENOTFOUND') || codes.has('EAI_AGAIN') || /could be resolved/i.test(error.message)) {
      return `cannot reach Cassandra at ${where}: host not found`
    }
    if (inner.length === 0) return `cannot reach Cassandra at ${where}: ${oneLine(error)}`
    return `cannot reach Cassandra at ${where}: ${oneLine(inner[0])}`
  }
  const message = oneLine(error)
  if (/localDataCenter/.test(message)) return wrongDataCenter(where, error)
  if (error instanceof errors.AuthenticationError) {
    return `Cassandra at ${where} refused the login: ${message} — check the username and password`
  }
  return `cannot connect to Cassandra at ${where}: ${message}`
}

function wrongDataCenter(where: string, error: unknown): string {
  const known = /data centers: \[([^\]]*)\]/.exec(describeError(error))?.[1]
  return `Cassandra at ${where}: no node in that datacenter${known ? ` (the cluster has: ${known})` : ''} — set localDataCenter to one of the cluster's datacenters`
}

function oneLine(error: unknown): string {
  const text = describeError(error)
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

/** `"keyspace"."table"`, for CQL text (names are validated lower-case identifiers). */
export function qualified(keyspace: string, table: string): string {
  return `"${keyspace}"."${table}"`
}

/**
 * Connects once and disconnects, throwing connect's one-line RuntimeFailure
 * (exit 3) when the node does not answer within the connect timeout. For
 * configs that start something slow (an embedded PostgreSQL) before the run:
 * call it first, so a wrong contact point is said in seconds, not after that.
 */
export async function checkReachable(options: CassandraOptions, role = 'source'): Promise<void> {
  const client = await connect(options, role)
  await client.shutdown().catch(() => {})
}
