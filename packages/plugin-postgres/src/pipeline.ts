/**
 * The `pipeline` part of a native logical-replication pipeline: fault actions
 * against the subscription the sink's `replicateFrom` created for this run (or
 * the one `subscription` names), for `faults` in a config.
 *
 * Actions (each resolves when the server has done it):
 * - `disableSubscription` / `enableSubscription`: `ALTER SUBSCRIPTION … DISABLE`
 *   (waits until its apply worker has stopped) and `… ENABLE`; while disabled
 *   the publisher's slot keeps the WAL, so nothing is lost, only delayed;
 * - `terminateWalsender`: ends the publisher's walsender process streaming to
 *   the subscription (`pg_terminate_backend`, waiting up to 5 s for it to exit);
 *   the subscriber's apply worker fails and is restarted by PostgreSQL after
 *   `wal_retrieve_retry_interval` (5 s by default). Needs `replicateFrom`, the
 *   publisher's URL. No undo: PostgreSQL recovers by itself;
 * - `lockTable` / `unlockTable`: holds `LOCK TABLE … IN <mode> MODE` on the
 *   target table (`table`, at `url`) in an open transaction of its own until
 *   `unlockTable`; `args.mode` is a PostgreSQL lock mode, `EXCLUSIVE` by default
 *   (blocks the apply worker's writes, not readers such as the verifier).
 *
 * What it touches: only the subscription and table named above, at the servers
 * the options name. Teardown (also after Ctrl-C or a failed run) releases a
 * lock still held and re-enables a subscription it disabled. After `kill -9` of
 * cdcb, the server releases the lock with the connection; a subscription of the
 * run is dropped by the next run's sweep, but one the config named stays
 * disabled, so setup refuses a disabled subscription and says how to enable it.
 */
import { CdcbError, ConfigError, type Pipeline, type PipelineActionList, type RunContext } from '@cdcb/core'
import type pg from 'pg'
import { connect, ident, qualified } from './connect.js'
import { describeTarget, type PostgresOptions, tableOf } from './options.js'
import { objectNames } from './prepare.js'

/** Lock modes `LOCK TABLE` accepts, in its spelling. */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const

/** How long an action waits for the server (a lock, the apply worker to stop) before it fails. */
const ACTION_WAIT_MS = 10_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** An action's failure: exit 3, one line naming the part, the action and what to do. */
function failure(action: string, message: string): CdcbError {
  return new CdcbError(`postgres pipeline: ${action}: ${message}`, 3)
}

/** The part's fault actions (`faults: [{ action: { pipeline: 'disableSubscription' } }]`), checked with the config. */
export const POSTGRES_PIPELINE_ACTIONS = {
  disableSubscription: { undo: 'enableSubscription' },
  enableSubscription: {},
  terminateWalsender: {},
  lockTable: { undo: 'unlockTable' },
  unlockTable: {},
} as const satisfies PipelineActionList

type Action = (args?: Record<string, unknown>) => Promise<void>

export function createPostgresPipeline(options: PostgresOptions, context: RunContext): Pipeline {
  const own = options.subscription === undefined
  const subscription = options.subscription ?? objectNames(context.runId).pipe
  const { schema, table } = tableOf(options)
  const target = describeTarget(options)
  let slotName: string | undefined
  let disabledByUs = false
  let lockHolder: pg.Client | undefined

  /** Runs `work` on a fresh connection to the target: nothing is held between actions but the lock. */
  const onTarget = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = await connect(options, 'pipeline')
    try {
      return await work(client)
    } finally {
      await client.end().catch(() => {})
    }
  }

  const subscriptionState = (client: pg.Client) =>
    client
      .query<{ enabled: boolean; slot: string | null }>(
        'SELECT subenabled AS enabled, subslotname AS slot FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
        [subscription],
      )
      .then((r) => r.rows[0])

  /** The apply worker's pid at the target, null when none runs. */
  const applyWorker = (client: pg.Client) =>
    client
      .query<{ pid: number | null }>(
        `SELECT s.pid FROM pg_stat_subscription s WHERE s.subname = $1 AND s.relid IS NULL`,
        [subscription],
      )
      .then((r) => r.rows[0]?.pid ?? null)

  const enable = async (client: pg.Client) => {
    await client.query(`ALTER SUBSCRIPTION ${ident(subscription)} ENABLE`)
    disabledByUs = false
  }

  const unlock = async () => {
    const holder = lockHolder
    lockHolder = undefined
    if (!holder) return false
    try {
      await holder.query('ROLLBACK')
    } finally {
      // Ending the connection releases the lock even if the ROLLBACK failed.
      await holder.end().catch(() => {})
    }
    return true
  }

  return {
    async setup() {
      await onTarget(async (client) => {
        const state = await subscriptionState(client)
        if (!state) {
          throw new ConfigError(
            own
              ? `pipeline: no subscription ${subscription} at ${target} — the sink creates it for the run when sink.options.replicateFrom is set and pipeline.options.url is the sink's url; or name an existing one with pipeline.options.subscription`
              : `pipeline.options.subscription: no subscription ${subscription} at ${target} (the database pipeline.options.url names) — fix the name or the url`,
          )
        }
        if (!state.enabled) {
          throw new ConfigError(
            `pipeline.options.subscription: ${subscription} at ${target} is disabled — cdcb disturbs only a running pipeline, and a run killed with kill -9 during a disableSubscription fault leaves it so; enable it with ALTER SUBSCRIPTION ${ident(subscription)} ENABLE`,
          )
        }
        slotName = state.slot ?? undefined
        const exists = await client.query(
          'SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
          [schema, table],
        )
        if (exists.rowCount === 0) {
          context.log(
            `postgres pipeline: no table ${schema}.${table} at ${target}; the lockTable action will fail (set pipeline.options.table)`,
          )
        }
      })
      context.log(`postgres pipeline: acting on subscription ${subscription} at ${target}`)
    },

    actions: {
      async disableSubscription() {
        await onTarget(async (client) => {
          await client.query(`ALTER SUBSCRIPTION ${ident(subscription)} DISABLE`)
          disabledByUs = true
          // The fault starts when replication stops, not when the command returns.
          const deadline = Date.now() + ACTION_WAIT_MS
          while ((await applyWorker(client)) !== null) {
            if (Date.now() > deadline) {
              // It is disabled and applies nothing more; a worker waiting for a lock on its table
              // (as under lockTable) exits only once it gets the lock. The fault stands, and is undone.
              context.log(
                `postgres pipeline: disableSubscription: the apply worker of ${subscription} still runs ${ACTION_WAIT_MS / 1000}s after DISABLE (waiting for a lock?); it stops between transactions`,
              )
              return
            }
            await sleep(20)
          }
        })
      },

      async enableSubscription() {
        await onTarget(enable)
      },

      async terminateWalsender() {
        if (!options.replicateFrom) {
          throw failure(
            'terminateWalsender',
            "the walsender runs at the publisher: set pipeline.options.replicateFrom to its URL (the sink's replicateFrom)",
          )
        }
        if (!slotName) {
          throw failure('terminateWalsender', `subscription ${subscription} has no replication slot`)
        }
        const slot = slotName
        const publisher = await connect(options, 'pipeline.options.replicateFrom', {}, options.replicateFrom)
        try {
          const { rows } = await publisher.query<{ pid: number | null }>(
            'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
            [slot],
          )
          if (rows.length === 0)
            throw failure(
              'terminateWalsender',
              `no replication slot ${slot} at ${describeTarget(options, options.replicateFrom)} — is replicateFrom the subscription's publisher?`,
            )
          const pid = rows[0]!.pid
          if (pid === null)
            throw failure(
              'terminateWalsender',
              `no walsender streams slot ${slot} now (the subscription is not connected)`,
            )
          const done = await publisher.query<{ ok: boolean }>('SELECT pg_terminate_backend($1, 5000) AS ok', [
            pid,
          ])
          if (!done.rows[0]?.ok)
            throw failure('terminateWalsender', `walsender ${pid} of slot ${slot} did not exit within 5s`)
        } finally {
          await publisher.end().catch(() => {})
        }
      },

      async lockTable(args) {
        const mode = String(args?.mode ?? 'EXCLUSIVE').toUpperCase()
        if (!(LOCK_MODES as readonly string[]).includes(mode)) {
          throw failure(
            'lockTable',
            `args.mode "${args?.mode}" is not a lock mode (use one of: ${LOCK_MODES.join(', ')})`,
          )
        }
        if (lockHolder) throw failure('lockTable', `${schema}.${table} is already locked by this run`)
        const holder = await connect(options, 'pipeline')
        try {
          await holder.query(`SET lock_timeout = ${ACTION_WAIT_MS}`)
          await holder.query('BEGIN')
          await holder.query(`LOCK TABLE ${qualified(schema, table)} IN ${mode} MODE`)
        } catch (error) {
          await holder.end().catch(() => {})
          throw failure('lockTable', `${schema}.${table} at ${target}: ${(error as Error).message}`)
        }
        lockHolder = holder
      },

      async unlockTable() {
        await unlock()
      },
    } satisfies Record<keyof typeof POSTGRES_PIPELINE_ACTIONS, Action>,

    async teardown() {
      const problems: string[] = []
      if (await unlock().catch((error: Error) => problems.push(`releasing the lock: ${error.message}`))) {
        context.log(
          `postgres pipeline: released the lock on ${schema}.${table} still held at the end of the run`,
        )
      }
      if (disabledByUs) {
        try {
          await onTarget(async (client) => {
            if (await subscriptionState(client)) await enable(client)
          })
          context.log(
            `postgres pipeline: re-enabled subscription ${subscription}, still disabled at the end of the run`,
          )
        } catch (error) {
          problems.push(
            `re-enabling ${subscription}: ${(error as Error).message}; by hand: ALTER SUBSCRIPTION ${ident(subscription)} ENABLE`,
          )
        }
      }
      if (problems.length) throw new Error(`postgres pipeline teardown: ${problems.join('; ')}`)
    },
  }
}
