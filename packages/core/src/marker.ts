import type { Marker } from './plugin.js'

/**
 * The marker's compact text form, for plugins that carry it in one field or
 * header: `cdcb1:<runId>:<seq>:<intendedAt µs>:<digest>`.
 */
const PREFIX = 'cdcb1:'

/**
 * The columns in which a table row carries cdcb's marker: what
 * `@cdcb/plugin-postgres`'s source writes, and what sinks that read such rows
 * further down a pipeline (the Kafka sink's `debezium` format, a JDBC sink's
 * target table) read by default. One definition, so the two ends cannot drift.
 */
export const MARKER_COLUMNS = {
  runId: 'run_id',
  /** The operation's key; with `runId` the row's primary key. */
  key: 'key',
  seq: 'seq',
  /** 'i', 'u', or 'd' (the stamp written just before a delete). */
  op: 'op',
  /** Epoch microseconds. */
  intendedAt: 'intended_at',
  /** Empty in the stamp written just before a delete. */
  digest: 'digest',
  payload: 'payload',
} as const

export function encodeMarker(marker: Marker): string {
  return `${PREFIX}${marker.runId}:${marker.seq}:${Math.round(marker.intendedAt)}:${marker.digest}`
}

/** Reads a marker; undefined when the text is not one (foreign traffic is ignored, not an error). */
export function decodeMarker(text: string): Marker | undefined {
  if (!text.startsWith(PREFIX)) return undefined
  const parts = text.slice(PREFIX.length).split(':')
  if (parts.length !== 4) return undefined
  const [runId, seqText, intendedText, digest] = parts as [string, string, string, string]
  const seq = Number(seqText)
  const intendedAt = Number(intendedText)
  if (!Number.isSafeInteger(seq) || seq < 0 || !Number.isFinite(intendedAt)) return undefined
  return { runId, seq, intendedAt, digest }
}
