/**
 * The verifier: after the drain, reads the state table back with token-range
 * scans at the configured consistency and compares each expected key's row of
 * this run with what cdcb wrote last: seq, payload (recomputed from the seq,
 * never stored) and digest. Only rows of the keys asked for are kept (one
 * entry per key, never per event).
 */
import type { ExpectedRow, Mismatch, PluginContext, Verifier } from '@cdcb/core'
import { connect, consistencyOf, qualified } from './connect.js'
import type { CassandraOptions } from './options.js'
import { namesOf } from './options.js'

const MAX_EXAMPLES = 20
const FETCH_SIZE = 5000
/** Murmur3Partitioner's ring: tokens lie in (MIN, MAX]; MIN itself is never a row's token. */
const MIN_TOKEN = -(2n ** 63n)
const MAX_TOKEN = 2n ** 63n - 1n

/** `count` contiguous (start, end] ranges covering the Murmur3 ring. */
export function tokenRanges(count: number): [bigint, bigint][] {
  const span = (MAX_TOKEN - MIN_TOKEN) / BigInt(count)
  const out: [bigint, bigint][] = []
  for (let i = 0; i < count; i++) {
    const start = MIN_TOKEN + span * BigInt(i)
    out.push([start, i === count - 1 ? MAX_TOKEN : start + span])
  }
  return out
}

export async function createCassandraVerifier(
  options: CassandraOptions,
  context: PluginContext,
): Promise<Verifier> {
  const { keyspace, table } = namesOf(options)
  const client = await connect(options, 'verify', { keyspace })
  const local = await client.execute('SELECT partitioner FROM system.local')
  const partitioner = String(local.first()?.get('partitioner') ?? '')
  const query = `SELECT run_id, key, seq, digest, payload FROM ${qualified(keyspace, table)}
    WHERE token(run_id, bucket) > ? AND token(run_id, bucket) <= ?`
  return {
    async verify(expected) {
      if (!/Murmur3Partitioner$/.test(partitioner)) {
        throw new Error(
          `verify: the cluster uses ${partitioner || 'an unknown partitioner'}; token-range scans here assume Murmur3Partitioner`,
        )
      }
      const wanted = new Map<number, ExpectedRow>()
      for (const row of expected) wanted.set(row.key, row)
      const found = new Map<number, { seq: bigint; digest: string; payload: string }>()
      for (const [start, end] of tokenRanges(16)) {
        const result = await client.execute(query, [start, end], {
          prepare: true,
          fetchSize: FETCH_SIZE,
          consistency: consistencyOf(options),
        })
        for await (const row of result) {
          if (row.get('run_id') !== context.runId) continue
          const key = Number(row.get('key') as bigint)
          if (wanted.has(key))
            found.set(key, { seq: row.get('seq'), digest: row.get('digest'), payload: row.get('payload') })
        }
      }
      let mismatched = 0
      const mismatches: Mismatch[] = []
      const note = (m: Mismatch) => {
        mismatched++
        if (mismatches.length < MAX_EXAMPLES) mismatches.push(m)
      }
      for (const want of expected) check(want, found.get(want.key), note, context)
      return { checked: expected.length, mismatched, mismatches }
    },
    async close() {
      await client.shutdown().catch(() => {})
    },
  }
}

function check(
  want: ExpectedRow,
  row: { seq: bigint; digest: string; payload: string } | undefined,
  note: (m: Mismatch) => void,
  context: PluginContext,
): void {
  if (!want.exists) {
    if (row)
      note({
        key: want.key,
        problem: 'unexpected',
        detail: `deleted by seq ${want.seq}, but the row is there (seq ${row.seq})`,
      })
    return
  }
  if (!row) {
    note({ key: want.key, problem: 'missing', detail: `expected the row written by seq ${want.seq}` })
    return
  }
  const seq = Number(row.seq)
  if (seq !== want.seq) {
    note({ key: want.key, problem: 'content', detail: `expected seq ${want.seq}, found seq ${seq}` })
  } else if (row.payload !== context.payload(want.seq)) {
    note({
      key: want.key,
      problem: 'content',
      detail: `payload of seq ${want.seq} differs from what was written`,
    })
  } else if (row.digest !== context.digest(want.seq)) {
    note({
      key: want.key,
      problem: 'content',
      detail: `marker digest ${row.digest}, expected ${context.digest(want.seq)}`,
    })
  }
}
