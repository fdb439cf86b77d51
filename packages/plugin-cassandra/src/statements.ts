import { qualified } from './connect.js'

/** The CQL the source and verifier run against cdcb's tables. */
export function statementsFor(keyspace: string, table: string, changeLog?: string) {
  const t = qualified(keyspace, table)
  return {
    upsert: `INSERT INTO ${t} (run_id, bucket, key, seq, op, intended_at, digest, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    delete: `DELETE FROM ${t} WHERE run_id = ? AND bucket = ? AND key = ?`,
    log: changeLog
      ? `INSERT INTO ${qualified(keyspace, changeLog)} (run_id, bucket, written, seq, key, op, intended_at, digest) VALUES (?, ?, now(), ?, ?, ?, ?, ?)`
      : undefined,
  }
}
