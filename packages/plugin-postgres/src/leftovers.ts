/**
 * What runs that died left on a server, and whether a run is still alive.
 *
 * Every run holds a lease on each server it makes objects on: a shared
 * advisory lock keyed by its run id, on a connection it keeps until its
 * teardown is done. The lock goes when the run's process goes, however it
 * goes (a kill -9 closes its sockets), so a run id with cdcb objects but no
 * lease is dead, and its objects are found by their names (`cdcb_<runId>_…`)
 * and comments (`cdcb:owned: … created by cdcb run <runId> …`).
 */
import { describeError, type LogKind, redactUrl } from '@cdcb/core'
import type pg from 'pg'
import { connect, ident, qualified } from './connect.js'
import type { PostgresOptions } from './options.js'

/** The first key of every lease: "cdcb" in ASCII. */
const LEASE_CLASS = 0x63646362

function leaseKey(runId: string): number {
  const hex = /^[0-9a-f]{1,7}/.exec(runId)?.[0]
  if (hex) return Number.parseInt(hex, 16)
  let hash = 0
  for (const c of runId) hash = (hash * 31 + c.charCodeAt(0)) & 0x0fffffff
  return hash
}

/** Takes this run's lease on a server; end the returned connection once the run's teardown there is done. */
export async function takeLease(
  options: PostgresOptions,
  role: string,
  runId: string,
  url?: string,
): Promise<pg.Client> {
  const client = await connect(options, role, { application_name: `cdcb run ${runId}` }, url)
  await client.query('SELECT pg_advisory_lock_shared($1, $2)', [LEASE_CLASS, leaseKey(runId)])
  return client
}

/** The first key of the locks by which the shards of one run tell whether they are the last one out. */
const SHARDS_CLASS = 0x63646373

/** Key of the presence lock of one run's `role` (source, sink) across its shards. */
function presenceKey(runId: string, role: string): number {
  let hash = 0
  for (const c of `${runId}:${role}`) hash = (hash * 31 + c.charCodeAt(0)) & 0x0fffffff
  return hash
}

/**
 * Says, on the lease's connection, that this shard of run `runId` has `role`
 * on this server; `leaveLast` then tells whether it was the last shard with
 * that role to leave. Each shard prepares on its own, so objects the run's
 * shards share are made by whichever shard gets there first (under
 * `withSetupLock`) and must be dropped only by the last shard out.
 */
export async function joinShards(lease: pg.Client, runId: string, role: string): Promise<void> {
  await lease.query('SELECT pg_advisory_lock_shared($1, $2)', [SHARDS_CLASS, presenceKey(runId, role)])
}

/**
 * Leaves (`joinShards`) and returns whether no other shard of the run still
 * holds `role` here. The shard that gets the exclusive lock after every shard
 * released its shared one is last; it keeps the lock (so no other shard drops
 * at the same time) until its lease connection ends. Two shards leaving at once:
 * the second to try finds the first's lock and leaves the dropping to it.
 */
export async function leaveLast(lease: pg.Client, runId: string, role: string): Promise<boolean> {
  const key = presenceKey(runId, role)
  await lease.query('SELECT pg_advisory_unlock_shared($1, $2)', [SHARDS_CLASS, key])
  const { rows } = await lease.query<{ last: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS last', [
    SHARDS_CLASS,
    key,
  ])
  return rows[0]!.last
}

/**
 * Runs `work` holding run `runId`'s setup lock on this database, so shards
 * preparing at once create a shared object once (the others find it made).
 */
export async function withSetupLock<T>(client: pg.Client, runId: string, work: () => Promise<T>): Promise<T> {
  const key = presenceKey(runId, 'setup')
  await client.query('SELECT pg_advisory_lock($1, $2)', [SHARDS_CLASS, key])
  try {
    return await work()
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [SHARDS_CLASS, key]).catch(() => {})
  }
}

/** One object a run made, with what it holds on to and how to drop it. */
export interface Leftover {
  readonly what: string
  /** Its state worth knowing, e.g. "active". */
  readonly note?: string
  readonly retains?: string
  readonly sql: string
  drop(client: pg.Client): Promise<void>
}

/** cdcb's objects in the connected database, by the run that made them, and whether that run is alive. */
export interface RunObjects {
  readonly runId: string
  readonly live: boolean
  readonly objects: Leftover[]
  /** Tables, as `schema.table`, for telling a run that wants one of them. */
  readonly tables: string[]
}

// A shard's own slot ends in `_s<index>` (objectNames); run ids are lowercase letters and digits.
const NAMED = '^cdcb_([0-9a-z]+)_(sink|pipe)(?:_s[0-9]+)?$'
const OWNED_BY = /created by cdcb run (\S+) /

/**
 * `publisherSlots`: the slots at the publisher of this database's subscriptions, when known, so a subscription
 * whose slot is gone is labelled so (it applies nothing) rather than "still applying".
 */
export async function findRunObjects(
  client: pg.Client,
  dropSlot: (client: pg.Client, slot: string) => Promise<void>,
  dropSubscription: (client: pg.Client, name: string) => Promise<void>,
  publisherSlots?: ReadonlySet<string>,
): Promise<RunObjects[]> {
  const runs = new Map<string, { objects: Leftover[]; tables: string[] }>()
  const of = (runId: string) => {
    const run = runs.get(runId) ?? { objects: [], tables: [] }
    runs.set(runId, run)
    return run
  }
  const subscriptions = await client.query<{
    name: string
    enabled: boolean
    slot: string | null
    worker: number | null
  }>(
    `SELECT s.subname AS name, s.subenabled AS enabled, s.subslotname AS slot,
            (SELECT st.pid FROM pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NULL LIMIT 1) AS worker
       FROM pg_subscription s
      WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.subname ~ $1`,
    [NAMED],
  )
  for (const { name, enabled, slot, worker } of subscriptions.rows) {
    // Only a running apply worker with its slot still there applies anything.
    const note = !enabled
      ? 'disabled'
      : slot === null
        ? 'enabled, without a slot: it applies nothing'
        : publisherSlots && !publisherSlots.has(slot)
          ? `enabled, but its slot ${slot} at the publisher is gone: it applies nothing`
          : worker === null
            ? 'enabled, but no apply worker is running: it applies nothing'
            : 'enabled, still applying changes'
    of(new RegExp(NAMED).exec(name)![1]!).objects.push({
      what: `subscription ${name}`,
      note,
      sql: `ALTER SUBSCRIPTION ${ident(name)} DISABLE; ALTER SUBSCRIPTION ${ident(name)} SET (slot_name = NONE); DROP SUBSCRIPTION ${ident(name)}`,
      drop: (c) => dropSubscription(c, name),
    })
  }
  const slots = await client.query<{ name: string; active: boolean; retained: string | null }>(
    `SELECT slot_name AS name, active,
            pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)) AS retained
       FROM pg_replication_slots WHERE database = current_database() AND slot_name ~ $1`,
    [NAMED],
  )
  for (const { name, active, retained } of slots.rows) {
    of(new RegExp(NAMED).exec(name)![1]!).objects.push({
      what: `replication slot ${name}`,
      note: active ? 'active' : 'inactive',
      retains: retained ? `${retained} of WAL` : undefined,
      sql: `SELECT pg_drop_replication_slot('${name}')`,
      drop: (c) => dropSlot(c, name),
    })
  }
  const publications = await client.query<{ name: string }>(
    'SELECT pubname AS name FROM pg_publication WHERE pubname ~ $1',
    [NAMED],
  )
  for (const { name } of publications.rows) {
    of(new RegExp(NAMED).exec(name)![1]!).objects.push({
      what: `publication ${name}`,
      sql: `DROP PUBLICATION ${ident(name)}`,
      drop: (c) => c.query(`DROP PUBLICATION IF EXISTS ${ident(name)}`).then(() => {}),
    })
  }
  const tables = await client.query<{ schema: string; name: string; comment: string; size: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, obj_description(c.oid, 'pg_class') AS comment,
            pg_size_pretty(pg_total_relation_size(c.oid)) AS size
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND obj_description(c.oid, 'pg_class') LIKE 'cdcb:owned:%'`,
  )
  for (const { schema, name, comment, size } of tables.rows) {
    const runId = OWNED_BY.exec(comment)?.[1]
    if (!runId) continue
    const run = of(runId)
    run.tables.push(`${schema}.${name}`)
    // Kept on purpose (keepTables): reported as the run's, never dropped here.
    if (/keepTables/.test(comment)) continue
    run.objects.push({
      what: `table ${schema}.${name}`,
      retains: size,
      sql: `DROP TABLE ${qualified(schema, name)}`,
      drop: (c) => c.query(`DROP TABLE IF EXISTS ${qualified(schema, name)}`).then(() => {}),
    })
  }
  const functions = await client.query<{ schema: string; name: string; comment: string }>(
    `SELECT n.nspname AS schema, p.proname AS name, obj_description(p.oid, 'pg_proc') AS comment
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE obj_description(p.oid, 'pg_proc') LIKE 'cdcb:owned:%'`,
  )
  for (const { schema, name, comment } of functions.rows) {
    const runId = OWNED_BY.exec(comment)?.[1]
    if (!runId || /keepTables/.test(comment)) continue
    of(runId).objects.push({
      what: `trigger function ${schema}.${name}()`,
      sql: `DROP FUNCTION ${qualified(schema, name)}()`,
      drop: (c) => c.query(`DROP FUNCTION IF EXISTS ${qualified(schema, name)}()`).then(() => {}),
    })
  }
  if (runs.size === 0) return []
  const leases = await client.query<{ key: string }>(
    `SELECT objid::text AS key FROM pg_locks
      WHERE locktype = 'advisory' AND classid = $1::oid AND objsubid = 2 AND granted`,
    [LEASE_CLASS],
  )
  const live = new Set(leases.rows.map((row) => Number(row.key)))
  return [...runs].map(([runId, run]) => ({ runId, live: live.has(leaseKey(runId)), ...run }))
}

/**
 * Drops what dead runs left in the connected database (or only says what, for
 * a dry run); a live run's objects are left alone. Returns the live runs and how many dead ones left something.
 */
export async function sweepDeadRuns(
  client: pg.Client,
  where: string,
  ownRunId: string | undefined,
  log: (line: string, kind?: LogKind) => void,
  helpers: {
    dropSlot: (client: pg.Client, slot: string) => Promise<void>
    dropSubscription: (client: pg.Client, name: string) => Promise<void>
    publisherSlots?: ReadonlySet<string> | undefined
  },
  dryRun = false,
): Promise<{ live: RunObjects[]; dead: number }> {
  const runs = (
    await findRunObjects(client, helpers.dropSlot, helpers.dropSubscription, helpers.publisherSlots)
  ).filter((run) => run.runId !== ownRunId)
  const live: RunObjects[] = []
  let dead = 0
  for (const run of runs) {
    if (run.live) {
      live.push(run)
      continue
    }
    if (run.objects.length === 0) continue
    dead++
    const listed = run.objects.map(describeLeftover).join(', ')
    if (dryRun) {
      log(
        `postgres: at ${where}, run ${run.runId} is no longer running and left: ${listed}; to drop them: ${run.objects.map((o) => o.sql).join('; ')}`,
      )
      continue
    }
    log(
      `postgres: at ${where}, run ${run.runId} is no longer running and left: ${listed} — dropping them`,
      'notice',
    )
    for (const object of run.objects) {
      try {
        await object.drop(client)
      } catch (error) {
        log(
          `postgres: could not drop ${object.what}: ${redactUrl(describeError(error))}; by hand: ${object.sql}`,
        )
      }
    }
  }
  return { live, dead }
}

function describeLeftover(object: Leftover): string {
  const details = [object.note, object.retains && `holds ${object.retains}`].filter(Boolean)
  return details.length > 0 ? `${object.what} (${details.join(', ')})` : object.what
}
