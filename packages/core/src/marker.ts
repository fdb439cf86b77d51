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

/** `cdcb1:<runId>:` as UTF-8, for the run id last written (a process writes one run's markers). */
let lastRunId: string | undefined
let lastHead = Buffer.alloc(0)

/**
 * Writes `encodeMarker(marker)` as UTF-8 bytes into `target` at `offset` and returns the offset just after it:
 * for a source that builds its records as bytes, with no marker string per operation. Throws a RangeError
 * when the marker does not fit.
 */
export function writeMarker(marker: Marker, target: Buffer, offset: number): number {
  const intendedAt = Math.round(marker.intendedAt)
  const { seq, digest } = marker
  if (!(Number.isSafeInteger(seq) && seq >= 0 && Number.isSafeInteger(intendedAt) && intendedAt >= 0)) {
    // Not what a run writes; the text form handles it.
    const text = encodeMarker(marker)
    if (offset + Buffer.byteLength(text) > target.length) throw new RangeError('marker does not fit')
    return offset + target.write(text, offset)
  }
  if (marker.runId !== lastRunId) {
    lastRunId = marker.runId
    lastHead = Buffer.from(`${PREFIX}${marker.runId}:`)
  }
  const seqDigits = decimalDigits(seq)
  const atDigits = decimalDigits(intendedAt)
  const end = offset + lastHead.length + seqDigits + 1 + atDigits + 1 + Buffer.byteLength(digest)
  if (end > target.length) throw new RangeError('marker does not fit')
  let at = offset + lastHead.copy(target, offset)
  at = writeDecimal(target, at, seq, seqDigits)
  target[at++] = 0x3a // :
  at = writeDecimal(target, at, intendedAt, atDigits)
  target[at++] = 0x3a
  target.write(digest, at)
  return end
}

function decimalDigits(value: number): number {
  let digits = 1
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++
  return digits
}

/** A non-negative safe integer in `digits` ASCII digits (exact: below 2^53, value / 10 never rounds up to the next integer). */
function writeDecimal(target: Buffer, offset: number, value: number, digits: number): number {
  let rest = value
  for (let i = offset + digits - 1; i >= offset; i--) {
    target[i] = 0x30 + (rest % 10)
    rest = Math.floor(rest / 10)
  }
  return offset + digits
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
