/**
 * The postgres pipeline part's fault actions against a real native
 * logical-replication pipeline (one embedded server, two databases), each
 * through `faults` in a config and the public runtime API: the fault shows in
 * result.faults, recovery is measured, nothing is lost, nothing is left behind.
 */
import type { RunResult, UserConfig } from '@cdcb/core'
import { RunControl } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'
import { postgres } from '../src/index.js'
import { createPostgresPipeline } from '../src/pipeline.js'
import { run, sleep, useEmbeddedPostgres } from './server.js'

const server = useEmbeddedPostgres()

const RATE = 200

/** A replicated table with the pipeline part on the subscription the sink sets up, and `faults`. */
function faulted(
  table: string,
  faults: NonNullable<UserConfig['faults']>,
  extra: Partial<UserConfig> = {},
): UserConfig {
  return {
    source: postgres({ url: server.sourceUrl, table }),
    sink: postgres({ url: server.targetUrl, table, mode: 'logical', replicateFrom: server.sourceUrl }),
    pipeline: postgres({ url: server.targetUrl, table, replicateFrom: server.sourceUrl }),
    verify: postgres({ url: server.targetUrl, table }),
    workers: 1,
    load: { rate: RATE, duration: '12s', keys: 2000, drainTimeout: '20s', seed: 3 },
    faults,
    // The baseline is the 3 s before each fault; this machine's p99 swings several-fold between
    // seconds under load, so recovery here is the backlog's, with latency back within 10×.
    recovery: { baseline: '3s', latencyFactor: 10 },
    slo: { lost: '== 0', verified: '== 100%', 'recovery.time': '< 30s' },
    ...extra,
  }
}

/** What a run of the pipeline must show after any of these faults. */
function expectRecoveredWithoutLoss(result: RunResult, name: string) {
  expect(result.faults).toHaveLength(1)
  const [fault] = result.faults
  expect(fault).toMatchObject({ name, error: null })
  expect(fault!.startedAt).not.toBeNull()
  expect(result.events.lost).toBe(0)
  expect(result.events.observed).toBe(result.events.sent)
  expect(result.verification).toMatchObject({ mismatched: 0 })
  const recovery = result.recovery.find((r) => r.label === `fault ${name}`)
  expect(recovery).toBeDefined()
  expect(recovery!.time).not.toBeNull()
  expect(result.status).toBe('passed')
  return { fault: fault!, recovery: recovery! }
}

/** Objects any run left on the server: cdcb's subscriptions, slots, and locks held by other sessions. */
async function leftBehind() {
  const target = await server.client(server.targetUrl)
  const source = await server.client(server.sourceUrl)
  const subs = await target.query<{ subname: string }>(
    "SELECT subname FROM pg_subscription WHERE subname LIKE 'cdcb_%'",
  )
  const slots = await source.query<{ slot_name: string }>(
    "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'cdcb_%'",
  )
  const locks = await target.query<{ relation: string }>(
    `SELECT l.relation::regclass::text AS relation FROM pg_locks l
      WHERE l.locktype = 'relation' AND l.pid <> pg_backend_pid() AND l.relation::regclass::text LIKE '%fault%'`,
  )
  return [
    ...subs.rows.map((r) => `subscription ${r.subname}`),
    ...slots.rows.map((r) => `slot ${r.slot_name}`),
    ...locks.rows.map((r) => `lock on ${r.relation}`),
  ]
}

describe('postgres pipeline part: fault actions on a native logical-replication pipeline', () => {
  it('disables the subscription for 3 s: the backlog builds while it is off, then drains, nothing lost', async () => {
    const result = await run(
      faulted('fault_disable', [
        { at: '4s', for: '3s', action: { pipeline: 'disableSubscription', undo: 'enableSubscription' } },
      ]),
    )
    const { fault, recovery } = expectRecoveredWithoutLoss(result, 'disableSubscription')
    // The undo is planned at at + for.
    expect(fault.endedAt).toBeGreaterThanOrEqual(7)
    // Three seconds of writes piled up while nothing was applied (at least half of them, on a loaded machine).
    expect(recovery.backlogMax).toBeGreaterThan(RATE * 3 * 0.5)
    // Every event written while it was off waited for the enable.
    expect(result.metrics.e2e.max).toBeGreaterThan(2000)
    expect(result.pipeline?.events.map((e) => e.message)).toEqual([
      'disableSubscription',
      'enableSubscription',
    ])
    expect(await leftBehind()).toEqual([])
  })

  it('terminates the walsender: PostgreSQL restarts the apply worker by itself, the gap shows, nothing lost', async () => {
    const walsender = async () => {
      const source = await server.client(server.sourceUrl)
      const { rows } = await source.query<{ pid: number | null }>(
        "SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name LIKE 'cdcb_%_pipe'",
      )
      return rows[0]?.pid ?? null
    }
    let before: number | null = null
    let after: number | null = null
    const result = await run(
      faulted('fault_walsender', [{ at: '4s', action: { pipeline: 'terminateWalsender' } }]),
      {
        onStart: async () => {
          await sleep(2000)
          before = await walsender()
          await sleep(6000)
          after = await walsender()
        },
      },
    )
    expectRecoveredWithoutLoss(result, 'terminateWalsender')
    // Another walsender serves the slot now: the first was ended and the subscription reconnected by itself.
    expect(before).not.toBeNull()
    expect(after).not.toBeNull()
    expect(after).not.toBe(before)
    expect(await leftBehind()).toEqual([])
  })

  it('holds an EXCLUSIVE lock on the target table for 3 s: the apply blocks, then catches up, nothing lost', async () => {
    const result = await run(
      faulted('fault_lock', [
        {
          at: '4s',
          for: '3s',
          action: { pipeline: 'lockTable', undo: 'unlockTable', args: { mode: 'exclusive' } },
        },
      ]),
    )
    const { fault, recovery } = expectRecoveredWithoutLoss(result, 'lockTable')
    expect(fault.endedAt).toBeGreaterThanOrEqual(7)
    expect(recovery.backlogMax).toBeGreaterThan(RATE * 3 * 0.5)
    expect(result.metrics.e2e.max).toBeGreaterThan(2000)
    expect(await leftBehind()).toEqual([])
  })

  it('an interrupted run undoes the faults still in force: no lock held, nothing left', async () => {
    const control = new RunControl()
    const result = await run(
      faulted('fault_stop', [
        {
          name: 'off',
          at: '1s',
          for: '10s',
          action: { pipeline: 'disableSubscription', undo: 'enableSubscription' },
        },
        // Both still in force when the run is stopped at 3 s (a fault past the load's end is refused).
        { name: 'locked', at: '2s', for: '9s', action: { pipeline: 'lockTable', undo: 'unlockTable' } },
      ]),
      {
        onStart: async () => {
          await sleep(3000)
          control.stop()
        },
        control,
      },
    )
    expect(result.status).toBe('interrupted')
    for (const fault of result.faults) {
      expect(fault.error).toBeNull()
      expect(fault.startedAt).not.toBeNull()
      expect(fault.endedAt).not.toBeNull()
    }
    expect(await leftBehind()).toEqual([])
  })
})

describe('postgres pipeline part on a subscription the config names', () => {
  /** A publication, slot and subscription of the test's own, as a user's pipeline would be. */
  async function userPipeline(name: string) {
    const source = await server.client(server.sourceUrl)
    const target = await server.client(server.targetUrl)
    for (const client of [source, target]) await client.query(`CREATE TABLE ${name} (id int PRIMARY KEY)`)
    await source.query(`CREATE PUBLICATION ${name} FOR TABLE ${name}`)
    await source.query(`SELECT pg_create_logical_replication_slot('${name}', 'pgoutput')`)
    await target.query(
      `CREATE SUBSCRIPTION ${name} CONNECTION '${server.sourceUrl}' PUBLICATION ${name} WITH (create_slot = false, slot_name = '${name}')`,
    )
    const enabled = async () =>
      (
        await target.query<{ e: boolean }>('SELECT subenabled AS e FROM pg_subscription WHERE subname = $1', [
          name,
        ])
      ).rows[0]?.e
    const locks = async () =>
      (
        await target.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'relation' AND relation = '${name}'::regclass AND pid <> pg_backend_pid()`,
        )
      ).rowCount
    return { target, enabled, locks }
  }

  const context = (logs: string[]) => ({
    runId: 'feedf00d',
    name: 'test',
    seed: 1,
    shards: 1,
    signal: new AbortController().signal,
    log: (message: string) => logs.push(message),
  })

  it('teardown (what an interrupted or failed run calls) re-enables the subscription and releases the lock', async () => {
    const { target, enabled, locks } = await userPipeline('user_pipe')
    const logs: string[] = []
    const part = createPostgresPipeline(
      { url: server.targetUrl, table: 'user_pipe', subscription: 'user_pipe' },
      context(logs),
    )
    await part.setup!()
    await part.actions!.disableSubscription!()
    await part.actions!.lockTable!({ mode: 'ACCESS EXCLUSIVE' })
    expect(await enabled()).toBe(false)
    expect(await locks()).toBeGreaterThan(0)
    await part.teardown!()
    expect(await enabled()).toBe(true)
    expect(await locks()).toBe(0)
    expect(logs.join('\n')).toMatch(/released the lock on public.user_pipe/)
    expect(logs.join('\n')).toMatch(/re-enabled subscription user_pipe/)
    await target.query('ALTER SUBSCRIPTION user_pipe DISABLE')
    // A disabled subscription (what kill -9 mid-fault leaves) is refused up front, with the command that fixes it.
    const again = createPostgresPipeline({ url: server.targetUrl, subscription: 'user_pipe' }, context([]))
    await expect(again.setup!()).rejects.toThrow(
      /user_pipe at .* is disabled .* ALTER SUBSCRIPTION "user_pipe" ENABLE/,
    )
    // Cleanup of the test's own objects.
    await target.query('ALTER SUBSCRIPTION user_pipe SET (slot_name = NONE)')
    await target.query('DROP SUBSCRIPTION user_pipe')
    const source = await server.client(server.sourceUrl)
    await source.query("SELECT pg_drop_replication_slot('user_pipe')")
  })

  it('refuses a subscription that does not exist, and a lock mode PostgreSQL does not have', async () => {
    const missing = createPostgresPipeline(
      { url: server.targetUrl, subscription: 'no_such_sub' },
      context([]),
    )
    await expect(missing.setup!()).rejects.toThrow(
      /pipeline.options.subscription: no subscription no_such_sub at/,
    )
    const own = createPostgresPipeline({ url: server.targetUrl }, context([]))
    await expect(own.setup!()).rejects.toThrow(
      /no subscription cdcb_feedf00d_pipe .* sink.options.replicateFrom/,
    )
    await expect(own.actions!.lockTable!({ mode: 'TOTAL' })).rejects.toThrow(/"TOTAL" is not a lock mode/)
    await expect(own.actions!.terminateWalsender!()).rejects.toThrow(/set pipeline.options.replicateFrom/)
  })
})
