/**
 * Just enough of PostgreSQL's streaming replication protocol and the pgoutput
 * plugin's messages (protocol version 1, text tuples) to follow one table:
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */

/** Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01). */
export const PG_EPOCH_MICROS = 946_684_800_000_000n

export interface Relation {
  readonly id: number
  readonly schema: string
  readonly table: string
  readonly columns: readonly string[]
}

/** A row change: column values as text (null for SQL NULL or an unchanged TOAST value). */
export interface RowChange {
  readonly kind: 'insert' | 'update' | 'delete'
  readonly relation: number
  readonly values: readonly (string | null)[]
}

export type LogicalMessage =
  | { readonly type: 'begin'; readonly finalLsn: bigint; readonly commitTime: bigint }
  | { readonly type: 'commit'; readonly endLsn: bigint }
  | { readonly type: 'origin'; readonly name: string }
  | { readonly type: 'relation'; readonly relation: Relation }
  | ({ readonly type: 'change' } & RowChange)
  | { readonly type: 'other' }

class Reader {
  offset = 0
  constructor(readonly buffer: Buffer) {}
  byte(): number {
    return this.buffer[this.offset++]!
  }
  int16(): number {
    const v = this.buffer.readInt16BE(this.offset)
    this.offset += 2
    return v
  }
  int32(): number {
    const v = this.buffer.readInt32BE(this.offset)
    this.offset += 4
    return v
  }
  int64(): bigint {
    const v = this.buffer.readBigInt64BE(this.offset)
    this.offset += 8
    return v
  }
  string(): string {
    const end = this.buffer.indexOf(0, this.offset)
    const v = this.buffer.toString('utf8', this.offset, end)
    this.offset = end + 1
    return v
  }
  tuple(): (string | null)[] {
    const n = this.int16()
    const values: (string | null)[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const kind = this.byte()
      if (kind === 0x74 /* t */ || kind === 0x62 /* b */) {
        const length = this.int32()
        values[i] = this.buffer.toString('utf8', this.offset, this.offset + length)
        this.offset += length
      } else values[i] = null
    }
    return values
  }
}

/** Decodes one pgoutput message (the payload of an XLogData frame). */
export function decodeLogical(payload: Buffer): LogicalMessage {
  const r = new Reader(payload)
  const tag = String.fromCharCode(r.byte())
  switch (tag) {
    case 'B': {
      const finalLsn = r.int64()
      const commitTime = r.int64() + PG_EPOCH_MICROS
      return { type: 'begin', finalLsn, commitTime }
    }
    case 'C': {
      r.byte()
      r.int64()
      const endLsn = r.int64()
      return { type: 'commit', endLsn }
    }
    case 'O': {
      r.int64()
      return { type: 'origin', name: r.string() }
    }
    case 'R': {
      const id = r.int32()
      const schema = r.string()
      const table = r.string()
      r.byte()
      const n = r.int16()
      const columns: string[] = []
      for (let i = 0; i < n; i++) {
        r.byte()
        columns.push(r.string())
        r.int32()
        r.int32()
      }
      return { type: 'relation', relation: { id, schema, table, columns } }
    }
    case 'I': {
      const relation = r.int32()
      r.byte() // N
      return { type: 'change', kind: 'insert', relation, values: r.tuple() }
    }
    case 'U': {
      const relation = r.int32()
      let marker = String.fromCharCode(r.byte())
      if (marker === 'K' || marker === 'O') {
        r.tuple()
        marker = String.fromCharCode(r.byte())
      }
      return { type: 'change', kind: 'update', relation, values: r.tuple() }
    }
    case 'D': {
      const relation = r.int32()
      r.byte() // K or O: with REPLICA IDENTITY FULL, O and the whole old row
      return { type: 'change', kind: 'delete', relation, values: r.tuple() }
    }
    default:
      return { type: 'other' }
  }
}

/** A frame of the replication stream (CopyData payload). */
export type StreamFrame =
  | { readonly type: 'xlog'; readonly walStart: bigint; readonly payload: Buffer }
  | { readonly type: 'keepalive'; readonly walEnd: bigint; readonly replyRequested: boolean }
  | { readonly type: 'unknown' }

export function decodeFrame(chunk: Buffer): StreamFrame {
  const tag = chunk[0]
  if (tag === 0x77 /* w */) {
    return { type: 'xlog', walStart: chunk.readBigUInt64BE(1), payload: chunk.subarray(25) }
  }
  if (tag === 0x6b /* k */) {
    return { type: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk[17] === 1 }
  }
  return { type: 'unknown' }
}

/**
 * Standby status update: everything up to `lsn` is processed and may be released. With `replyRequested`
 * the walsender answers at once with a keepalive.
 */
export function statusUpdate(lsn: bigint, nowMicros: number, replyRequested = false): Buffer {
  const out = Buffer.alloc(34)
  out[0] = 0x72 // r
  out.writeBigUInt64BE(lsn, 1)
  out.writeBigUInt64BE(lsn, 9)
  out.writeBigUInt64BE(lsn, 17)
  out.writeBigInt64BE(BigInt(Math.round(nowMicros)) - PG_EPOCH_MICROS, 25)
  out[33] = replyRequested ? 1 : 0
  return out
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`
}
