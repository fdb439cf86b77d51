import { digestOf, type PluginContext, payloadFor } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import plugin, { postgres } from '../src/index.js'
import { run, sleep, useEmbeddedPostgres } from './server.js'

const server = useEmbeddedPostgres()

/** Operations per kind as PostgreSQL counted them on the source table (deletes also count one marker update). */
async function tableStats(url: string, table: string) {
  const client = await server.client(url)
  await client.query('SELECT pg_stat_force_next_flush()')
  for (let attempt = 0; ; attempt++) {
    const { rows } = await client.query<{ ins: string; upd: string; del: string }>(
      'SELECT n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del FROM pg_stat_user_tables WHERE relname = $1',
      [table],
    )
    const stats = {
      ins: Number(rows[0]?.ins ?? 0),
      upd: Number(rows[0]?.upd ?? 0),
      del: Number(rows[0]?.del ?? 0),
    }
    if (attempt > 20 || stats.ins > 0) return stats
    await sleep(250)
  }
}

/** Source and logical sink on `table`, joined by native logical replication that cdcb sets up. */
function replicated(table: string, source: Partial<Parameters<typeof postgres>[0]> = {}) {
  return {
    source: postgres({ url: server.sourceUrl, table, ...source }),
    sink: postgres({ url: server.targetUrl, table, mode: 'logical', replicateFrom: server.sourceUrl }),
  }
}

describe('a native logical-replication pipeline on one embedded server', () => {
  it('writes the planned operations per kind and the logical sink observes every one', async () => {
    const table = 'counts_events'
    const result = await run({
      ...replicated(table, { pool: 4, keepTables: true }),
      verify: postgres({ url: server.targetUrl, table }),
      workers: 2,
      load: { rate: 300, duration: '3s', keys: 400, seed: 7 },
      slo: { lost: '== 0', verified: '== 100%' },
    })
    const stats = result.plugins.source as { inserts: number; updates: number; deletes: number }
    expect(result.events).toMatchObject({
      sent: 900,
      acked: 900,
      observed: 900,
      lost: 0,
      duplicates: 0,
      errors: 0,
    })
    expect(stats.inserts + stats.updates + stats.deletes).toBe(900)
    // The default mix is 70/20/10; with 400 keys a few inserts turn into updates once keys run out.
    expect(stats.deletes).toBeGreaterThan(40)
    expect(stats.updates).toBeGreaterThan(100)
    // What PostgreSQL counted on the source table matches what cdcb planned and reported.
    expect(await tableStats(server.sourceUrl, table)).toEqual({
      ins: stats.inserts,
      upd: stats.updates + stats.deletes,
      del: stats.deletes,
    })
    expect(result.verification).toMatchObject({ mismatched: 0 })
    expect(result.verification!.checked).toBeGreaterThan(300)
    expect(result.timeBase).toMatch(/target apply time \(trigger clock_timestamp\(\).*clock offset/)
    expect(result.status).toBe('passed')
  })

  it('observes every event in poll mode too, with latency independent of the poll interval', async () => {
    const result = await run({
      source: postgres({ url: server.sourceUrl, table: 'poll_events', batchSize: 20 }),
      sink: postgres({
        url: server.targetUrl,
        table: 'poll_events',
        mode: 'poll',
        pollInterval: '1s',
        replicateFrom: server.sourceUrl,
      }),
      verify: postgres({ url: server.targetUrl, table: 'poll_events' }),
      workers: 2,
      load: { rate: 300, duration: '4s', keys: 400, seed: 8 },
    })
    expect(result.events).toMatchObject({ sent: 1200, observed: 1200, lost: 0, duplicates: 0, errors: 0 })
    expect(result.verification).toMatchObject({ mismatched: 0 })
    expect(result.timeBase).toMatch(/seen by polling/)
    // Polling once a second, cdcb sees a change ~500 ms after it was applied on average,
    // but the latency counts to the apply stamp, not to when the poll came by.
    expect(result.metrics.detect.p50).toBeGreaterThan(200)
    expect(result.metrics.e2e.p50).toBeLessThan(result.metrics.detect.p50)
  })

  it('poll mode reads a lookback window holding more rows than one page to its end, instead of freezing', async () => {
    // 2,500/s with a 10 s lookback: 22,500 change-log rows in the window, more than a poll's 20,000-row page.
    const result = await run({
      source: postgres({ url: server.sourceUrl, table: 'poll_page_events', batchSize: 200, pool: 4 }),
      sink: postgres({
        url: server.targetUrl,
        table: 'poll_page_events',
        mode: 'poll',
        pollInterval: '500ms',
        pollLookback: '10s',
        replicateFrom: server.sourceUrl,
      }),
      workers: 2,
      load: { rate: 2500, duration: '9s', keys: 30_000, mix: { insert: 100 }, seed: 11, drainTimeout: '30s' },
    })
    expect(result.events.errors).toBe(0)
    expect(result.events.sent).toBe(22_500)
    expect(result.events).toMatchObject({ observed: 22_500, lost: 0, unresolved: 0, duplicates: 0 })
  })

  it('counts a 2 s replication stall in the latency and loses nothing', async () => {
    const table = 'stall_events'
    let gap = 0
    const result = await run(
      {
        ...replicated(table),
        workers: 2,
        load: { rate: 200, duration: '6s', keys: 1000, seed: 9 },
      },
      {
        onStart: async (runId) => {
          const target = await server.client(server.targetUrl)
          await sleep(1500)
          await target.query(`ALTER SUBSCRIPTION "cdcb_${runId}_pipe" DISABLE`)
          await sleep(2000)
          await target.query(`ALTER SUBSCRIPTION "cdcb_${runId}_pipe" ENABLE`)
          await sleep(1500)
          // Why the apply stamp and not the commit timestamp: on the subscriber, the commit
          // timestamp of an applied change is the publisher's, so it hides the stall.
          const { rows } = await target.query<{ gap: string }>(
            `SELECT max(cdcb_applied_at - (extract(epoch from pg_xact_commit_timestamp(xmin)) * 1e6)::bigint) AS gap
               FROM ${table} WHERE run_id = $1`,
            [runId],
          )
          gap = Number(rows[0]?.gap ?? 0)
        },
      },
    )
    expect(result.events).toMatchObject({ sent: 1200, observed: 1200, lost: 0 })
    expect(result.metrics.e2e.p99).toBeGreaterThan(1800)
    expect(result.metrics.e2e.max).toBeLessThan(6000)
    expect(gap).toBeGreaterThan(1_500_000)
  })

  it('reopens a lost replication stream and counts nothing twice', async () => {
    const table = 'reconnect_events'
    const logs: string[] = []
    let terminated = 0
    const result = await run(
      {
        ...replicated(table),
        workers: 1,
        load: { rate: 300, duration: '5s', keys: 1000, seed: 13 },
      },
      {
        logs,
        onStart: async (runId) => {
          const target = await server.client(server.targetUrl)
          // Twice, as a target restart or a proxy would: the sink's walsender goes away mid-stream.
          for (const wait of [1500, 1500]) {
            await sleep(wait)
            const { rowCount } = await target.query(
              'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL',
              [`cdcb_${runId}_sink`],
            )
            terminated += rowCount ?? 0
          }
        },
      },
    )
    expect(terminated).toBe(2)
    expect(logs.filter((line) => /replication stream reopened/.test(line))).toHaveLength(2)
    expect(result.events).toMatchObject({ sent: 1500, observed: 1500, lost: 0, duplicates: 0 })
    // The teardown still finds and drops every slot of the run.
    for (const url of [server.sourceUrl, server.targetUrl]) {
      const client = await server.client(url)
      const { rows } = await client.query(
        `SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1`,
        [`cdcb_${result.runId}_%`],
      )
      expect(rows).toEqual([])
    }
  })

  it.each([1, 10])(
    'reopens source connections a failover cut, and measures the pipeline after it (batchSize %i)',
    async (batchSize) => {
      const table = `failover_events_${batchSize}`
      const logs: string[] = []
      let terminated = 0
      const result = await run(
        {
          ...replicated(table, { pool: 4, batchSize }),
          verify: postgres({ url: server.targetUrl, table }),
          workers: 1,
          load: { rate: 300, duration: '5s', keys: 500 },
        },
        {
          logs,
          onStart: async () => {
            await sleep(1500)
            const source = await server.client(server.sourceUrl)
            // cdcb's own write connections, as a failover or a restart would end them.
            const { rowCount } = await source.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = 'cdcb' AND backend_type = 'client backend' AND datname = current_database()
                AND pid <> pg_backend_pid()`,
            )
            terminated = rowCount ?? 0
          },
        },
      )
      expect(terminated).toBe(4)
      expect(logs.join('\n')).toMatch(/postgres source: connection lost .*reopening/)
      expect(logs.join('\n')).toMatch(/postgres source: all 4 connection\(s\) reopened/)
      const { sent, acked, errors, lost, duplicates } = result.events
      expect(acked + errors).toBe(sent)
      // Only what was in flight or routed to a connection while it was down failed; the rest went through.
      expect(errors).toBeGreaterThan(0)
      expect(errors).toBeLessThan(sent * 0.1)
      expect(lost).toBe(0)
      expect(duplicates).toBe(0)
      // A key a failed write touched has an unknown state (the write may have committed): not verified, counted.
      expect(result.verification!.skipped).toBeGreaterThan(0)
      expect(result.verification).toMatchObject({ mismatched: 0 })
      expect(result.verification!.checked).toBeGreaterThan(100)
    },
  )
})

describe('the verifier', () => {
  it('finds a row changed, a row deleted and a deleted row re-inserted behind the pipeline', async () => {
    const table = 'verify_events'
    let runId = ''
    const seed = 11
    await run(
      {
        source: postgres({ url: server.sourceUrl, table, keepTables: true }),
        sink: postgres({
          url: server.targetUrl,
          table,
          mode: 'poll',
          replicateFrom: server.sourceUrl,
          keepTables: true,
        }),
        workers: 1,
        load: { rate: 300, duration: '2s', keys: 200, seed },
      },
      {
        onStart: (id) => {
          runId = id
        },
      },
    )
    // The expected final state: the last change of each key, from the target's change log.
    const target = await server.client(server.targetUrl)
    const last = await target.query<{ key: string; seq: string; op: string }>(
      `SELECT DISTINCT ON (key) key, seq, op FROM ${table}_cdcb_changes WHERE run_id = $1 ORDER BY key, seq DESC`,
      [runId],
    )
    const rows = last.rows.map((r) => ({ key: Number(r.key), exists: r.op !== 'd', seq: Number(r.seq) }))
    const context = {
      runId,
      shard: 0,
      shards: 1,
      seed,
      payloadSize: 100,
      payload: (seq: number) => payloadFor(seed, seq, 100),
      digest: (seq: number) => digestOf(payloadFor(seed, seq, 100)),
    } as unknown as PluginContext
    const verifier = await plugin.createVerifier!({ url: server.targetUrl, table }, context)
    try {
      expect(await verifier.verify(rows)).toEqual({ checked: rows.length, mismatched: 0, mismatches: [] })

      const [changed, deleted] = rows.filter((r) => r.exists).map((r) => r.key)
      const reinserted = rows.find((r) => !r.exists)!.key
      await target.query(`UPDATE ${table} SET payload = 'tampered' WHERE run_id = $1 AND key = $2`, [
        runId,
        changed,
      ])
      await target.query(`DELETE FROM ${table} WHERE run_id = $1 AND key = $2`, [runId, deleted])
      await target.query(
        `INSERT INTO ${table} (run_id, key, seq, op, intended_at, digest, payload) VALUES ($1, $2, 0, 'i', 0, '', '')`,
        [runId, reinserted],
      )
      const report = await verifier.verify(rows)
      expect(report.mismatched).toBe(3)
      expect(report.mismatches).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ key: changed, problem: 'content' }),
          expect.objectContaining({ key: deleted, problem: 'missing' }),
          expect.objectContaining({ key: reinserted, problem: 'unexpected' }),
        ]),
      )
    } finally {
      await verifier.close?.()
    }
  })
})
