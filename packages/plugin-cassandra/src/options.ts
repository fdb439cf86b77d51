/**
 * Options of the cassandra plugin, one schema for every slot, and the driver
 * settings built from them. Messages name the field, as core shows them:
 * `source.options.consistency: expected one of ONE, LOCAL_ONE, …`.
 */
import { parseDurationMicros } from '@cdcb/core'
import { z } from 'zod'

const positiveInt = z
  .number({ error: 'expected a positive whole number' })
  .int({ error: 'expected a positive whole number' })
  .positive({ error: 'expected a positive whole number' })
const duration = z
  .union([z.string(), z.number()], { error: 'expected a duration such as "100ms" or "1s"' })
  .refine((v) => parseDurationMicros(v) !== undefined, {
    error: 'expected a duration such as "100ms" or "1s"',
  })
// Unquoted CQL names are case-insensitive and folded to lower case; cdcb only uses lower-case ones.
const identifier = z
  .string({ error: 'expected a name' })
  .regex(/^[a-z_][a-z0-9_]{0,47}$/, { error: 'expected a lower-case CQL name (a-z, 0-9, _)' })
const contactPoint = z
  .string({ error: 'expected "host" or "host:port"' })
  .regex(/^[^\s:/]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/, { error: 'expected "host" or "host:port"' })

/** Consistency levels by the names CQL uses. */
export const CONSISTENCY_LEVELS = [
  'ANY',
  'ONE',
  'TWO',
  'THREE',
  'QUORUM',
  'ALL',
  'LOCAL_QUORUM',
  'EACH_QUORUM',
  'LOCAL_ONE',
] as const
export type ConsistencyName = (typeof CONSISTENCY_LEVELS)[number]

export const optionsSchema = z.strictObject({
  /** Nodes to contact first, `host` or `host:port` (the driver discovers the rest). @default ["127.0.0.1:9042"] */
  contactPoints: z
    .array(contactPoint, { error: 'expected a list such as ["127.0.0.1:9042"]' })
    .min(1)
    .optional(),
  /** The datacenter the driver routes to; SimpleSnitch names it `datacenter1`. @default "datacenter1" */
  localDataCenter: z.string({ error: 'expected a datacenter name' }).min(1).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** @default "cdcb" */
  keyspace: identifier.optional(),
  /** The table cdcb writes (source), scans (verifier) or whose change log it reads (sink). @default "cdcb_events" */
  table: identifier.optional(),
  /** Source, when cdcb creates the keyspace: its replication map. @default { class: "SimpleStrategy", replication_factor: 1 } */
  replication: z
    .record(z.string(), z.union([z.string(), z.number()]), {
      error: 'expected a map such as { class: "SimpleStrategy", replication_factor: 1 }',
    })
    .optional(),
  /** Consistency of the source's writes, the sink's reads, the verifier's scans. @default "LOCAL_QUORUM" */
  consistency: z
    .enum(CONSISTENCY_LEVELS, { error: `expected one of ${CONSISTENCY_LEVELS.join(', ')}` })
    .optional(),
  /**
   * Rows are spread over this many partitions per run (`bucket = key % buckets`),
   * which is what an unlogged batch groups by. Source, sink and verifier must agree. @default 16
   */
  buckets: positiveInt.optional(),
  /** Source: operations per unlogged batch, all of one partition (bucket); 1 writes each on its own. @default 1 */
  batchSize: positiveInt.optional(),
  /**
   * Source: who stamps each write (what `WRITETIME` returns). `client`: the
   * driver's monotonic generator, milliseconds of this host's clock plus a
   * counter; `server`: the coordinator node when it receives the write, in
   * microseconds of its clock. @default "client"
   */
  timestamps: z.enum(['client', 'server'], { error: 'expected "client" or "server"' }).optional(),
  /**
   * Source: also append every change to this change-log table, in the same
   * unlogged batch as the change itself, so a sink on the same cluster sees
   * every change (a state table only shows the last one); `true` names it
   * `<table>_changes`. Sink: the change-log table to read (`<table>_changes`
   * unless named). @default false
   */
  changeLog: z.union([identifier, z.boolean({ error: 'expected true, false or a table name' })]).optional(),
  /** Sink: how often to read the change log. @default "100ms" */
  pollInterval: duration.optional(),
  /** Sink: how far before the newest change-log row seen a read goes back once a second (every read: 250 ms), for rows that became visible a while after their `written` time. @default "2s" */
  pollLookback: duration.optional(),
  /** Source: create cdcb's tables `WITH cdc = true`, for a CDC reader such as Debezium's Cassandra connector. @default false */
  cdc: z.boolean({ error: 'expected true or false' }).optional(),
  /**
   * Source: before a row delete, write the delete's marker into the row (a
   * full-row upsert with op `d`, its seq and intended time, empty digest and
   * payload) and delete only once that is acknowledged. A CDC reader then sees
   * the marker change just before the delete, as it does from cdcb's
   * PostgreSQL source, which is what a sink downstream of Debezium needs to
   * name a delete's seq (Cassandra's delete events carry only the key).
   * Two requests per delete. @default false
   */
  markDeletes: z.boolean({ error: 'expected true or false' }).optional(),
  /** Connections per node per worker. @default 1 */
  connections: positiveInt.optional(),
  /**
   * Source: requests a worker keeps in flight per connection (so at most
   * `connections` × this in all); more wait in the source's queue, so a busy
   * node shows as latency, not as failed writes. The driver itself refuses
   * more than its own limit per connection (2048 by default) with a
   * BusyConnectionError; cdcb lets it take 64 more than this for its own
   * requests (prepares, metadata). @default 1024
   */
  maxRequestsPerConnection: positiveInt
    .max(30_000, { error: 'expected at most 30000 (the protocol has 32768 streams per connection)' })
    .optional(),
  /** Leave the keyspace and tables this run created in place after it, e.g. to inspect them. @default false */
  keepTables: z.boolean({ error: 'expected true or false' }).optional(),
  /** How long to wait for a connection. @default "10s" */
  connectTimeout: duration.optional(),
  /** How long to wait for one request's answer before it fails. @default "12s" */
  requestTimeout: duration.optional(),
})

export type CassandraOptions = z.infer<typeof optionsSchema>

export const DEFAULTS = {
  contactPoints: ['127.0.0.1:9042'],
  localDataCenter: 'datacenter1',
  keyspace: 'cdcb',
  table: 'cdcb_events',
  replication: { class: 'SimpleStrategy', replication_factor: 1 },
  consistency: 'LOCAL_QUORUM',
  buckets: 16,
  batchSize: 1,
  timestamps: 'client',
  pollInterval: '100ms',
  pollLookback: '2s',
  connections: 1,
  maxRequestsPerConnection: 1024,
  connectTimeout: '10s',
  requestTimeout: '12s',
} as const

export function millis(value: string | number): number {
  return Math.ceil(parseDurationMicros(value)! / 1000)
}

/** Names cdcb uses: keyspace, state table, and the sink's change log. */
export function namesOf(options: CassandraOptions) {
  const table = options.table ?? DEFAULTS.table
  return {
    keyspace: options.keyspace ?? DEFAULTS.keyspace,
    table,
    /** The source's change log, if it writes one. */
    changeLog:
      typeof options.changeLog === 'string'
        ? options.changeLog
        : options.changeLog
          ? `${table}_changes`
          : undefined,
    /** The change log the sink reads. */
    sinkLog: typeof options.changeLog === 'string' ? options.changeLog : `${table}_changes`,
  }
}

/** Where a connection goes, for messages: never the password. */
export function describeTarget(options: CassandraOptions): string {
  return `${(options.contactPoints ?? DEFAULTS.contactPoints).join(',')} (dc ${options.localDataCenter ?? DEFAULTS.localDataCenter})`
}
