/**
 * Main-thread setup and teardown (the plugin's `prepare` hook): the tables cdcb
 * writes and observes, the sink's publication and slot, and optionally the
 * native logical-replication pipeline under test. cdcb creates and drops only
 * objects it created: tables carry a comment starting with `cdcb:owned`, and
 * slots, publications and subscriptions are named `cdcb_<runId>_…` and created
 * by this run. A table that exists without that comment is never written to
 * nor dropped: the source refuses it, and the sink only reads it (logical mode,
 * no replicateFrom), as it reads a table some other pipeline fills.
 */
import {
  type CleanContext,
  ConfigError,
  describeError,
  MARKER_COLUMNS,
  type Preparation,
  type RunContext,
  RuntimeFailure,
  redactUrl,
  type Slot,
} from '@cdcb/core'
import type pg from 'pg'
import { connect, ident, qualified, requireLogicalWal } from './connect.js'
import { joinShards, leaveLast, sweepDeadRuns, takeLease, withSetupLock } from './leftovers.js'
import { DEFAULTS, describeTarget, type PostgresOptions, tableOf } from './options.js'
import { closeClient, runUndo, type UndoStep, untilAborted } from './teardown.js'

const OWNED = 'cdcb:owned'

/**
 * Names of the replication objects of a run; workers derive them from the run
 * id too. A run split into shards shares the publication, and each shard has
 * its own slot (`_s<index>`): a slot streams to one reader at a time.
 */
export function objectNames(runId: string, shard?: number) {
  return {
    sinkSlot: shard === undefined ? `cdcb_${runId}_sink` : `cdcb_${runId}_sink_s${shard}`,
    sinkPublication: `cdcb_${runId}_sink`,
    pipe: `cdcb_${runId}_pipe`,
  }
}

/** The poll sink's change log at the target: one row per change applied, written by a trigger. */
export function changeLogTable(table: string): string {
  return `${table}_cdcb_changes`
}

type TableState = 'absent' | 'owned' | 'foreign'

async function tableState(client: pg.Client, schema: string, table: string): Promise<TableState> {
  const { rows } = await client.query<{ comment: string | null }>(
    `SELECT obj_description(c.oid, 'pg_class') AS comment FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  )
  if (rows.length === 0) return 'absent'
  return rows[0]!.comment?.startsWith(OWNED) ? 'owned' : 'foreign'
}

function refuse(slot: string, options: PostgresOptions, schema: string, table: string): never {
  throw new ConfigError(
    `${slot}: table ${schema}.${table} at ${describeTarget(options)} exists and was not created by cdcb — ` +
      `cdcb writes only into tables it creates and has not touched it; set ${slot}.options.table to another name`,
  )
}

/** Columns a target row must carry for the sink to know which change of which run it is. */
const REQUIRED_MARKER = [
  MARKER_COLUMNS.runId,
  MARKER_COLUMNS.key,
  MARKER_COLUMNS.seq,
  MARKER_COLUMNS.op,
  MARKER_COLUMNS.intendedAt,
] as const

/**
 * A target table someone else created (their pipeline's, say): the sink may
 * read it, in logical mode, through a publication and slot of its own; it never
 * alters it. What it cannot do without cdcb's additions is said up front.
 */
async function requireObservable(
  target: pg.Client,
  options: PostgresOptions,
  mode: string,
  schema: string,
  table: string,
  context: RunContext,
): Promise<void> {
  const where = `table ${schema}.${table} at ${describeTarget(options)}`
  if (options.replicateFrom) {
    throw new ConfigError(
      `sink: ${where} exists and was not created by cdcb, and with replicateFrom cdcb's subscription would write into it — ` +
        'set sink.options.table to another name, or drop replicateFrom to observe a pipeline you run yourself',
    )
  }
  if (mode === 'poll') {
    throw new ConfigError(
      `sink: ${where} was not created by cdcb, and the poll mode needs a change-log trigger that cdcb adds only to its own tables — ` +
        "observe it read-only with mode: 'logical', or set sink.options.table to another name",
    )
  }
  const { rows } = await target.query<{ name: string }>(
    'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
    [schema, table],
  )
  const columns = new Set(rows.map((row) => row.name))
  const missing = REQUIRED_MARKER.filter((column) => !columns.has(column))
  if (missing.length > 0) {
    throw new ConfigError(
      `sink: ${where} lacks cdcb's marker column(s) ${missing.join(', ')} — the pipeline must carry ` +
        `${REQUIRED_MARKER.join(', ')} (and digest, payload to check content) from the source table`,
    )
  }
  context.log(`postgres: observing ${schema}.${table}, which cdcb did not create, read-only`)
  const identity = await target.query<{ identity: string }>(
    `SELECT c.relreplident AS identity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, table],
  )
  if (identity.rows[0]?.identity !== 'f') {
    context.log(
      `postgres: ${schema}.${table} does not have REPLICA IDENTITY FULL, so its deletes carry only the key and not cdcb's marker: ` +
        `deletes will count as lost. To see them, run ALTER TABLE ${qualified(schema, table)} REPLICA IDENTITY FULL (cdcb does not alter tables it did not create)`,
    )
  }
  if (!columns.has('cdcb_applied_at')) {
    context.log(
      `postgres: ${schema}.${table} has no cdcb_applied_at column, so latency runs to each change's arrival in the target's change stream, not to its apply time`,
    )
  }
}

const C = MARKER_COLUMNS
// The shared contract's names (core's MARKER_COLUMNS), so sinks reading these rows elsewhere find them.
const MARKER_COLUMNS_DDL = `${C.runId} text NOT NULL,
  ${C.key} bigint NOT NULL,
  ${C.seq} bigint NOT NULL,
  ${C.op} "char" NOT NULL,
  ${C.intendedAt} bigint NOT NULL,
  ${C.digest} text NOT NULL,
  ${C.payload} text NOT NULL`

function ownedComment(context: RunContext, what: string, keep = false): string {
  const after = keep ? 'kept after the run (keepTables)' : 'cdcb drops it after the run'
  return `${OWNED}: ${what} created by cdcb run ${context.runId} at ${new Date().toISOString()}; ${after}`
}

/**
 * Takes this run's lease on the server, drops what dead runs left in the
 * database (saying what it held), and refuses a table a live run is using.
 */
async function leaseAndSweep(
  client: pg.Client,
  options: PostgresOptions,
  role: string,
  context: RunContext,
  url: string | undefined,
  table: string | undefined,
): Promise<pg.Client> {
  const lease = await takeLease(options, role, context.runId, url)
  try {
    const where = describeTarget(options, url)
    const { live } = await sweepDeadRuns(client, where, context.runId, context.log, {
      dropSlot,
      dropSubscription,
    })
    const owner = table && live.find((run) => run.tables.includes(table))
    if (owner) {
      const slot = role.split('.')[0]
      throw new ConfigError(
        `${role}: table ${table} at ${where} belongs to run ${owner.runId}, which is still running — ` +
          `two runs cannot share a table; give this one another name with ${slot}.options.table (and the same in every slot)`,
      )
    }
    return lease
  } catch (error) {
    await lease.end().catch(() => {})
    throw error
  }
}

/** `cdcb clean`: what dead runs left in the databases this slot names, dropped unless a dry run. */
export async function clean(slot: Slot, options: PostgresOptions, context: CleanContext): Promise<void> {
  // The target before its publisher: a subscription there holds the slot here (cdcb clean calls the sink first).
  const urls = slot === 'sink' && options.replicateFrom ? [options.url, options.replicateFrom] : [options.url]
  // The publisher's slots, so a subscription whose slot is gone is not called "still applying".
  const publisherSlots =
    slot === 'sink' && options.replicateFrom ? await slotNames(options, options.replicateFrom) : undefined
  for (const url of urls) {
    const where = describeTarget(options, url)
    // One database named twice (source and sink, or the sink's replicateFrom) is cleaned and reported once.
    if (context.cleaned?.has(`postgres ${where}`)) continue
    context.cleaned?.add(`postgres ${where}`)
    const client = await connect(options, slot, {}, url)
    try {
      const { live, dead } = await sweepDeadRuns(
        client,
        where,
        undefined,
        context.log,
        { dropSlot, dropSubscription, publisherSlots },
        context.dryRun,
      )
      if (dead === 0) context.log(`postgres: at ${where}, nothing left by runs that are no longer running`)
      for (const run of live) {
        context.log(`postgres: at ${where}, run ${run.runId} is still running; its objects are left alone`)
      }
    } finally {
      await client.end().catch(() => {})
    }
  }
}

/** Names of cdcb's replication slots at a server; undefined when it cannot be reached (nothing is claimed then). */
async function slotNames(options: PostgresOptions, url: string): Promise<Set<string> | undefined> {
  try {
    const client = await connect(options, 'sink.options.replicateFrom', {}, url)
    try {
      const { rows } = await client.query<{ name: string }>(
        "SELECT slot_name AS name FROM pg_replication_slots WHERE slot_name LIKE 'cdcb\\_%'",
      )
      return new Set(rows.map((row) => row.name))
    } finally {
      await closeClient(client)
    }
  } catch {
    return undefined
  }
}

export async function prepare(
  slot: Slot,
  options: PostgresOptions,
  context: RunContext,
): Promise<Preparation | undefined> {
  if (slot === 'source') return prepareSource(options, context)
  if (slot === 'sink') return prepareSink(options, context)
  return undefined
}

async function prepareSource(options: PostgresOptions, context: RunContext): Promise<Preparation> {
  const { schema, table } = tableOf(options)
  const client = await connect(options, 'source')
  let lease: pg.Client | undefined
  try {
    lease = await leaseAndSweep(client, options, 'source', context, options.url, `${schema}.${table}`)
    if (context.runShard) return await prepareSharedSource(client, lease, options, context)
    const state = await tableState(client, schema, table)
    if (state === 'foreign') refuse('source', options, schema, table)
    let created = false
    if (state === 'absent') {
      await client.query('BEGIN')
      await client.query(
        `CREATE TABLE ${qualified(schema, table)} (${MARKER_COLUMNS_DDL}, PRIMARY KEY (${C.runId}, ${C.key}))`,
      )
      // Deletes then carry the whole old row, marker included, into any change stream read from
      // this table (Debezium's `before`, pgoutput's old tuple), so a CDC sink can attribute them.
      await client.query(`ALTER TABLE ${qualified(schema, table)} REPLICA IDENTITY FULL`)
      await client.query(
        `COMMENT ON TABLE ${qualified(schema, table)} IS ${client.escapeLiteral(ownedComment(context, 'source table', options.keepTables))}`,
      )
      await client.query('COMMIT')
      created = true
    }
    const held = lease
    const steps = created && !options.keepTables ? [dropTableStep('source', schema, table)] : []
    return {
      teardown: async (signal) => {
        try {
          await runUndo(steps, { source: { url: options.url, role: 'source' } }, options, context, signal)
        } finally {
          await closeClient(held, signal)
        }
      },
    }
  } catch (error) {
    await lease?.end().catch(() => {})
    throw error
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The source table of a run split into shards (`--shard`): every shard's
 * source writes into one table (the run id and disjoint keys keep their rows
 * apart). Whichever shard prepares first creates it, under the run's setup
 * lock; the last shard out drops it, if cdcb created it for this run.
 */
async function prepareSharedSource(
  client: pg.Client,
  lease: pg.Client,
  options: PostgresOptions,
  context: RunContext,
): Promise<Preparation> {
  const { schema, table } = tableOf(options)
  await joinShards(lease, context.runId, 'source')
  await withSetupLock(client, context.runId, async () => {
    const state = await tableState(client, schema, table)
    if (state === 'foreign') refuse('source', options, schema, table)
    if (state === 'owned') return
    await client.query('BEGIN')
    await client.query(
      `CREATE TABLE ${qualified(schema, table)} (${MARKER_COLUMNS_DDL}, PRIMARY KEY (${C.runId}, ${C.key}))`,
    )
    await client.query(`ALTER TABLE ${qualified(schema, table)} REPLICA IDENTITY FULL`)
    await client.query(
      `COMMENT ON TABLE ${qualified(schema, table)} IS ${client.escapeLiteral(ownedComment(context, 'source table', options.keepTables))}`,
    )
    await client.query('COMMIT')
  })
  return {
    teardown: async (signal) => {
      try {
        const last = await untilAborted(lease, signal, () => leaveLast(lease, context.runId, 'source'))
        if (last && !options.keepTables)
          await dropRunTables(options, 'source', schema, [table], 'source table', context.runId)
      } catch (error) {
        throw new RuntimeFailure(
          `${redactUrl(describeError(error))}; if no other shard of run ${context.runId} is running, drop by hand at ${describeTarget(options)}: DROP TABLE ${qualified(schema, table)}`,
        )
      } finally {
        await closeClient(lease, signal)
      }
    },
  }
}

/**
 * Drops those of `tables` that cdcb created as `what` for run `runId` (their
 * comment says so), and the target's trigger functions with a target table:
 * a shared table is dropped by the run that made it, whichever shard made it.
 */
async function dropRunTables(
  options: PostgresOptions,
  role: string,
  schema: string,
  tables: string[],
  what: string,
  runId: string,
): Promise<void> {
  const client = await connect(options, role)
  try {
    for (const table of tables) {
      const { rows } = await client.query<{ comment: string | null }>(
        `SELECT obj_description(c.oid, 'pg_class') AS comment FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
        [schema, table],
      )
      const comment = rows[0]?.comment ?? ''
      if (comment.startsWith(`${OWNED}: ${what} created by cdcb run ${runId} `)) {
        await client.query(`DROP TABLE ${qualified(schema, table)}`)
      }
    }
    if (what === 'target table') {
      for (const fn of [`${tables[0]}_cdcb_stamp`, `${tables[0]}_cdcb_log`, `${tables[0]}_cdcb_null_row`]) {
        const { rows } = await client.query<{ comment: string | null }>(
          `SELECT obj_description(p.oid, 'pg_proc') AS comment FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = $2`,
          [schema, fn],
        )
        if (rows[0]?.comment?.includes(`created by cdcb run ${runId} `))
          await client.query(`DROP FUNCTION IF EXISTS ${qualified(schema, fn)}()`)
      }
    }
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The target table: the marker columns and an apply-time stamp. For the poll
 * sink also a change log, because reading the table itself would miss every
 * change overwritten before the next read (and every delete).
 */
async function createTargetTable(
  client: pg.Client,
  schema: string,
  table: string,
  context: RunContext,
  withChangeLog: boolean,
  keep: boolean,
  nullRowDeletes = false,
  undo?: UndoStep[],
) {
  const t = qualified(schema, table)
  const log = qualified(schema, changeLogTable(table))
  const stampFn = qualified(schema, `${table}_cdcb_stamp`)
  const logFn = qualified(schema, `${table}_cdcb_log`)
  const nullRowFn = qualified(schema, `${table}_cdcb_null_row`)
  // Microseconds since the epoch by the target's clock, taken while the change is applied.
  const now = `(extract(epoch from clock_timestamp()) * 1000000)::bigint`
  const comment = client.escapeLiteral(ownedComment(context, 'target table', keep))
  await client.query('BEGIN')
  await client.query(
    `CREATE TABLE ${t} (${MARKER_COLUMNS_DDL}, cdcb_applied_at bigint, PRIMARY KEY (${C.runId}, ${C.key}))`,
  )
  // Deletes in the target's change stream carry the whole old row, marker included.
  await client.query(`ALTER TABLE ${t} REPLICA IDENTITY FULL`)
  await client.query(
    `CREATE FUNCTION ${stampFn}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN NEW.cdcb_applied_at := ${now}; RETURN NEW; END $$`,
  )
  await client.query(
    `CREATE TRIGGER cdcb_stamp BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${stampFn}()`,
  )
  // ALWAYS: also when a replication apply worker writes the row (session_replication_role = replica).
  await client.query(`ALTER TABLE ${t} ENABLE ALWAYS TRIGGER cdcb_stamp`)
  await client.query(`COMMENT ON TABLE ${t} IS ${comment}`)
  await client.query(`COMMENT ON FUNCTION ${stampFn}() IS ${comment}`)
  if (nullRowDeletes) {
    // An upsert (INSERT … ON CONFLICT) fires BEFORE INSERT first; returning NULL skips the whole
    // statement's row, conflict path included, so the NOT NULL columns never see the nulls. Named to
    // fire before cdcb_stamp (triggers of one event fire in name order).
    await client.query(
      `CREATE FUNCTION ${nullRowFn}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.${C.seq} IS NULL THEN
           DELETE FROM ${t} WHERE ${C.runId} = NEW.${C.runId} AND ${C.key} = NEW.${C.key};
           RETURN NULL;
         END IF;
         RETURN NEW;
       END $$`,
    )
    await client.query(
      `CREATE TRIGGER cdcb_null_row BEFORE INSERT ON ${t} FOR EACH ROW EXECUTE FUNCTION ${nullRowFn}()`,
    )
    await client.query(`ALTER TABLE ${t} ENABLE ALWAYS TRIGGER cdcb_null_row`)
    await client.query(`COMMENT ON FUNCTION ${nullRowFn}() IS ${comment}`)
  }
  if (withChangeLog) {
    await client.query(
      `CREATE TABLE ${log} (run_id text NOT NULL, key bigint NOT NULL, seq bigint NOT NULL, op "char" NOT NULL,
         intended_at bigint NOT NULL, digest text NOT NULL, cdcb_applied_at bigint NOT NULL)`,
    )
    await client.query(`CREATE INDEX ON ${log} (run_id, cdcb_applied_at)`)
    // A delete's row already carries the delete's marker (written just before it in the same transaction).
    await client.query(
      `CREATE FUNCTION ${logFn}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           INSERT INTO ${log} VALUES (OLD.run_id, OLD.key, OLD.seq, 'd', OLD.intended_at, '', ${now});
         ELSIF NEW.op <> 'd' THEN
           INSERT INTO ${log} VALUES (NEW.run_id, NEW.key, NEW.seq, NEW.op, NEW.intended_at, NEW.digest, ${now});
         END IF;
         RETURN NULL;
       END $$`,
    )
    await client.query(
      `CREATE TRIGGER cdcb_log AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${logFn}()`,
    )
    await client.query(`ALTER TABLE ${t} ENABLE ALWAYS TRIGGER cdcb_log`)
    await client.query(`COMMENT ON TABLE ${log} IS ${comment}`)
    await client.query(`COMMENT ON FUNCTION ${logFn}() IS ${comment}`)
  }
  await client.query('COMMIT')
  if (!undo || keep) return
  // Functions first, so that undone newest first the tables (and their triggers) go before the functions.
  const functions = [`${table}_cdcb_stamp`]
  if (nullRowDeletes) functions.push(`${table}_cdcb_null_row`)
  if (withChangeLog) functions.push(`${table}_cdcb_log`)
  for (const fn of functions) {
    undo.push({
      on: 'target',
      run: (c) => c.query(`DROP FUNCTION IF EXISTS ${qualified(schema, fn)}()`).then(() => {}),
      byHand: `DROP FUNCTION ${qualified(schema, fn)}()`,
    })
  }
  undo.push(dropTableStep('target', schema, table))
  if (withChangeLog) undo.push(dropTableStep('target', schema, changeLogTable(table)))
}

/** Drops a table if it still carries cdcb's comment. */
function dropTableStep(on: string, schema: string, table: string): UndoStep {
  return {
    on,
    run: async (c) => {
      if ((await tableState(c, schema, table)) === 'owned')
        await c.query(`DROP TABLE ${qualified(schema, table)}`)
    },
    byHand: `DROP TABLE ${qualified(schema, table)}`,
  }
}

/** A publication of the table and a pgoutput slot, both marked as cdcb's, each undone at teardown. */
async function createPublicationAndSlot(
  client: pg.Client,
  on: 'target' | 'publisher',
  publication: string,
  slot: string,
  schema: string,
  table: string,
  context: RunContext,
  undo: UndoStep[],
): Promise<void> {
  await client.query(`CREATE PUBLICATION ${ident(publication)} FOR TABLE ${qualified(schema, table)}`)
  undo.push({
    on,
    run: (c) => c.query(`DROP PUBLICATION IF EXISTS ${ident(publication)}`).then(() => {}),
    byHand: `DROP PUBLICATION ${ident(publication)}`,
  })
  await client.query(
    `COMMENT ON PUBLICATION ${ident(publication)} IS ${client.escapeLiteral(ownedComment(context, 'publication'))}`,
  )
  await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot])
  undo.push({ on, run: (c) => dropSlot(c, slot), byHand: `SELECT pg_drop_replication_slot('${slot}')` })
}

async function prepareSink(options: PostgresOptions, context: RunContext): Promise<Preparation> {
  const { schema, table } = tableOf(options)
  const mode = options.mode ?? DEFAULTS.mode
  const shared = context.runShard !== undefined
  const names = objectNames(context.runId, context.runShard?.index)
  const where = describeTarget(options)
  const undo: UndoStep[] = []
  const leases: pg.Client[] = []
  let joined = false
  const servers = {
    target: { url: options.url, role: 'sink' },
    publisher: { url: options.replicateFrom, role: 'sink.options.replicateFrom' },
  }
  const teardown = async (signal?: AbortSignal) => {
    try {
      // Newest first, in dependency order: the subscription, the slots and publications, the tables, their functions.
      await runUndo(undo.splice(0), servers, options, context, signal)
      // A shard's own slot went above; what the shards share goes with the last one out.
      if (joined) {
        joined = false
        const lease = leases[0]!
        if (await untilAborted(lease, signal, () => leaveLast(lease, context.runId, 'sink')))
          await dropSharedSinkObjects(options, context, schema, table, names.sinkPublication)
      }
    } finally {
      for (const lease of leases.splice(0)) await closeClient(lease, signal)
    }
  }
  if (shared && options.replicateFrom) {
    throw new ConfigError(
      `sink.options.replicateFrom: a run split into shards (--shard) cannot share the subscription cdcb would make for one process — ` +
        'set up the replication yourself and let every shard observe its target (drop replicateFrom), or run in one process',
    )
  }

  const target = await connect(options, 'sink')
  let publisher: pg.Client | undefined
  try {
    leases.push(await leaseAndSweep(target, options, 'sink', context, options.url, `${schema}.${table}`))
    if (mode === 'logical') await requireLogicalWal(target, 'sink', where)
    if (shared) {
      await joinShards(leases[0]!, context.runId, 'sink')
      joined = true
      await withSetupLock(target, context.runId, () =>
        prepareSharedTarget(target, options, context, mode, names.sinkPublication),
      )
      if (mode === 'logical') {
        await target.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [names.sinkSlot])
        undo.push({
          on: 'target',
          run: (c) => dropSlot(c, names.sinkSlot),
          byHand: `SELECT pg_drop_replication_slot('${names.sinkSlot}')`,
        })
      }
      return { teardown }
    }
    const state = await tableState(target, schema, table)
    if (state === 'foreign') await requireObservable(target, options, mode, schema, table, context)
    if (options.replicateFrom) {
      publisher = await connect(options, 'sink.options.replicateFrom', {}, options.replicateFrom)
      leases.push(
        await leaseAndSweep(
          publisher,
          options,
          'sink.options.replicateFrom',
          context,
          options.replicateFrom,
          undefined,
        ),
      )
      await requireLogicalWal(
        publisher,
        'sink.options.replicateFrom',
        describeTarget(options, options.replicateFrom),
      )
      if ((await tableState(publisher, schema, table)) === 'absent') {
        throw new ConfigError(
          `sink.options.replicateFrom: no table ${schema}.${table} at ${describeTarget(options, options.replicateFrom)} — ` +
            'native logical replication matches tables by name; give source and sink the same schema and table',
        )
      }
    }
    if (state === 'absent') {
      await createTargetTable(
        target,
        schema,
        table,
        context,
        mode === 'poll',
        options.keepTables === true,
        options.nullRowDeletes === true,
        undo,
      )
    } else if (mode === 'poll' && (await tableState(target, schema, changeLogTable(table))) !== 'owned') {
      throw new ConfigError(
        `sink: the poll mode reads the change log ${schema}.${changeLogTable(table)}, which the existing table ${schema}.${table} lacks — ` +
          'let cdcb create the table (choose a new sink.options.table) with mode: "poll"',
      )
    }

    if (options.replicateFrom && publisher) {
      const pub = publisher
      // The slot is made here rather than by CREATE SUBSCRIPTION, which would wait forever
      // when both databases share one server.
      await createPublicationAndSlot(pub, 'publisher', names.pipe, names.pipe, schema, table, context, undo)
      await target.query(
        `CREATE SUBSCRIPTION ${ident(names.pipe)} CONNECTION ${target.escapeLiteral(options.replicateFrom)}
         PUBLICATION ${ident(names.pipe)} WITH (create_slot = false, slot_name = ${target.escapeLiteral(names.pipe)}, copy_data = false)`,
      )
      undo.push({
        on: 'target',
        run: (c) => dropSubscription(c, names.pipe),
        byHand: `DROP SUBSCRIPTION ${ident(names.pipe)} (after ALTER SUBSCRIPTION … DISABLE and SET (slot_name = NONE))`,
      })
      await target.query(
        `COMMENT ON SUBSCRIPTION ${ident(names.pipe)} IS ${target.escapeLiteral(ownedComment(context, 'subscription'))}`,
      )
      await waitForSubscription(pub, names.pipe, context)
    }

    if (mode === 'logical') {
      await createPublicationAndSlot(
        target,
        'target',
        names.sinkPublication,
        names.sinkSlot,
        schema,
        table,
        context,
        undo,
      )
    }
  } catch (error) {
    await teardown()
    throw error
  } finally {
    // Nothing holds a connection through the run; the teardown connects afresh.
    await target.end().catch(() => {})
    await publisher?.end().catch(() => {})
  }
  return { teardown }
}

/**
 * What the shards of a run share at the target, made by the first shard to
 * prepare (the caller holds the run's setup lock): the target table (unless it
 * is the source's, or one cdcb did not create, which is only observed) and,
 * in logical mode, the publication each shard's own slot reads.
 */
async function prepareSharedTarget(
  target: pg.Client,
  options: PostgresOptions,
  context: RunContext,
  mode: string,
  publication: string,
): Promise<void> {
  const { schema, table } = tableOf(options)
  const state = await tableState(target, schema, table)
  if (state === 'foreign') await requireObservable(target, options, mode, schema, table, context)
  if (state === 'absent') {
    await createTargetTable(target, schema, table, context, mode === 'poll', options.keepTables === true)
  } else if (mode === 'poll' && (await tableState(target, schema, changeLogTable(table))) !== 'owned') {
    throw new ConfigError(
      `sink: the poll mode reads the change log ${schema}.${changeLogTable(table)}, which the existing table ${schema}.${table} lacks — ` +
        'let cdcb create the table (choose a new sink.options.table) with mode: "poll"',
    )
  }
  if (mode !== 'logical') return
  const { rowCount } = await target.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication])
  if (rowCount === 0) {
    await target.query(`CREATE PUBLICATION ${ident(publication)} FOR TABLE ${qualified(schema, table)}`)
    await target.query(
      `COMMENT ON PUBLICATION ${ident(publication)} IS ${target.escapeLiteral(ownedComment(context, 'publication'))}`,
    )
  }
}

/** The last shard out drops the publication and the target table the run's shards shared, if cdcb made them for this run. */
async function dropSharedSinkObjects(
  options: PostgresOptions,
  context: RunContext,
  schema: string,
  table: string,
  publication: string,
): Promise<void> {
  const client = await connect(options, 'sink')
  try {
    await client.query(`DROP PUBLICATION IF EXISTS ${ident(publication)}`)
  } finally {
    await client.end().catch(() => {})
  }
  if (!options.keepTables) {
    await dropRunTables(
      options,
      'sink',
      schema,
      [table, changeLogTable(table)],
      'target table',
      context.runId,
    )
  }
}

/** Waits until the subscription's walsender streams from the slot, so the run starts with the pipeline live. */
async function waitForSubscription(publisher: pg.Client, slot: string, context: RunContext): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && !context.signal.aborted) {
    const { rows } = await publisher.query<{ active: boolean }>(
      'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    )
    if (rows[0]?.active) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  context.log('postgres: the subscription is not streaming yet after 15s; starting anyway')
}

async function dropSubscription(target: pg.Client, name: string): Promise<void> {
  const exists = await target.query('SELECT 1 FROM pg_subscription WHERE subname = $1', [name])
  if (exists.rowCount === 0) return
  await target.query(`ALTER SUBSCRIPTION ${ident(name)} DISABLE`)
  // The slot lives on the publisher and is dropped there by cdcb.
  await target.query(`ALTER SUBSCRIPTION ${ident(name)} SET (slot_name = NONE)`)
  await target.query(`DROP SUBSCRIPTION ${ident(name)}`)
}

/** Drops a slot this run created, ending its walsender first if it is still attached. */
async function dropSlot(client: pg.Client, slot: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { rows } = await client.query<{ active_pid: number | null }>(
      'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    )
    if (rows.length === 0) return
    const pid = rows[0]!.active_pid
    if (pid === null) {
      try {
        await client.query('SELECT pg_drop_replication_slot($1)', [slot])
        return
      } catch (error) {
        if ((error as { code?: string }).code !== '55006') throw error
      }
    } else if (attempt >= 10) {
      await client.query('SELECT pg_terminate_backend($1)', [pid])
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(
    `replication slot ${slot} is still in use; drop it with SELECT pg_drop_replication_slot('${slot}')`,
  )
}
