/**
 * The sink: reads a change log table (one row per change, `PRIMARY KEY
 * ((run_id, bucket), written, seq)`, `written` a timeuuid the coordinator
 * makes with `now()`) and observes every row of this run once. A state table
 * shows only each key's last version, so a sink reading one would miss every
 * change overwritten between two reads and every delete; a change log shows
 * them all. cdcb's source writes one with `changeLog`; a pipeline that ends in
 * Cassandra writes one as its target.
 *
 * Each worker reads its share of the buckets (`bucket % shards === shard`),
 * all in parallel, every `pollInterval`, from 250 ms before the newest
 * `written` it has seen there, and once a second from `pollLookback` before
 * it: a row becomes visible a moment after its timeuuid is taken, and these
 * reads look back for such rows. Re-reading the whole lookback on every read
 * cost the node more than the writes themselves (ack p50 1.6 s instead of
 * 0.2 s at 1,000 events/s here). A row slower than that (a paused node) is
 * found by a sweep of the whole log, made after a read that found nothing new
 * (at most once a second, so at the latest in the drain). A seq seen before is
 * skipped (one bit per seq).
 *
 * `committedAt` is the row's `WRITETIME` (microseconds): the write's
 * timestamp, the coordinator's receive time when the writer lets the server
 * stamp, the writer's clock when it stamps client-side.
 */
import { type Observer, type PluginContext, SeqBitset, type Sink } from '@cdcb/core'
import { connect, consistencyOf, qualified } from './connect.js'
import { type CassandraOptions, DEFAULTS, millis, namesOf } from './options.js'

const FETCH_SIZE = 5000
const SWEEP_SPACING_MS = 1000
/** How far back every read goes: a row's usual delay between its timeuuid and its visibility is far shorter. */
const SHALLOW_LOOKBACK_MS = 250
/** How often a read goes back the full `pollLookback`. */
const DEEP_SPACING_MS = 1000

export const SINK_TIME_BASE =
  'Cassandra WRITETIME of the change-log row (µs): the write timestamp — the coordinator’s receive time with server-side timestamps, the writer’s clock (whole ms) with client-side ones'

export async function createCassandraSink(options: CassandraOptions, context: PluginContext): Promise<Sink> {
  const { keyspace, sinkLog } = namesOf(options)
  const buckets = options.buckets ?? DEFAULTS.buckets
  const intervalMs = millis(options.pollInterval ?? DEFAULTS.pollInterval)
  const lookbackMs = millis(options.pollLookback ?? DEFAULTS.pollLookback)
  const mine: number[] = []
  for (let b = context.shard; b < buckets; b += context.shards) mine.push(b)
  const query = `SELECT written, seq, key, op, intended_at, digest, WRITETIME(intended_at) AS stamp
    FROM ${qualified(keyspace, sinkLog)} WHERE run_id = ? AND bucket = ? AND written >= minTimeuuid(?)`
  const counts = { insert: 0, update: 0, delete: 0, corrupt: 0, reads: 0, sweeps: 0, readErrors: 0 }
  const KIND = { i: 'insert', u: 'update', d: 'delete' } as const
  const seen = new SeqBitset()
  // Per bucket: the newest `written` seen, in epoch milliseconds.
  const newest = mine.map(() => 0)
  const client = await connect(options, 'sink', { keyspace })
  let stopped = false
  let loop: Promise<void> | undefined
  let failing = false

  /** Reads bucket `i` from `back` ms before its newest row (all of it when undefined); resolves with how many rows were new. */
  const readBucket = async (i: number, observer: Observer, back: number | undefined): Promise<number> => {
    const from = back === undefined ? 0 : Math.max(0, newest[i]! - back)
    let fresh = 0
    const result = await client.execute(query, [context.runId, mine[i]!, new Date(from)], {
      prepare: true,
      fetchSize: FETCH_SIZE,
      consistency: consistencyOf(options),
    })
    for await (const row of result) {
      const writtenMs = (row.get('written') as { getDate(): Date }).getDate().getTime()
      if (writtenMs > newest[i]!) newest[i] = writtenMs
      const seq = Number(row.get('seq') as bigint)
      if (seen.testAndSet(seq)) continue
      fresh++
      const op = row.get('op') as keyof typeof KIND
      const digest = row.get('digest') as string | null
      if (!(op in KIND)) {
        counts.corrupt++
        observer.corrupt(seq, `op '${op}' is not i, u or d`)
        continue
      }
      if (op !== 'd' && digest !== context.digest(seq)) {
        counts.corrupt++
        observer.corrupt(seq, `digest ${digest}, expected ${context.digest(seq)}`)
        continue
      }
      counts[KIND[op]]++
      const stamp = row.get('stamp') as bigint | null
      observer.observe(
        seq,
        Number(row.get('key') as bigint),
        Number(row.get('intended_at') as bigint),
        stamp === null ? undefined : Number(stamp),
      )
    }
    return fresh
  }

  const poll = async (observer: Observer): Promise<void> => {
    let quiet = false
    let lastSweep = 0
    let lastDeep = 0
    while (!stopped) {
      const started = Date.now()
      try {
        const sweep: boolean = quiet && started - lastSweep >= SWEEP_SPACING_MS
        const deep = started - lastDeep >= DEEP_SPACING_MS
        const back = sweep ? undefined : deep ? lookbackMs : Math.min(lookbackMs, SHALLOW_LOOKBACK_MS)
        // Buckets in parallel: one read then takes about one partition's time, not the sum.
        const found: number[] = await Promise.all(mine.map((_, i) => readBucket(i, observer, back)))
        counts.reads++
        // Only a round that read every bucket: a node frozen to the end then leaves its rows unresolved, not lost.
        observer.answered?.()
        if (sweep) {
          counts.sweeps++
          lastSweep = started
        }
        if (sweep || deep) lastDeep = started
        quiet = found.every((n) => n === 0)
        if (failing) context.log(`cassandra sink ${context.shard}: reading ${keyspace}.${sinkLog} again`)
        failing = false
      } catch (error) {
        counts.readErrors++
        if (!failing)
          context.log(
            `cassandra sink ${context.shard}: reading ${keyspace}.${sinkLog} failed (${(error as Error).message}); retrying`,
          )
        failing = true
      }
      const wait = intervalMs - (Date.now() - started)
      if (wait > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }

  return {
    timeBase: SINK_TIME_BASE,
    // WRITETIME is a millisecond clock times 1000 (plus a uniqueness counter), whoever stamps it:
    // a write taken in the millisecond its intended time falls in can read up to 999 µs early.
    stampResolutionMicros: 1000,
    async start(observer) {
      loop = poll(observer)
    },
    async stop() {
      stopped = true
      await loop
      await client.shutdown().catch(() => {})
    },
    stats: () => ({ ...counts }),
  }
}
