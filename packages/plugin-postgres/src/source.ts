/**
 * The source: writes each operation into the cdcb-created table with its
 * marker (run id, seq, intended time, payload digest) and the payload derived
 * from `(seed, seq)`.
 *
 * Each worker opens its share of `pool` connections in pg's pipeline mode and
 * routes every key to one connection, so a key's operations reach the server in
 * seq order. `batchSize` operations go in one transaction as multi-row
 * statements (`unnest` arrays); with 1, each operation is its own statement.
 * A delete first writes its marker into the row, then deletes it, in one
 * transaction, so the delete's old row names the delete's seq downstream.
 */
import type { Operation, PluginContext, Source } from '@cdcb/core'
import type pg from 'pg'
import { connect, qualified } from './connect.js'
import { DEFAULTS, type PostgresOptions, tableOf } from './options.js'

interface Statements {
  insertOne: string
  updateOne: string
  markOne: string
  deleteOne: string
  insertMany: string
  updateMany: string
  markMany: string
  deleteMany: string
}

function statements(schema: string, table: string): Statements {
  const t = qualified(schema, table)
  return {
    insertOne: `INSERT INTO ${t} (run_id, key, seq, op, intended_at, digest, payload) VALUES ($1, $2, $3, 'i', $4, $5, $6)`,
    updateOne: `UPDATE ${t} SET seq = $3, op = 'u', intended_at = $4, digest = $5, payload = $6 WHERE run_id = $1 AND key = $2`,
    markOne: `UPDATE ${t} SET seq = $3, op = 'd', intended_at = $4, digest = '' WHERE run_id = $1 AND key = $2`,
    deleteOne: `DELETE FROM ${t} WHERE run_id = $1 AND key = $2`,
    insertMany: `INSERT INTO ${t} (run_id, key, seq, op, intended_at, digest, payload)
      SELECT $1, u.k, u.s, 'i', u.ia, u.d, u.p FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[]) AS u(k, s, ia, d, p)`,
    updateMany: `UPDATE ${t} SET seq = u.s, op = 'u', intended_at = u.ia, digest = u.d, payload = u.p
      FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[]) AS u(k, s, ia, d, p)
      WHERE ${t}.run_id = $1 AND ${t}.key = u.k`,
    markMany: `UPDATE ${t} SET seq = u.s, op = 'd', intended_at = u.ia, digest = ''
      FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS u(k, s, ia) WHERE ${t}.run_id = $1 AND ${t}.key = u.k`,
    deleteMany: `DELETE FROM ${t} WHERE run_id = $1 AND key = ANY($2::bigint[])`,
  }
}

/** A write that changed fewer rows than it should have: the table was changed behind cdcb's back. */
class RowCountError extends Error {
  override readonly name = 'RowCountMismatch'
}

function expectRows(result: pg.QueryResult, expected: number, what: string): void {
  if (result.rowCount !== expected) {
    throw new RowCountError(`${what} changed ${result.rowCount} rows instead of ${expected}`)
  }
}

export async function createPostgresSource(
  options: PostgresOptions,
  context: PluginContext,
): Promise<Source> {
  const { schema, table } = tableOf(options)
  const sql = statements(schema, table)
  const total = options.pool ?? DEFAULTS.pool
  // Shares of the pool: worker i gets floor(total/shards), plus one for the first total % shards.
  const mine = Math.max(
    1,
    Math.floor(total / context.shards) + (context.shard < total % context.shards ? 1 : 0),
  )
  const batchSize = options.batchSize ?? DEFAULTS.batchSize
  const runId = context.runId
  const lanes: pg.Client[] = []
  const counts = { statements: 0, transactions: 0, inserts: 0, updates: 0, deletes: 0 }
  const KIND_COUNTER = { insert: 'inserts', update: 'updates', delete: 'deletes' } as const

  const q = (lane: pg.Client, name: string, text: string, values: unknown[]) => {
    counts.statements++
    return lane.query({ name, text, values })
  }

  /** One operation as its own transaction (single-row mode). */
  const writeOne = (lane: pg.Client, op: Operation): Promise<unknown> => {
    const intendedAt = Math.round(op.intendedAt)
    counts.transactions++
    if (op.kind === 'insert') {
      return q(lane, 'cdcb_ins1', sql.insertOne, [
        runId,
        op.key,
        op.seq,
        intendedAt,
        context.digest(op.seq),
        context.payload(op.seq),
      ]).then((r) => expectRows(r, 1, `insert of key ${op.key}`))
    }
    if (op.kind === 'update') {
      return q(lane, 'cdcb_upd1', sql.updateOne, [
        runId,
        op.key,
        op.seq,
        intendedAt,
        context.digest(op.seq),
        context.payload(op.seq),
      ]).then((r) => expectRows(r, 1, `update of key ${op.key}`))
    }
    // Pipelined: the four statements leave in one write and come back together.
    return Promise.all([
      lane.query('BEGIN'),
      q(lane, 'cdcb_mark1', sql.markOne, [runId, op.key, op.seq, intendedAt]),
      q(lane, 'cdcb_del1', sql.deleteOne, [runId, op.key]),
      lane.query('COMMIT'),
    ]).then(([, mark, del]) => {
      expectRows(mark, 1, `delete of key ${op.key}`)
      expectRows(del, 1, `delete of key ${op.key}`)
    })
  }

  /** Up to `batchSize` operations in one transaction; keys repeat only across groups, which run in order. */
  const writeMany = (lane: pg.Client, ops: readonly Operation[]): Promise<unknown> => {
    counts.transactions++
    const pending: Promise<unknown>[] = [lane.query('BEGIN')]
    let group: Operation[] = []
    let keys = new Set<number>()
    const flush = () => {
      if (group.length > 0) pending.push(...writeGroup(lane, group))
      group = []
      keys = new Set()
    }
    for (const op of ops) {
      if (keys.has(op.key)) flush()
      group.push(op)
      keys.add(op.key)
    }
    flush()
    pending.push(lane.query('COMMIT'))
    return Promise.all(pending)
  }

  /** Operations on distinct keys: one statement per kind. */
  const writeGroup = (lane: pg.Client, ops: readonly Operation[]): Promise<unknown>[] => {
    const byKind = { insert: [] as Operation[], update: [] as Operation[], delete: [] as Operation[] }
    for (const op of ops) byKind[op.kind].push(op)
    const out: Promise<unknown>[] = []
    for (const kind of ['insert', 'update'] as const) {
      const list = byKind[kind]
      if (list.length === 0) continue
      out.push(
        q(
          lane,
          kind === 'insert' ? 'cdcb_insN' : 'cdcb_updN',
          kind === 'insert' ? sql.insertMany : sql.updateMany,
          [
            runId,
            list.map((op) => op.key),
            list.map((op) => op.seq),
            list.map((op) => Math.round(op.intendedAt)),
            list.map((op) => context.digest(op.seq)),
            list.map((op) => context.payload(op.seq)),
          ],
        ).then((r) => expectRows(r, list.length, `${kind} of ${list.length} rows`)),
      )
    }
    const deletes = byKind.delete
    if (deletes.length > 0) {
      const keys = deletes.map((op) => op.key)
      out.push(
        q(lane, 'cdcb_markN', sql.markMany, [
          runId,
          keys,
          deletes.map((op) => op.seq),
          deletes.map((op) => Math.round(op.intendedAt)),
        ]).then((r) => expectRows(r, deletes.length, `delete of ${deletes.length} rows`)),
        q(lane, 'cdcb_delN', sql.deleteMany, [runId, keys]).then((r) =>
          expectRows(r, deletes.length, `delete of ${deletes.length} rows`),
        ),
      )
    }
    return out
  }

  return {
    async open() {
      for (let i = 0; i < mine; i++) {
        lanes.push(await connect(options, 'source', { pipeline: true }))
      }
    },
    write(ops) {
      // Route by key: the shard owns keys with key % shards === shard, so divide that out first.
      const perLane: Operation[][] = lanes.map(() => [])
      for (const op of ops) perLane[Math.floor(op.key / context.shards) % lanes.length]!.push(op)
      const pending: Promise<unknown>[] = []
      perLane.forEach((laneOps, i) => {
        const lane = lanes[i]!
        if (batchSize === 1) {
          for (const op of laneOps) pending.push(writeOne(lane, op))
        } else {
          for (let from = 0; from < laneOps.length; from += batchSize) {
            const chunk = laneOps.slice(from, from + batchSize)
            pending.push(chunk.length === 1 ? writeOne(lane, chunk[0]!) : writeMany(lane, chunk))
          }
        }
      })
      return Promise.all(pending).then(() => {
        for (const op of ops) counts[KIND_COUNTER[op.kind]]++
      })
    },
    async close() {
      await Promise.all(lanes.map((lane) => lane.end().catch(() => {})))
      lanes.length = 0
    },
    stats: () => ({ ...counts }),
  }
}
