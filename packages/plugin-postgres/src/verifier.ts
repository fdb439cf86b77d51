/**
 * The verifier: after the drain, compares the final state cdcb expects for each
 * key of the run with the rows of this run in the target table. The expected
 * content of a row is recomputed from its seq (`payload(seq)`), never stored.
 */
import type { ExpectedRow, Mismatch, PluginContext, Verifier } from '@cdcb/core'
import { connect, qualified } from './connect.js'
import { type PostgresOptions, tableOf } from './options.js'

const CHUNK = 5000
const MAX_EXAMPLES = 20

export async function createPostgresVerifier(
  options: PostgresOptions,
  context: PluginContext,
): Promise<Verifier> {
  const { schema, table } = tableOf(options)
  const client = await connect(options, 'verify')
  const sql = `SELECT key, seq, digest, payload FROM ${qualified(schema, table)} WHERE run_id = $1 AND key = ANY($2::bigint[])`
  return {
    async verify(expected) {
      let mismatched = 0
      const mismatches: Mismatch[] = []
      const note = (mismatch: Mismatch) => {
        mismatched++
        if (mismatches.length < MAX_EXAMPLES) mismatches.push(mismatch)
      }
      for (let from = 0; from < expected.length; from += CHUNK) {
        const chunk = expected.slice(from, from + CHUNK)
        const { rows } = await client.query<{ key: string; seq: string; digest: string; payload: string }>({
          text: sql,
          values: [context.runId, chunk.map((row) => row.key)],
          name: 'cdcb_verify',
        })
        const actual = new Map(rows.map((row) => [Number(row.key), row]))
        for (const want of chunk) check(want, actual.get(want.key), note, context)
      }
      return { checked: expected.length, mismatched, mismatches }
    },
    async close() {
      await client.end().catch(() => {})
    },
  }
}

function check(
  want: ExpectedRow,
  row: { seq: string; digest: string; payload: string } | undefined,
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
    return
  }
  if (row.payload !== context.payload(want.seq)) {
    note({
      key: want.key,
      problem: 'content',
      detail: `payload of seq ${want.seq} differs from what was written`,
    })
    return
  }
  if (row.digest !== context.digest(want.seq)) {
    note({
      key: want.key,
      problem: 'content',
      detail: `marker digest ${row.digest}, expected ${context.digest(want.seq)}`,
    })
  }
}
