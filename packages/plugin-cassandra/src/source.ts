/**
 * The source: writes each operation into cdcb's state table as a full-row
 * upsert (insert and update alike, so a JDBC sink downstream never nulls a
 * column) or a row delete, with cdcb's marker in the row: run id, seq, op,
 * intended time, payload digest. Statements are prepared, so the driver knows
 * each write's partition key and sends it to a replica (token-aware routing).
 *
 * A key's operations are sent one after another (the next when the previous is
 * acknowledged): with server-side timestamps that is what keeps the last write
 * last, and with client-side ones it keeps the change log in seq order per key.
 * With `batchSize` > 1, operations of one partition (bucket) go in unlogged
 * batches, a key at most once per batch (a batch's writes share a timestamp).
 * With `changeLog`, each change is also appended to the change log in the same
 * unlogged batch. With `markDeletes`, a delete's marker is first written into
 * the row (op `d`) and the row deleted once that is acknowledged.
 */
import { digestOf, type Operation, PartialWriteFailure, type PluginContext, type Source } from '@cdcb/core'
import { connect, requestsPerConnection } from './connect.js'
import { type CassandraOptions, DEFAULTS, namesOf } from './options.js'
import { statementsFor } from './statements.js'

export async function createCassandraSource(
  options: CassandraOptions,
  context: PluginContext,
): Promise<Source> {
  const names = namesOf(options)
  const sql = statementsFor(names.keyspace, names.table, names.changeLog)
  const buckets = options.buckets ?? DEFAULTS.buckets
  const batchSize = options.batchSize ?? DEFAULTS.batchSize
  const serverTimestamps = (options.timestamps ?? DEFAULTS.timestamps) === 'server'
  const runId = context.runId
  const markDeletes = options.markDeletes ?? false
  const counts = { inserts: 0, updates: 0, deletes: 0, requests: 0, batches: 0 }
  const KIND = { insert: 'inserts', update: 'updates', delete: 'deletes' } as const
  const OP = { insert: 'i', update: 'u', delete: 'd' } as const
  let client: Awaited<ReturnType<typeof connect>> | undefined
  const slots = new Slots((options.connections ?? DEFAULTS.connections) * requestsPerConnection(options))
  const keyOrder = new KeyOrder()

  /** The statements of one operation: its state write, and its change-log row if there is a log. */
  const queriesOf = (op: Operation): { query: string; params: unknown[] }[] => {
    const bucket = op.key % buckets
    const intendedAt = BigInt(Math.round(op.intendedAt))
    const key = BigInt(op.key)
    const seq = BigInt(op.seq)
    // The payload once: context.digest(seq) would derive it a second time.
    const payload = op.kind === 'delete' ? '' : context.payload(op.seq)
    const digest = op.kind === 'delete' ? '' : digestOf(payload)
    const state =
      op.kind === 'delete'
        ? { query: sql.delete, params: [runId, bucket, key] }
        : { query: sql.upsert, params: [runId, bucket, key, seq, OP[op.kind], intendedAt, digest, payload] }
    if (!sql.log) return [state]
    return [state, { query: sql.log, params: [runId, bucket, seq, key, OP[op.kind], intendedAt, digest] }]
  }

  /** The marker of a delete, written into its row before the delete (`markDeletes`). */
  const markOf = (op: Operation) => ({
    query: sql.upsert,
    params: [
      runId,
      op.key % buckets,
      BigInt(op.key),
      BigInt(op.seq),
      'd',
      BigInt(Math.round(op.intendedAt)),
      '',
      '',
    ],
  })

  /**
   * One request: a single statement, or an unlogged batch of one partition's
   * statements. Waits for a slot first, so no connection is asked for more
   * than `maxRequestsPerConnection` at once (the driver would refuse the
   * request with a BusyConnectionError, a failure the node never saw).
   */
  const request = async (queries: { query: string; params: unknown[] }[]): Promise<unknown> => {
    await slots.acquire()
    try {
      counts.requests++
      if (queries.length === 1)
        return await client!.execute(queries[0]!.query, queries[0]!.params, { prepare: true })
      counts.batches++
      return await client!.batch(queries, { prepare: true, logged: false })
    } finally {
      slots.release()
    }
  }

  const send = async (ops: readonly Operation[]): Promise<void> => {
    const deletes = markDeletes ? ops.filter((op) => op.kind === 'delete') : []
    // The marks first, acknowledged, so every replica and the commit log hold them before the deletes.
    if (deletes.length > 0) await request(deletes.map(markOf))
    await request(ops.length === 1 ? queriesOf(ops[0]!) : ops.flatMap(queriesOf))
    for (const op of ops) counts[KIND[op.kind]]++
  }

  return {
    async open() {
      client = await connect(options, 'source', { keyspace: names.keyspace, serverTimestamps })
    },
    write(ops) {
      if (batchSize === 1 && ops.length === 1) return keyOrder.after([ops[0]!.key], () => send(ops))
      const groups = batchSize === 1 ? ops.map((op) => [op]) : groupByPartition(ops, buckets, batchSize)
      return settleAll(
        groups,
        groups.map((group) =>
          keyOrder.after(
            group.map((op) => op.key),
            () => send(group),
          ),
        ),
      )
    },
    async close() {
      await client?.shutdown().catch(() => {})
    },
    stats: () => ({ ...counts }),
  }
}

/**
 * Resolves when every group's write has settled. When some failed, rejects
 * with a PartialWriteFailure naming only the failed groups' seqs (the first
 * failure as its cause): the other groups were applied, and core counts them
 * as acknowledged, never as errors. When all failed, rejects with the first failure.
 */
async function settleAll(groups: readonly (readonly Operation[])[], pending: Promise<void>[]): Promise<void> {
  const outcomes = await Promise.allSettled(pending)
  let cause: unknown
  const failed = new Set<number>()
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') return
    if (failed.size === 0) cause = outcome.reason
    for (const op of groups[i]!) failed.add(op.seq)
  })
  if (failed.size === 0) return
  if (outcomes.every((o) => o.status === 'rejected')) throw cause
  throw new PartialWriteFailure(failed, cause)
}

/** A counting semaphore: at most `size` holders; the rest wait in arrival order. */
export class Slots {
  private free: number
  private readonly waiting: (() => void)[] = []
  private head = 0

  constructor(size: number) {
    this.free = size
  }

  acquire(): Promise<void> | undefined {
    if (this.free > 0) {
      this.free--
      return undefined
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head]!
      this.waiting[this.head++] = undefined as unknown as () => void
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head)
        this.head = 0
      }
      next()
    } else this.free++
  }
}

/**
 * Splits operations into batches of one partition each, at most `size`
 * operations and each key at most once, keeping every key's seq order
 * (a key's later operation always lands in a later batch).
 */
export function groupByPartition(ops: readonly Operation[], buckets: number, size: number): Operation[][] {
  const open = new Map<number, { ops: Operation[]; keys: Set<number> }>()
  const out: Operation[][] = []
  for (const op of ops) {
    const bucket = op.key % buckets
    let group = open.get(bucket)
    if (!group || group.ops.length >= size || group.keys.has(op.key)) {
      group = { ops: [], keys: new Set() }
      open.set(bucket, group)
      out.push(group.ops)
    }
    group.ops.push(op)
    group.keys.add(op.key)
  }
  return out
}

/**
 * Runs a write after every earlier write of its keys has settled. Memory: one
 * entry per key with a write in flight, never per key written.
 */
export class KeyOrder {
  private readonly last = new Map<number, Promise<void>>()

  after(keys: readonly number[], run: () => Promise<void>): Promise<void> {
    let before: Promise<unknown> | undefined
    for (const key of keys) {
      const previous = this.last.get(key)
      if (previous) before = before ? Promise.all([before, previous]) : previous
    }
    const result = before ? before.then(run, run) : run()
    const settled = result.then(
      () => {},
      () => {},
    )
    for (const key of keys) this.last.set(key, settled)
    void settled.then(() => {
      for (const key of keys) if (this.last.get(key) === settled) this.last.delete(key)
    })
    return result
  }
}
