/**
 * Options of the postgres plugin, one schema for every slot, and the
 * connection settings built from them. Messages name the field, as core shows
 * them: `source.options.pool: expected a positive whole number`.
 */
import { durationOption, parseDurationMicros, positiveIntOption, redactUrl, urlOption } from '@cdcb/core'
import type pg from 'pg'
import { z } from 'zod'

const positiveInt = positiveIntOption()
const duration = durationOption('"100ms" or "1s"')
const identifier = z
  .string({ error: 'expected a name' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,40}$/, { error: 'expected a plain SQL name (letters, digits, _)' })
const connectionUrl = urlOption(['postgres', 'postgresql'], 'postgres://user@host:5432/db')

export const optionsSchema = z
  .strictObject({
    /** Connection URL, e.g. `postgres://cdcb@127.0.0.1:5432/app`; or give host/port/user/password/database. */
    url: connectionUrl.optional(),
    host: z.string().optional(),
    port: positiveInt.optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    database: z.string().optional(),
    /** @default "public" */
    schema: identifier.optional(),
    /** The table cdcb writes (source) or observes (sink, verifier). @default "cdcb_events" */
    table: identifier.optional(),
    /** Source: connections in all, shared out among the workers. @default 8 */
    pool: positiveInt.optional(),
    /** Source: operations per transaction, as multi-row statements; 1 writes each operation on its own. @default 1 */
    batchSize: positiveInt.optional(),
    /** Sink: `logical` streams the target's changes (pgoutput); `poll` reads rows past a watermark. @default "logical" */
    mode: z.enum(['logical', 'poll'], { error: 'expected "logical" or "poll"' }).optional(),
    /** Sink, poll mode: how often to read. @default "100ms" */
    pollInterval: duration.optional(),
    /** Sink, poll mode: how far behind the newest apply stamp each read starts, for transactions still committing. @default "1s" */
    pollLookback: duration.optional(),
    /**
     * Sink: set up PostgreSQL's native logical replication from this server (a
     * publication and a slot there, a subscription at the target) for the run,
     * and remove it after. The URL as the target server reaches the source.
     * Pipeline: the subscription's publisher, where `terminateWalsender` acts.
     */
    replicateFrom: connectionUrl.optional(),
    /**
     * Pipeline: the subscription (at `url`) whose fault actions the part offers.
     * @default the one the sink's `replicateFrom` creates for the run, `cdcb_<runId>_pipe`
     */
    subscription: identifier.optional(),
    /**
     * Sink: when cdcb creates the target table, make a row arriving with a
     * null `seq` delete the key's row instead of being written. For pipelines
     * whose last hop writes a delete as a row of nulls: Debezium's JDBC sink
     * does so for Cassandra's delete events (their `after` carries the key, so
     * no stock transform turns them into tombstones). Pair it with a source
     * that writes each delete's marker into the row first, so the delete's old
     * row names the delete. @default false
     */
    nullRowDeletes: z.boolean({ error: 'expected true or false' }).optional(),
    /** Leave the tables this run created in place after it (still marked as cdcb's), e.g. to inspect them. @default false */
    keepTables: z.boolean({ error: 'expected true or false' }).optional(),
    /** How long to wait for a connection. @default "10s" */
    connectTimeout: duration.optional(),
  })
  // Without either, the driver would fall back to PGHOST or localhost: a server the config never named.
  .refine((options) => options.url !== undefined || options.host !== undefined, {
    error: 'expected url (or host) naming the server — cdcb does not fall back to PGHOST or localhost',
  })

export type PostgresOptions = z.infer<typeof optionsSchema>

export const DEFAULTS = {
  schema: 'public',
  table: 'cdcb_events',
  pool: 8,
  batchSize: 1,
  mode: 'logical',
  pollInterval: '100ms',
  pollLookback: '1s',
  connectTimeout: '10s',
} as const

/** pg client settings for these options. */
export function clientConfig(options: PostgresOptions, url = options.url): pg.ClientConfig {
  const config: pg.ClientConfig = {
    connectionTimeoutMillis: Math.ceil(
      parseDurationMicros(options.connectTimeout ?? DEFAULTS.connectTimeout)! / 1000,
    ),
    keepAlive: true,
    application_name: 'cdcb',
  }
  if (url) config.connectionString = url
  if (options.host !== undefined) config.host = options.host
  if (options.port !== undefined) config.port = options.port
  if (options.user !== undefined) config.user = options.user
  if (options.password !== undefined) config.password = options.password
  if (options.database !== undefined) config.database = options.database
  return config
}

/** Where a connection goes, for messages: never the password. */
export function describeTarget(options: PostgresOptions, url = options.url): string {
  if (url) {
    try {
      const parsed = new URL(url)
      return `${parsed.hostname}:${parsed.port || 5432}/${decodeURIComponent(parsed.pathname.slice(1)) || parsed.username}`
    } catch {
      return redactUrl(url)
    }
  }
  return `${options.host ?? 'localhost'}:${options.port ?? 5432}/${options.database ?? options.user ?? 'postgres'}`
}

export function tableOf(options: PostgresOptions): { schema: string; table: string } {
  return { schema: options.schema ?? DEFAULTS.schema, table: options.table ?? DEFAULTS.table }
}
