/**
 * What the logical sink reports when a pipeline applies a Cassandra source's
 * `markDeletes` writes through an upserting JDBC sink into a target with
 * `nullRowDeletes`: a delete's marker (an upsert with op `d`) and then a row of
 * nulls (the delete). When the delete fails at the source after its marker was
 * written, only the marker arrives: the sink must not report it as the delete,
 * or the run would count that seq both as a write error and as observed.
 */
import { digestOf } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import plugin from '../src/index.js'
import { pluginContexts, sleep, useEmbeddedPostgres } from './server.js'

const server = useEmbeddedPostgres()

const runId = 'nullrow1'
describe('a target with nullRowDeletes, written as an upserting JDBC sink writes it', () => {
  it('reports a delete once its row of nulls arrives, never its marker alone', async () => {
    const table = 'null_row_events'
    const options = { url: server.targetUrl, table, mode: 'logical' as const, nullRowDeletes: true }
    const { run, plugin: context } = pluginContexts(runId, 'null-row-deletes')
    const prepared = await plugin.prepare!('sink', options, run)
    const sink = await plugin.createSink!(options, context)
    const seen: { seq: number; key: number }[] = []
    const corrupt: string[] = []
    try {
      await sink.start({
        observe: (seq, key) => void seen.push({ seq, key }),
        corrupt: (_seq, reason) => void corrupt.push(reason),
      })
      const client = await server.client(server.targetUrl)
      const upsert = (key: number, seq: number | null, op: string | null, payload: string | null) =>
        client.query(
          `INSERT INTO ${table} (run_id, key, seq, op, intended_at, digest, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (run_id, key) DO UPDATE SET seq = EXCLUDED.seq, op = EXCLUDED.op,
             intended_at = EXCLUDED.intended_at, digest = EXCLUDED.digest, payload = EXCLUDED.payload`,
          [
            runId,
            key,
            seq,
            op,
            seq === null ? null : Date.now() * 1000,
            payload === null ? null : payload === '' ? '' : digestOf(payload),
            payload,
          ],
        )
      const insert = (key: number, seq: number) => upsert(key, seq, 'i', context.payload(seq))
      // Key 1: inserted (seq 1), then a delete (seq 2) whose marker was written but whose delete failed.
      await insert(1, 1)
      await upsert(1, 2, 'd', '')
      // Key 2: inserted (seq 3), then deleted (seq 4): its marker, then the row of nulls.
      await insert(2, 3)
      await upsert(2, 4, 'd', '')
      await upsert(2, null, null, null)
      // Key 3: inserted after both, so the sink has read past them once it reports seq 5.
      await insert(3, 5)
      const end = Date.now() + 30_000
      while (!seen.some((s) => s.seq === 5) && Date.now() < end) await sleep(100)
      expect(corrupt).toEqual([])
      expect(seen).toEqual([
        { seq: 1, key: 1 },
        { seq: 3, key: 2 },
        { seq: 4, key: 2 },
        { seq: 5, key: 3 },
      ])
      // The failed delete's marked row stays in the target; the completed delete's row is gone.
      const { rows } = await client.query(`SELECT key, seq, op FROM ${table} ORDER BY key`)
      expect(rows.map((r) => [Number(r.key), Number(r.seq), r.op])).toEqual([
        [1, 2, 'd'],
        [3, 5, 'i'],
      ])
      expect(sink.stats?.()).toMatchObject({ inserts: 3, updates: 0, deletes: 1 })
    } finally {
      await sink.stop?.()
      await prepared?.teardown?.()
    }
  })
})
