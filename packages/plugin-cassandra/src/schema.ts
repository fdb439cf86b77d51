/**
 * Main-thread setup and teardown (the plugin's `prepare` hook). cdcb creates
 * and drops only what it created: its tables carry a comment starting with
 * `cdcb:owned`; a keyspace it created is dropped after the run only if no
 * table other than cdcb's is in it by then. A table that exists without that
 * comment is never written nor dropped: the source refuses it, the sink and
 * verifier only read it (a table some other pipeline fills).
 *
 * The comment also names the run and the cdcb process that made the table
 * (`<host> <pid>`, core's `processOwner`): Cassandra has no session that ends
 * with a killed run, so that is how a later run tells a table a run killed
 * with kill -9 left. At start, the source and sink drop such tables in their
 * keyspace (saying what each held), and `cdcb clean` does the same on demand;
 * a table whose run may still live (its process runs, or it ran on another
 * host) is never touched, and the source refuses to write into one.
 */
import {
  type CleanContext,
  ConfigError,
  describeError,
  formatCount,
  type LogKind,
  ownerStateOf,
  type Preparation,
  processOwner,
  type RunContext,
  RuntimeFailure,
  type Slot,
} from '@cdcb/core'
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

/** What an owned table's comment names: what it is, the run, when, and the cdcb process that made it (none before it was recorded). */
export interface TableOwner {
  readonly what: string
  readonly runId: string
  readonly at: string
  readonly process?: string
}

/** Reads `cdcb:owned: <what> created by cdcb run <id> at <iso> by process <host> <pid>; …`. */
export function ownerOf(comment: string): TableOwner | undefined {
  const m = /^cdcb:owned: (.*?) ?created by cdcb run (\S+) at (\S+?)(?: by process (\S+ \d+))?;/.exec(comment)
  if (!m) return undefined
  return { what: m[1] || 'table', runId: m[2]!, at: m[3]!, ...(m[4] && { process: m[4] }) }
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
  return `${OWNED}: ${what} created by cdcb run ${context.runId} at ${new Date().toISOString()} by process ${processOwner()}; cdcb drops it after the run`.replace(
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
    await sweepDeadTables(client, options, keyspace, {
      runId: context.runId,
      dryRun: false,
      log: context.log,
    })
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
    await sweepDeadTables(client, options, keyspace, {
      runId: context.runId,
      dryRun: false,
      log: context.log,
    })
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
 * Refuses a table another cdcb run created and that the sweep left (its run
 * may still live): two runs in one table dropped it under each other, and a
 * run after a kill -9 wrote into the dead run's rows.
 */
async function refuseOthers(
  client: CassandraClient,
  options: CassandraOptions,
  keyspace: string,
  table: string,
): Promise<never> {
  const owner = ownerOf(await tableComment(client, keyspace, table))
  const run = ownerStateOf(owner?.process)
  const whose = owner ? `cdcb run ${owner.runId} (created ${owner.at}; ${run.why})` : 'another cdcb run'
  const how =
    run.state === 'live'
      ? 'wait until that run ends, or set source.options.table to another name'
      : `if no run uses it, drop it (DROP TABLE ${qualified(keyspace, table)}), or set source.options.table to another name`
  throw new ConfigError(
    `source: table ${keyspace}.${table} at ${describeTarget(options)} belongs to ${whose}, which may still be running — ` +
      `cdcb writes only into tables this run creates and has not touched it; ${how}`,
  )
}

/** Rows counted at most in a dead run's table before it is dropped: enough to say what it held, bounded in time. */
const COUNT_CAP = 100_000

/** "N rows" in a table, stopping at COUNT_CAP; a failed count says why instead of stopping the sweep. */
async function rowsIn(client: CassandraClient, keyspace: string, table: string): Promise<string> {
  let rows = 0
  let pageState: string | undefined
  try {
    do {
      const page = await client.execute(`SELECT run_id FROM ${qualified(keyspace, table)}`, [], {
        fetchSize: 5000,
        ...(pageState && { pageState }),
      })
      rows += page.rowLength
      pageState = page.pageState ?? undefined
    } while (pageState && rows < COUNT_CAP)
  } catch (error) {
    return `rows not counted (${describeError(error)})`
  }
  return `${pageState ? 'at least ' : ''}${formatCount(rows)} row${rows === 1 ? '' : 's'}`
}

/**
 * Drops (or, with `dryRun`, prints the CQL to drop) every table in `keyspace`
 * whose cdcb comment names a process on this host that is gone, saying what
 * it held; returns how many. With `reportLive`, also names the cdcb tables it
 * leaves because their run may live. Never touches run `runId`'s own tables.
 */
async function sweepDeadTables(
  client: CassandraClient,
  options: CassandraOptions,
  keyspace: string,
  context: {
    runId?: string
    dryRun: boolean
    log(message: string, kind?: LogKind): void
    reportLive?: boolean
  },
): Promise<number> {
  const r = await client.execute(
    'SELECT table_name, comment FROM system_schema.tables WHERE keyspace_name = ?',
    [keyspace],
  )
  const tables = r.rows
    .map((row) => ({ table: String(row.get('table_name')), comment: String(row.get('comment') ?? '') }))
    .filter((t) => t.comment.startsWith(OWNED))
    .sort((a, b) => a.table.localeCompare(b.table))
  let swept = 0
  for (const { table, comment } of tables) {
    const owner = ownerOf(comment)
    if (owner?.runId === context.runId) continue
    const run = ownerStateOf(owner?.process)
    const name = `${keyspace}.${table}`
    const whose = owner ? `cdcb run ${owner.runId}` : 'a cdcb run'
    if (run.state !== 'dead') {
      if (context.reportLive)
        context.log(
          `cassandra: table ${name} at ${describeTarget(options)} belongs to ${whose}, which may still run (${run.why}); left in place`,
        )
      continue
    }
    const what = `cassandra: table ${name} (${owner!.what}) at ${describeTarget(options)} was left by ${whose} (created ${owner!.at}; ${run.why}), holding ${await rowsIn(client, keyspace, table)}`
    const drop = `DROP TABLE IF EXISTS ${qualified(keyspace, table)}`
    if (context.dryRun) {
      context.log(`${what}; would drop it (--dry-run): ${drop};`)
    } else {
      await client.execute(drop)
      // A notice: even `--quiet` says that cdcb deleted a table this run did not make.
      context.log(`${what}; dropped it`, 'notice')
    }
    swept++
  }
  return swept
}

/**
 * `cdcb clean`: drops the tables dead cdcb runs left in the keyspace the
 * options name (only prints the CQL with `dryRun`), and names those of runs
 * that may still live. The verifier creates nothing, so only the source and
 * sink slots look, and a node and keyspace once per `cdcb clean` (a config's
 * source and sink usually name the same: the second would only say again that
 * nothing is left).
 */
export async function clean(slot: Slot, options: CassandraOptions, context: CleanContext): Promise<void> {
  if (slot !== 'source' && slot !== 'sink') return
  const { keyspace } = namesOf(options)
  const where = `${describeTarget(options)}/${keyspace}`
  const server = `cassandra ${where}`
  if (context.cleaned?.has(server)) return
  context.cleaned?.add(server)
  const client = await connect(options, slot)
  try {
    if (!(await keyspaceExists(client, keyspace))) {
      context.log(`cassandra: no keyspace ${keyspace} at ${describeTarget(options)}: nothing left there`)
      return
    }
    const swept = await sweepDeadTables(client, options, keyspace, { ...context, reportLive: true })
    if (swept === 0) {
      context.log(
        `cassandra: no table left by a dead cdcb run in keyspace ${keyspace} at ${describeTarget(options)}`,
      )
      return
    }
    // A keyspace has no comment: cdcb cannot tell whether a dead run created it, so it stays.
    const left = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [
      keyspace,
    ])
    if (left.rowLength === (context.dryRun ? swept : 0))
      context.log(
        `cassandra: keyspace ${keyspace} ${context.dryRun ? 'would then hold' : 'now holds'} no table; cdcb cannot tell who created it, so it is left in place (DROP KEYSPACE "${keyspace}" if no one uses it)`,
      )
  } finally {
    await client.shutdown().catch(() => {})
  }
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
    const dropped = new Set<string>()
    for (const table of tables) {
      if ((await tableState(client, keyspace, table)) === 'owned') {
        await client.execute(`DROP TABLE IF EXISTS ${qualified(keyspace, table)}`)
        dropped.add(table)
      }
    }
    if (!createdKeyspace) return
    // system_schema can still list a table dropped a moment ago (CI saw the keyspace left after both parts
    // dropped their tables): never count the ones just dropped, and give other parts' drops a moment to show.
    const others = async () =>
      (
        await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [
          keyspace,
        ])
      ).rows.filter((row) => !dropped.has(row.table_name as string))
    let left = await others()
    for (let retry = 0; left.length > 0 && retry < 5; retry++) {
      await new Promise((resolve) => setTimeout(resolve, 300))
      left = await others()
    }
    if (left.length === 0) await client.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`)
    else
      context.log(
        `cassandra: left keyspace ${keyspace} in place: it holds ${left.length} table(s) cdcb did not create in this run`,
      )
  } finally {
    await client.shutdown().catch(() => {})
  }
}
