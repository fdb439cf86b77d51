/**
 * Main-thread setup and teardown (the plugin's `prepare` hook). cdcb creates
 * and drops only what it created: its tables carry a comment starting with
 * `cdcb:owned`; a keyspace it created is dropped after the run only if no
 * table other than cdcb's is in it by then. A table that exists without that
 * comment is never written nor dropped: the source refuses it, the sink and
 * verifier only read it (a table some other pipeline fills). The source also
 * refuses a table another cdcb run's comment names (a concurrent run, or one
 * killed before its teardown).
 */
import { ConfigError, type Preparation, type RunContext, RuntimeFailure, type Slot } from '@cdcb/core'
import { type CassandraClient, connect, qualified } from './connect.js'
import { type CassandraOptions, DEFAULTS, describeTarget, namesOf } from './options.js'

const OWNED = 'cdcb:owned'

/** The columns of cdcb's state table: a full row per key, marker included; one partition per (run, bucket). */
const STATE_COLUMNS = `run_id text, bucket int, key bigint, seq bigint, op text, intended_at bigint, digest text, payload text,
  PRIMARY KEY ((run_id, bucket), key)`
/**
 * One row per change, in arrival order within a (run, bucket) partition:
 * `written` is a timeuuid the coordinator makes (`now()`) as it applies the
 * write, so a sink reads only what arrived since its last read. Seq order
 * would not do: a key's write waits for its previous one, and becomes visible
 * long after higher seqs of other keys.
 */
const LOG_COLUMNS = `run_id text, bucket int, written timeuuid, seq bigint, key bigint, op text, intended_at bigint, digest text,
  PRIMARY KEY ((run_id, bucket), written, seq)`

/** The columns the sink needs in a change log, and the verifier in a state table. */
export const REQUIRED = {
  log: ['run_id', 'bucket', 'written', 'seq', 'key', 'op', 'intended_at', 'digest'],
  state: ['run_id', 'bucket', 'key', 'seq', 'digest', 'payload'],
} as const

type TableState = 'absent' | 'owned' | 'foreign'

/** The run id and creation time an owned table's comment names (`… created by cdcb run <id> at <iso>; …`). */
export function ownerOf(comment: string): { runId: string; at: string } | undefined {
  const m = /created by cdcb run (\S+) at (\S+?);/.exec(comment)
  return m ? { runId: m[1]!, at: m[2]! } : undefined
}

async function tableComment(client: CassandraClient, keyspace: string, table: string): Promise<string> {
  const r = await client.execute(
    'SELECT comment FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, table],
  )
  return String(r.first()?.get('comment') ?? '')
}

async function keyspaceExists(client: CassandraClient, keyspace: string): Promise<boolean> {
  const r = await client.execute(
    'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
    [keyspace],
  )
  return r.rowLength > 0
}

async function tableState(client: CassandraClient, keyspace: string, table: string): Promise<TableState> {
  const r = await client.execute(
    'SELECT comment FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, table],
  )
  if (r.rowLength === 0) return 'absent'
  return String(r.first().get('comment') ?? '').startsWith(OWNED) ? 'owned' : 'foreign'
}

/** Column names of a table, or empty when it does not exist. */
export async function columnsOf(
  client: CassandraClient,
  keyspace: string,
  table: string,
): Promise<Set<string>> {
  const r = await client.execute(
    'SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, table],
  )
  return new Set(r.rows.map((row) => String(row.get('column_name'))))
}

function ownedComment(context: RunContext, what: string): string {
  // CQL string literal: a quote is doubled.
  return `${OWNED}: ${what} created by cdcb run ${context.runId} at ${new Date().toISOString()}; cdcb drops it after the run`.replace(
    /'/g,
    "''",
  )
}

export async function prepare(
  slot: Slot,
  options: CassandraOptions,
  context: RunContext,
): Promise<Preparation | undefined> {
  if (context.runShard && context.runShard.count > 1 && (slot === 'source' || slot === 'sink')) {
    throw new ConfigError(
      `${slot}: the Cassandra plugin cannot share a run's tables across shards (--shard) yet: each shard would create them and the first out would drop them — run a Cassandra benchmark in one process`,
    )
  }
  if (slot === 'source') return prepareSource(options, context)
  if (slot === 'sink') return prepareSink(options, context)
  if (slot === 'verify') await requireKeyspaceAtStart(options)
  return undefined
}

/**
 * The verifier's keyspace must exist before the run starts (the source, prepared
 * first, has created its own by then): found missing only after the run, the
 * error came once per worker, after all the load.
 */
async function requireKeyspaceAtStart(options: CassandraOptions): Promise<void> {
  const { keyspace } = namesOf(options)
  const client = await connect(options, 'verify')
  try {
    if (!(await keyspaceExists(client, keyspace))) throw missingKeyspace(options, keyspace, 'reads')
  } finally {
    await client.shutdown().catch(() => {})
  }
}

function missingKeyspace(options: CassandraOptions, keyspace: string, what: string): RuntimeFailure {
  return new RuntimeFailure(
    `Cassandra at ${describeTarget(options)} has no keyspace '${keyspace}', which it ${what} — create it first or fix the keyspace option`,
  )
}

/** Creates the keyspace (if absent) and the state table and change log (if absent), and drops what it created afterwards. */
async function prepareSource(options: CassandraOptions, context: RunContext): Promise<Preparation> {
  const { keyspace, table, changeLog } = namesOf(options)
  const client = await connect(options, 'source')
  try {
    const state = await tableState(client, keyspace, table)
    if (state === 'foreign') refuse('source', options, keyspace, table)
    const logState = changeLog ? await tableState(client, keyspace, changeLog) : 'absent'
    if (logState === 'foreign') refuse('source', options, keyspace, changeLog!)
    // Another run's table (running now, or killed before it could drop it): never write into it.
    if (state === 'owned') await refuseOthers(client, options, keyspace, table)
    if (logState === 'owned') await refuseOthers(client, options, keyspace, changeLog!)
    const createdKeyspace = await ensureKeyspace(client, options, keyspace)
    const created: string[] = []
    if (state === 'absent') {
      await createTable(client, options, keyspace, table, STATE_COLUMNS, ownedComment(context, 'state table'))
      created.push(table)
    }
    if (changeLog && (await tableState(client, keyspace, changeLog)) === 'absent') {
      await createTable(
        client,
        options,
        keyspace,
        changeLog,
        LOG_COLUMNS,
        ownedComment(context, 'change log'),
      )
      created.push(changeLog)
    }
    return { teardown: () => dropCreated(options, 'source', keyspace, createdKeyspace, created, context) }
  } finally {
    await client.shutdown().catch(() => {})
  }
}

/**
 * The change log the sink reads: created (owned) when absent, for a pipeline
 * to fill; read-only when someone else made it, if it has the marker columns.
 * Its keyspace must exist (the source, prepared first, creates its own).
 */
async function prepareSink(options: CassandraOptions, context: RunContext): Promise<Preparation> {
  const { keyspace, sinkLog } = namesOf(options)
  const client = await connect(options, 'sink')
  try {
    const state = await tableState(client, keyspace, sinkLog)
    if (state === 'foreign') {
      const columns = await columnsOf(client, keyspace, sinkLog)
      const missing = REQUIRED.log.filter((c) => !columns.has(c))
      if (missing.length > 0) {
        throw new ConfigError(
          `sink: table ${keyspace}.${sinkLog} at ${describeTarget(options)} lacks cdcb's marker column(s) ${missing.join(', ')} — ` +
            `the pipeline must write ${REQUIRED.log.join(', ')} with PRIMARY KEY ((run_id, bucket), written, seq), written a timeuuid from now()`,
        )
      }
      context.log(`cassandra: observing ${keyspace}.${sinkLog}, which cdcb did not create, read-only`)
      return {}
    }
    // Nothing can fill a change log in a keyspace no one made: say so now, not as everything lost after the run.
    if (!(await keyspaceExists(client, keyspace)))
      throw missingKeyspace(options, keyspace, `observes (change log ${sinkLog})`)
    const created: string[] = []
    if (state === 'absent') {
      await createTable(client, options, keyspace, sinkLog, LOG_COLUMNS, ownedComment(context, 'change log'))
      created.push(sinkLog)
    }
    return { teardown: () => dropCreated(options, 'sink', keyspace, false, created, context) }
  } finally {
    await client.shutdown().catch(() => {})
  }
}

/**
 * Refuses a table another cdcb run created: two runs in one table dropped it
 * under each other, and a run after a kill -9 wrote into the dead run's rows.
 * Cassandra has no session lock to tell a live owner from a dead one, so the
 * user decides, told how.
 */
async function refuseOthers(
  client: CassandraClient,
  options: CassandraOptions,
  keyspace: string,
  table: string,
): Promise<never> {
  const owner = ownerOf(await tableComment(client, keyspace, table))
  const whose = owner ? `cdcb run ${owner.runId} (created ${owner.at})` : 'another cdcb run'
  throw new ConfigError(
    `source: table ${keyspace}.${table} at ${describeTarget(options)} belongs to ${whose}, still running or killed before it could drop it — ` +
      `cdcb writes only into tables this run creates and has not touched it; if no run uses it, drop it (DROP TABLE ${qualified(keyspace, table)}), or set source.options.table to another name`,
  )
}

function refuse(slot: string, options: CassandraOptions, keyspace: string, table: string): never {
  throw new ConfigError(
    `${slot}: table ${keyspace}.${table} at ${describeTarget(options)} exists and was not created by cdcb — ` +
      `cdcb writes only into tables it creates and has not touched it; set ${slot}.options.table to another name`,
  )
}

/** Creates the keyspace when absent; true when this call created it. */
async function ensureKeyspace(
  client: CassandraClient,
  options: CassandraOptions,
  keyspace: string,
): Promise<boolean> {
  if (await keyspaceExists(client, keyspace)) return false
  const replication = options.replication ?? DEFAULTS.replication
  const map = Object.entries(replication)
    .map(([k, v]) => `'${k.replace(/'/g, "''")}': '${String(v).replace(/'/g, "''")}'`)
    .join(', ')
  try {
    await client.execute(`CREATE KEYSPACE "${keyspace}" WITH replication = {${map}}`)
    return true
  } catch (error) {
    // Another run's prepare created it a moment ago: then it is theirs to drop.
    if ((error as { code?: number }).code === ALREADY_EXISTS) return false
    throw error
  }
}

/** The CQL protocol's error code for CREATE of something that exists. */
const ALREADY_EXISTS = 0x2400

async function createTable(
  client: CassandraClient,
  options: CassandraOptions,
  keyspace: string,
  table: string,
  columns: string,
  comment: string,
): Promise<void> {
  const cdc = options.cdc ? ' AND cdc = true' : ''
  await client.execute(`CREATE TABLE "${keyspace}"."${table}" (${columns}) WITH comment = '${comment}'${cdc}`)
}

/** Drops the tables this run created, and the keyspace if it created it and nothing else is left in it. */
async function dropCreated(
  options: CassandraOptions,
  slot: string,
  keyspace: string,
  createdKeyspace: boolean,
  tables: readonly string[],
  context: RunContext,
): Promise<void> {
  if (options.keepTables || (tables.length === 0 && !createdKeyspace)) return
  const client = await connect(options, slot)
  try {
    for (const table of tables) {
      if ((await tableState(client, keyspace, table)) === 'owned')
        await client.execute(`DROP TABLE IF EXISTS ${qualified(keyspace, table)}`)
    }
    if (!createdKeyspace) return
    const left = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [
      keyspace,
    ])
    if (left.rowLength === 0) await client.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`)
    else
      context.log(
        `cassandra: left keyspace ${keyspace} in place: it holds ${left.rowLength} table(s) cdcb did not create in this run`,
      )
  } finally {
    await client.shutdown().catch(() => {})
  }
}
