/**
 * The source: writes each operation into the cdcb-created table with its
 * marker (run id, seq, intended time, payload digest) and the payload derived
 * from `(seed, seq)`.
 *
 * Each worker opens its share of `pool` connections, pipelined, and keeps each
 * key's operations in flight on one connection (see LaneRouter), so they reach
 * the server in seq order. With `batchSize` 1 each operation is its own
 * transaction, sent on cdcb's lean protocol path (PreparedPipeline); larger
 * batches go through pg as multi-row statements (`unnest` arrays), one
 * transaction per batch, where pg's per-query cost is shared by the batch.
 * A delete first writes its marker into the row, then deletes it, in one
 * transaction, so the delete's old row names the delete's seq downstream.
 */

import { digestOf, MARKER_COLUMNS, type Operation, type PluginContext, type Source } from '@cdcb/core'
import type pg from 'pg'
import { connect, qualified, reopenWithBackoff } from './connect.js'
import { DEFAULTS, type PostgresOptions, tableOf } from './options.js'
import { leanSocket, PreparedPipeline } from './prepared-pipeline.js'

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
  // The marker columns by the shared contract (core's MARKER_COLUMNS) that CDC sinks downstream read.
  const { runId, key, seq, op, intendedAt, digest, payload } = MARKER_COLUMNS
  const row = `${runId} = $1 AND ${key} = $2`
  const rows = `${t}.${runId} = $1 AND ${t}.${key} = u.k`
  return {
    insertOne: `INSERT INTO ${t} (${runId}, ${key}, ${seq}, ${op}, ${intendedAt}, ${digest}, ${payload}) VALUES ($1, $2, $3, 'i', $4, $5, $6)`,
    updateOne: `UPDATE ${t} SET ${seq} = $3, ${op} = 'u', ${intendedAt} = $4, ${digest} = $5, ${payload} = $6 WHERE ${row}`,
    markOne: `UPDATE ${t} SET ${seq} = $3, ${op} = 'd', ${intendedAt} = $4, ${digest} = '' WHERE ${row}`,
    deleteOne: `DELETE FROM ${t} WHERE ${row}`,
    insertMany: `INSERT INTO ${t} (${runId}, ${key}, ${seq}, ${op}, ${intendedAt}, ${digest}, ${payload})
      SELECT $1, u.k, u.s, 'i', u.ia, u.d, u.p FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[]) AS u(k, s, ia, d, p)`,
    updateMany: `UPDATE ${t} SET ${seq} = u.s, ${op} = 'u', ${intendedAt} = u.ia, ${digest} = u.d, ${payload} = u.p
      FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[]) AS u(k, s, ia, d, p)
      WHERE ${rows}`,
    markMany: `UPDATE ${t} SET ${seq} = u.s, ${op} = 'd', ${intendedAt} = u.ia, ${digest} = ''
      FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS u(k, s, ia) WHERE ${rows}`,
    deleteMany: `DELETE FROM ${t} WHERE ${runId} = $1 AND ${key} = ANY($2::bigint[])`,
  }
}

/** A write that changed fewer rows than it should have: the table was changed behind cdcb's back. */
class RowCountError extends Error {
  override readonly name = 'RowCountMismatch'
}

function expectRows(changed: number | null, expected: number, what: string): void {
  if (changed !== expected) {
    throw new RowCountError(`${what} changed ${changed} rows instead of ${expected}`)
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
  // One kind or the other, by batchSize: a connection handed to PreparedPipeline is no longer pg's.
  const singleRowLanes: PreparedPipeline[] = []
  const batchLanes: pg.Client[] = []
  const router = new LaneRouter(mine)
  const counts = { statements: 0, transactions: 0, inserts: 0, updates: 0, deletes: 0 }
  const KIND_COUNTER = { insert: 'inserts', update: 'updates', delete: 'deletes' } as const

  const q = (lane: pg.Client, name: string, text: string, values: unknown[]) => {
    counts.statements++
    return lane.query({ name, text, values })
  }

  /** One operation as its own transaction (single-row mode); resolves with each statement's changed rows. */
  const writeOne = (lane: PreparedPipeline, op: Operation): Promise<number[]> => {
    const intendedAt = Math.round(op.intendedAt)
    counts.transactions++
    if (op.kind !== 'delete') {
      counts.statements++
      const payload = context.payload(op.seq)
      const statement = op.kind === 'insert' ? 'insertOne' : 'updateOne'
      return lane.run([
        { statement, values: [runId, op.key, op.seq, intendedAt, digestOf(payload), payload] },
      ])
    }
    counts.statements += 2
    return lane.run([
      { statement: 'markOne', values: [runId, op.key, op.seq, intendedAt] },
      { statement: 'deleteOne', values: [runId, op.key] },
    ])
  }

  /** Every statement of a single-row write changes exactly its one row (a delete: marks it, then deletes it). */
  const checkOne = (op: Operation, changed: readonly number[]): void => {
    for (const rows of changed) expectRows(rows, 1, `${op.kind} of key ${op.key}`)
  }

  /** The closed model's path, once per operation, so it allocates and chains as little as it can. */
  const writeSingle = (op: Operation): Promise<void> => {
    const i = router.assign(op.key)
    return writeOne(singleRowLanes[i]!, op).then(
      (changed) => {
        router.release(op.key, i)
        checkOne(op, changed)
        counts[KIND_COUNTER[op.kind]]++
      },
      (error: unknown) => {
        router.release(op.key, i)
        throw error
      },
    )
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
      const payloads = list.map((op) => context.payload(op.seq))
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
            payloads.map(digestOf),
            payloads,
          ],
        ).then((r) => expectRows(r.rowCount, list.length, `${kind} of ${list.length} rows`)),
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
        ]).then((r) => expectRows(r.rowCount, deletes.length, `delete of ${deletes.length} rows`)),
        q(lane, 'cdcb_delN', sql.deleteMany, [runId, keys]).then((r) =>
          expectRows(r.rowCount, deletes.length, `delete of ${deletes.length} rows`),
        ),
      )
    }
    return out
  }

  /** Sends `ops` with their keys' lanes; `send` is called once per lane with that lane's share. */
  const writeRouted = <Lane>(
    lanes: readonly Lane[],
    ops: readonly Operation[],
    send: (lane: Lane, laneOps: Operation[]) => Promise<unknown>[],
  ): Promise<void> => {
    const perLane: Operation[][] = lanes.map(() => [])
    const laneOf: number[] = []
    for (const op of ops) {
      const i = router.assign(op.key)
      laneOf.push(i)
      perLane[i]!.push(op)
    }
    const pending: Promise<unknown>[] = []
    perLane.forEach((laneOps, i) => {
      if (laneOps.length > 0) pending.push(...send(lanes[i]!, laneOps))
    })
    const release = () => {
      for (let index = 0; index < ops.length; index++) router.release(ops[index]!.key, laneOf[index]!)
    }
    return Promise.all(pending).then(
      () => {
        release()
        for (const op of ops) counts[KIND_COUNTER[op.kind]]++
      },
      (error: unknown) => {
        // Settle the rest first, so no key is released while its operations are still in flight.
        return Promise.allSettled(pending).then(() => {
          release()
          throw error
        })
      },
    )
  }

  let closing = false
  /** Lanes whose connection was lost and is being reopened; writes routed to them fail meanwhile. */
  const down = new Set<number>()

  /** Opens lane `i` (or replaces a lost one) and watches its connection. */
  const openLane = async (i: number): Promise<void> => {
    if (batchSize === 1) {
      const client = await connect(options, 'source', {
        stream: leanSocket as unknown as pg.ClientConfig['stream'],
      })
      const lane = await PreparedPipeline.open(client, {
        insertOne: sql.insertOne,
        updateOne: sql.updateOne,
        markOne: sql.markOne,
        deleteOne: sql.deleteOne,
      }).catch(async (error: unknown) => {
        await client.end().catch(() => {})
        throw error
      })
      singleRowLanes[i] = lane
      void lane.whenClosed.then((why) => reopen(i, why.message))
    } else {
      const client = await connect(options, 'source', {
        pipeline: true,
        // A generic plan made while the table was still empty joins the unnest() rows to
        // the table by a sequential scan, and keeps doing so as it grows.
        options: '-c plan_cache_mode=force_custom_plan',
      })
      batchLanes[i] = client
      client.once('end', () => reopen(i, 'the connection closed'))
    }
  }

  /**
   * A lost connection (server restart, failover, terminated backend) is
   * reopened with backoff while the run goes on: the operations in flight on
   * it and those routed to it meanwhile fail and count as errors, and the
   * rest of the run measures the recovered pipeline, as in a failover test.
   */
  const reopen = async (i: number, why: string): Promise<void> => {
    if (closing || down.has(i)) return
    if (down.size === 0) {
      context.log(
        `postgres source: connection lost (${why}); reopening — writes on a lost connection fail until it is back`,
      )
    }
    down.add(i)
    const attempts = await reopenWithBackoff(
      () => openLane(i),
      () => closing,
      (error) => {
        // One lane speaks for all that are down, so an outage of the whole pool logs once.
        if (i === Math.min(...down))
          context.log(`postgres source: reopening failed: ${error.message}; retrying`)
      },
    )
    down.delete(i)
    if (attempts === undefined) return
    if (down.size === 0) context.log(`postgres source: all ${mine} connection(s) reopened`)
    if (closing) await closeLane(i)
  }

  const closeLane = async (i: number): Promise<void> => {
    await (singleRowLanes[i]?.close() ?? batchLanes[i]?.end().catch(() => {}))
  }

  return {
    async open() {
      for (let i = 0; i < mine; i++) await openLane(i)
    },
    write(ops) {
      if (batchSize === 1) {
        if (ops.length === 1) return writeSingle(ops[0]!)
        return writeRouted(singleRowLanes, ops, (lane, laneOps) =>
          laneOps.map((op) => writeOne(lane, op).then((changed) => checkOne(op, changed))),
        )
      }
      return writeRouted(batchLanes, ops, (lane, laneOps) => {
        const written: Promise<unknown>[] = []
        // pg writes each query with its own syscall; corking the socket sends this lane's share in one.
        const socket = socketOf(lane)
        socket.cork()
        for (let from = 0; from < laneOps.length; from += batchSize) {
          written.push(writeMany(lane, laneOps.slice(from, from + batchSize)))
        }
        socket.uncork()
        return written
      })
    },
    async close() {
      closing = true
      await Promise.all(Array.from({ length: mine }, (_, i) => closeLane(i)))
      singleRowLanes.length = 0
      batchLanes.length = 0
    },
    stats: () => ({ ...counts }),
  }
}

/** The connection's socket: pg writes each query with its own syscall unless it is corked. */
function socketOf(client: pg.Client): { cork(): void; uncork(): void } {
  return (client as unknown as { connection: { stream: { cork(): void; uncork(): void } } }).connection.stream
}

/**
 * Chooses a connection for each operation. A key with operations in flight
 * stays on their connection, so its operations reach the server in seq order
 * (a pipelined connection answers in order); any other key goes to the
 * connection with the least in flight. Fixed routing (key % pool) would leave
 * about a third of the connections idle under a closed model's 32 writers.
 * Memory: one entry per key in flight, never per key written.
 */
class LaneRouter {
  private readonly load: number[]
  private readonly byKey = new Map<number, { lane: number; count: number }>()

  constructor(lanes: number) {
    this.load = new Array(lanes).fill(0)
  }

  assign(key: number): number {
    const entry = this.byKey.get(key)
    let lane: number
    if (entry) {
      entry.count++
      lane = entry.lane
    } else {
      lane = 0
      for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[lane]!) lane = i
      this.byKey.set(key, { lane, count: 1 })
    }
    this.load[lane]!++
    return lane
  }

  release(key: number, lane: number): void {
    this.load[lane]!--
    const entry = this.byKey.get(key)
    if (entry && --entry.count === 0) this.byKey.delete(key)
  }
}
