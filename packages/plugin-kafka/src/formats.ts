/**
 * Record layouts. The source encodes operations; the sink and the verifier
 * decode records back into markers. A record without this run's marker is
 * foreign (another producer, an earlier run) and decodes to undefined: it is
 * ignored, never counted as an error.
 *
 * - `cdcb`: key = the operation key; value `{"cdcb":"<marker>","op":…,"key":…,"payload":…}`,
 *   or the marker in the `cdcb-marker` header (`marker: 'header'`, and always for tombstones).
 * - `debezium`: Debezium's change-event envelope (JSON converter, with or
 *   without schema). The marker is in the row's columns (`run_id`, `seq`,
 *   `intended_at` µs, `digest`, key `id`, `payload`), read from `after` for
 *   c/u/r and from `before` for d. A delete carries its own marker only when the
 *   source stamps the row before deleting it and the table has REPLICA IDENTITY
 *   FULL; the stamp (an update with an empty digest) is skipped. Tombstones are skipped.
 * - `json`: any JSON value, with the marker's fields at configurable paths.
 */
import {
  digestOf,
  digestOfBytes,
  encodeMarker,
  type Marker,
  type Operation,
  type PluginContext,
  writeMarker,
} from '@cdcb/core'
import { debeziumColumns, type ResolvedKafkaOptions } from './options.js'

export const MARKER_HEADER = 'cdcb-marker'

/** A record of this run, read back. */
export interface Decoded {
  readonly seq: number
  readonly key: number
  readonly intendedAt: number
  readonly deleted: boolean
  readonly digest: string
  /** Why the record fails a check (its seq still identifies it). */
  readonly corrupt?: string
  /** Debezium `source.ts_us`/`ts_ms`: when the change committed at the origin database, epoch µs. */
  readonly sourceMicros?: number
  /** Debezium `ts_us`/`ts_ms` of the envelope: when the connector processed the change, epoch µs. */
  readonly processedMicros?: number
  /** Operation kind as the record states it, for per-kind counts. */
  readonly kind: 'insert' | 'update' | 'delete'
}

/**
 * What a decoder needs from a Kafka record (@platformatic/kafka's fetched
 * `KafkaRecord` and consumed `Message` fit). A missing value (`null` or
 * `undefined`) is a tombstone. Headers as the client gives them (a list of
 * [name, value] Buffers, or a Map) or as an object.
 */
export interface RecordLike {
  readonly key?: Buffer | null
  readonly value?: Buffer | null
  readonly headers?:
    | readonly (readonly [Buffer | string | null, Buffer | string | null])[]
    | ReadonlyMap<Buffer | string, Buffer | string>
    | Readonly<Record<string, unknown>>
}

/** A record to produce: strings, serialised by the producer; no value = a tombstone. */
export interface ProducedRecord {
  readonly topic: string
  readonly key: string
  readonly value: string | undefined
  readonly headers?: Readonly<Record<string, string>>
}

export type Decoder = (record: RecordLike) => Decoded | undefined

// ---- encoding (source) -------------------------------------------------------

/** Turns one operation into a Kafka record for `options.topic` in the configured format. */
export type Encoder = (op: Operation, payload: string, digest: string, nowMicros: number) => ProducedRecord

export function createEncoder(options: ResolvedKafkaOptions, context: PluginContext): Encoder {
  const { runId } = context
  const { topic } = options
  const markerOf = (op: Operation, digest: string): Marker => ({
    runId,
    seq: op.seq,
    intendedAt: op.intendedAt,
    digest,
  })
  switch (options.format) {
    case 'cdcb': {
      const inHeader = options.marker === 'header'
      return (op, payload, digest) => {
        const marker = encodeMarker(markerOf(op, op.kind === 'delete' ? '' : digest))
        const key = String(op.key)
        if (op.kind === 'delete' && options.tombstones) {
          return { topic, key, value: undefined, headers: { [MARKER_HEADER]: marker } }
        }
        const body =
          op.kind === 'delete'
            ? `"op":"delete","key":${op.key}`
            : // cdcb payloads are [A-Za-z0-9_-] only (core's payloadFor): nothing to escape in JSON.
              `"op":"${op.kind}","key":${op.key},"payload":"${payload}"`
        return inHeader
          ? { topic, key, value: `{${body}}`, headers: { [MARKER_HEADER]: marker } }
          : { topic, key, value: `{"cdcb":"${marker}",${body}}` }
      }
    }
    case 'debezium': {
      const columns = debeziumColumns(options)
      const withSchema = options.debezium?.schema ?? false
      const rowOf = (op: Operation, payload: string | null, digest: string) => ({
        [columns.key]: op.key,
        [columns.runId]: runId,
        [columns.seq]: op.seq,
        [columns.intendedAt]: Math.round(op.intendedAt),
        [columns.digest]: digest,
        [columns.payload]: payload,
      })
      const valueSchema = withSchema ? debeziumValueSchema(columns) : undefined
      const keySchema = withSchema ? debeziumKeySchema(columns.key) : undefined
      return (op, payload, digest, now) => {
        const deleted = op.kind === 'delete'
        const row = deleted ? rowOf(op, null, '') : rowOf(op, payload, digest)
        const envelope = {
          before: deleted ? row : null,
          after: deleted ? null : row,
          source: {
            version: 'cdcb',
            connector: 'cdcb',
            name: 'cdcb',
            ts_ms: Math.floor(now / 1e3),
            ts_us: Math.floor(now),
            db: 'cdcb',
            schema: 'public',
            table: 'cdcb_events',
          },
          op: deleted ? 'd' : op.kind === 'insert' ? 'c' : 'u',
          ts_ms: Math.floor(now / 1e3),
        }
        const keyBody = { [columns.key]: op.key }
        return {
          topic,
          key: JSON.stringify(keySchema ? { schema: keySchema, payload: keyBody } : keyBody),
          value: JSON.stringify(valueSchema ? { schema: valueSchema, payload: envelope } : envelope),
        }
      }
    }
    case 'json': {
      // A flat row, as Debezium's ExtractNewRecordState or a JDBC sink would see it.
      return (op, payload, digest) => {
        const deleted = op.kind === 'delete'
        const row = {
          id: op.key,
          run_id: runId,
          seq: op.seq,
          intended_at: Math.round(op.intendedAt),
          digest: deleted ? '' : digest,
          payload: deleted ? null : payload,
          __deleted: deleted,
        }
        return { topic, key: String(op.key), value: JSON.stringify(row) }
      }
    }
  }
}

/** A record as the source sends it: `ProducedRecord` with the value as bytes. */
export interface SourceRecord {
  readonly topic: string
  readonly key: string
  readonly value: Buffer | undefined
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * The source's encoder: `createEncoder`'s record for an operation, payload and digest taken from the
 * context, value as the bytes of `createEncoder`'s value. The `cdcb` format writes an insert's or
 * update's value straight into one Buffer (the payload by `context.writePayload`, its digest over
 * those bytes): no string of the payload's size per record, where two such strings per 1 KB record
 * kept a Kafka source's garbage collector at a fifth of its CPU. Other formats and deletes go through
 * `createEncoder` and copy the value once.
 */
export function createSourceEncoder(
  options: ResolvedKafkaOptions,
  context: PluginContext,
): (op: Operation, nowMicros: number) => SourceRecord {
  const encode = createEncoder(options, context)
  const viaStrings = (op: Operation, now: number): SourceRecord => {
    const payload = op.kind === 'delete' ? '' : context.payload(op.seq)
    const record = encode(op, payload, op.kind === 'delete' ? '' : digestOf(payload), now)
    return { ...record, value: record.value === undefined ? undefined : Buffer.from(record.value) }
  }
  if (options.format !== 'cdcb') return viaStrings
  const { runId } = context
  const { topic } = options
  const inHeader = options.marker === 'header'
  const payload = Buffer.allocUnsafe(context.payloadSize)
  // createEncoder's value is `{"cdcb":"<marker>","op":"<kind>","key":<key>,"payload":"<payload>"}`
  // (no "cdcb" field with the marker in a header). Its fixed parts as bytes:
  const open = Buffer.from(inHeader ? '{' : '{"cdcb":"')
  const kinds = {
    insert: Buffer.from(`${inHeader ? '' : '",'}"op":"insert","key":`),
    update: Buffer.from(`${inHeader ? '' : '",'}"op":"update","key":`),
  }
  const payloadOpen = Buffer.from(',"payload":"')
  // The value up to the payload: the marker (run id, two numbers, digest), the kind and the key.
  const head = Buffer.allocUnsafe(256 + Buffer.byteLength(runId))
  return (op, now) => {
    if (op.kind === 'delete') return viaStrings(op, now)
    context.writePayload(op.seq, payload, 0)
    const marker = { runId, seq: op.seq, intendedAt: op.intendedAt, digest: digestOfBytes(payload) }
    const key = String(op.key)
    let at = open.copy(head, 0)
    if (!inHeader) at = writeMarker(marker, head, at)
    at += kinds[op.kind].copy(head, at)
    at += head.write(key, at, 'latin1')
    at += payloadOpen.copy(head, at)
    const value = Buffer.allocUnsafe(at + payload.length + 2)
    head.copy(value, 0, 0, at)
    payload.copy(value, at)
    value[value.length - 2] = 0x22 // "
    value[value.length - 1] = 0x7d // }
    return inHeader
      ? { topic, key, value, headers: { [MARKER_HEADER]: encodeMarker(marker) } }
      : { topic, key, value }
  }
}

function debeziumKeySchema(keyColumn: string) {
  return {
    type: 'struct',
    optional: false,
    name: 'cdcb.public.cdcb_events.Key',
    fields: [{ type: 'int64', optional: false, field: keyColumn }],
  }
}

function debeziumValueSchema(columns: ReturnType<typeof debeziumColumns>) {
  const row = (name: string) => ({
    type: 'struct',
    optional: true,
    name: 'cdcb.public.cdcb_events.Value',
    field: name,
    fields: [
      { type: 'int64', optional: false, field: columns.key },
      { type: 'string', optional: false, field: columns.runId },
      { type: 'int64', optional: false, field: columns.seq },
      { type: 'int64', optional: false, field: columns.intendedAt },
      { type: 'string', optional: false, field: columns.digest },
      { type: 'string', optional: true, field: columns.payload },
    ],
  })
  return {
    type: 'struct',
    optional: false,
    name: 'cdcb.public.cdcb_events.Envelope',
    fields: [
      row('before'),
      row('after'),
      {
        type: 'struct',
        optional: false,
        name: 'io.debezium.connector.postgresql.Source',
        field: 'source',
        fields: [
          { type: 'string', optional: false, field: 'version' },
          { type: 'int64', optional: false, field: 'ts_ms' },
        ],
      },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
    ],
  }
}

// ---- decoding (sink, verifier) -----------------------------------------------

export function createDecoder(options: ResolvedKafkaOptions, context: PluginContext): Decoder {
  switch (options.format) {
    case 'cdcb':
      return cdcbDecoder(context)
    case 'debezium':
      return debeziumDecoder(options, context.runId)
    case 'json':
      return jsonDecoder(options, context)
  }
}

function cdcbDecoder(context: PluginContext): Decoder {
  const valuePrefix = `{"cdcb":"cdcb1:${context.runId}:`
  return (record) => {
    const header = markerHeader(record.headers)
    let markerText: string | undefined
    let text: string | undefined
    if (header !== undefined) markerText = headerText(header)
    else if (record.value) {
      text = record.value.toString('utf8')
      // Foreign records are skipped without parsing: cheap when the topic is shared.
      if (!text.startsWith(valuePrefix)) return undefined
      markerText = text.slice(9, text.indexOf('"', 9))
    }
    if (markerText === undefined) return undefined
    const marker = context.parseMarker(markerText)
    if (!marker) return undefined
    const recordKey = record.key ? Number(record.key.toString('utf8')) : Number.NaN
    if (!record.value) {
      return { ...marker, key: recordKey, deleted: true, kind: 'delete', ...keyCheck(recordKey) }
    }
    text ??= record.value.toString('utf8')
    const body = readCdcbBody(text)
    if (!body) {
      return {
        ...marker,
        key: recordKey,
        deleted: false,
        kind: 'update',
        corrupt: 'value is not a cdcb record',
      }
    }
    const { kind } = body
    const key = body.key ?? recordKey
    const deleted = kind === 'delete'
    if (key !== recordKey) {
      return { ...marker, key, deleted, kind, corrupt: 'record key differs from value key' }
    }
    const corrupt = deleted ? undefined : contentCheck(marker.digest, body.payload).corrupt
    return {
      seq: marker.seq,
      intendedAt: marker.intendedAt,
      digest: marker.digest,
      key,
      deleted,
      kind,
      ...(corrupt === undefined ? {} : { corrupt }),
    }
  }
}

type Kind = Decoded['kind']

/**
 * Reads the body the cdcb source writes (`…"op":"update","key":12,"payload":"…"}`)
 * without JSON.parse, the sink's hottest step; anything else goes through JSON.parse.
 */
export function readCdcbBody(text: string): { kind: Kind; key?: number; payload?: unknown } | undefined {
  const opAt = text.indexOf('"op":"')
  const keyAt = opAt < 0 ? -1 : text.indexOf('","key":', opAt + 6)
  if (keyAt > 0) {
    const kind = text.slice(opAt + 6, keyAt)
    const payloadAt = text.indexOf(',"payload":"', keyAt + 8)
    const keyEnd = payloadAt > 0 ? payloadAt : text.length - 1
    const key = Number(text.slice(keyAt + 8, keyEnd))
    const closed = payloadAt > 0 ? text.endsWith('"}') : text.endsWith('}')
    const payload = payloadAt > 0 ? text.slice(payloadAt + 12, text.length - 2) : undefined
    // Payloads the source writes never contain quotes or backslashes.
    const plain = payload === undefined || (!payload.includes('"') && !payload.includes('\\'))
    if (isKind(kind) && Number.isSafeInteger(key) && closed && plain) return { kind, key, payload }
  }
  try {
    const body = JSON.parse(text) as { op?: unknown; key?: unknown; payload?: unknown }
    return {
      kind: isKind(body.op) ? body.op : 'update',
      key: typeof body.key === 'number' ? body.key : undefined,
      payload: body.payload,
    }
  } catch {
    return undefined
  }
}

function isKind(value: unknown): value is Kind {
  return value === 'insert' || value === 'update' || value === 'delete'
}

function keyCheck(key: number): { corrupt?: string } {
  return Number.isSafeInteger(key) ? {} : { corrupt: 'record key is not an operation key' }
}

/** Checks a payload against the marker's digest: what arrived is what was written. */
function contentCheck(digest: string, payload: unknown): { corrupt?: string } {
  const corrupt = contentProblem(digest, payload)
  return corrupt === undefined ? {} : { corrupt }
}

/** Why a payload fails its digest (undefined when it passes or there is no digest). */
function contentProblem(digest: string, payload: unknown): string | undefined {
  if (digest === '') return undefined
  if (typeof payload !== 'string') return 'payload missing'
  return digestOf(payload) === digest ? undefined : 'payload does not match its digest'
}

/** The `cdcb-marker` header, from [name, value] pairs or a Map of Buffers (as fetched) or an object. */
function markerHeader(headers: RecordLike['headers']): unknown {
  if (!headers) return undefined
  if (Array.isArray(headers) || headers instanceof Map) {
    for (const [name, value] of headers as Iterable<[Buffer | string | null, unknown]>) {
      if (name !== null && (typeof name === 'string' ? name : name.toString('latin1')) === MARKER_HEADER)
        return value
    }
    return undefined
  }
  return (headers as Record<string, unknown>)[MARKER_HEADER]
}

function headerText(value: unknown): string | undefined {
  if (Array.isArray(value)) return headerText(value[0])
  if (Buffer.isBuffer(value)) return value.toString('utf8')
  return typeof value === 'string' ? value : undefined
}

function debeziumDecoder(options: ResolvedKafkaOptions, runId: string): Decoder {
  const columns = debeziumColumns(options)
  const headers = new SchemaHeaders()
  return (record) => {
    if (!record.value) return undefined // tombstone after a delete
    const envelope = parseEnvelope(record.value, runId, headers) as
      | {
          op?: unknown
          before?: unknown
          after?: unknown
          ts_ms?: unknown
          ts_us?: unknown
          source?: { ts_ms?: unknown; ts_us?: unknown }
        }
      | undefined
    if (!envelope) return undefined
    const op = envelope.op
    if (op !== 'c' && op !== 'u' && op !== 'r' && op !== 'd') return undefined
    const row = (op === 'd' ? envelope.before : envelope.after) as Record<string, unknown> | null | undefined
    if (!row || row[columns.runId] !== runId) return undefined
    const seq = toNumber(row[columns.seq])
    const intendedAt = toNumber(row[columns.intendedAt])
    const key = toNumber(row[columns.key])
    const digestValue = row[columns.digest]
    const digest = typeof digestValue === 'string' ? digestValue : ''
    if (op === 'u' && digest === '') return undefined // the stamp a source writes just before a delete
    const deleted = op === 'd'
    const kind = deleted ? 'delete' : op === 'u' ? 'update' : 'insert'
    if (seq === undefined || intendedAt === undefined || key === undefined) {
      if (seq === undefined) return undefined
      return {
        seq,
        key: key ?? -1,
        intendedAt: intendedAt ?? 0,
        digest,
        deleted,
        kind,
        corrupt: `row lacks ${key === undefined ? columns.key : columns.intendedAt}`,
      }
    }
    const source = envelope.source
    const sourceMicros =
      typeof source?.ts_us === 'number'
        ? source.ts_us
        : typeof source?.ts_ms === 'number'
          ? source.ts_ms * 1e3
          : undefined
    const processedMicros =
      typeof envelope.ts_us === 'number'
        ? envelope.ts_us
        : typeof envelope.ts_ms === 'number'
          ? envelope.ts_ms * 1e3
          : undefined
    const corrupt = deleted ? undefined : contentProblem(digest, row[columns.payload])
    // One object shape per record (no spread): the sink's hottest path.
    return corrupt === undefined
      ? { seq, key, intendedAt, digest, deleted, kind, sourceMicros, processedMicros }
      : { seq, key, intendedAt, digest, deleted, kind, sourceMicros, processedMicros, corrupt }
  }
}

const SCHEMA_PREFIX = Buffer.from('{"schema":')
const PAYLOAD_KEY = Buffer.from('},"payload":{')
/** Schemas a decoder remembers: one per table (topic) it reads, in practice. */
const MAX_SCHEMA_HEADERS = 16

/**
 * The first bytes of values seen with the JSON converter's schema, up to and
 * including their first `},"payload":{`. A connector writes the same schema
 * bytes for every record of a table, so a value that starts with a remembered
 * header has its first `},"payload":{` at the same place: a byte compare
 * (memcmp) instead of a search through the schema, which is most of the value.
 * Bounded: at most MAX_SCHEMA_HEADERS copies of a schema, replaced oldest first.
 */
class SchemaHeaders {
  private readonly headers: Buffer[] = []
  private oldest = 0

  /** The offset of the first `},"payload":{` of `bytes` when it starts with a remembered header, else -1. */
  find(bytes: Buffer): number {
    for (const header of this.headers) {
      const n = header.length
      if (bytes.length > n && bytes.compare(header, 0, n, 0, n) === 0) return n - PAYLOAD_KEY.length
    }
    return -1
  }

  /** Remembers `bytes` up to and including the `},"payload":{` at `at` (copied: fetched buffers are reused). */
  remember(bytes: Buffer, at: number): void {
    const header = Buffer.from(bytes.subarray(0, at + PAYLOAD_KEY.length))
    if (this.headers.length < MAX_SCHEMA_HEADERS) this.headers.push(header)
    else {
      this.headers[this.oldest] = header
      this.oldest = (this.oldest + 1) % MAX_SCHEMA_HEADERS
    }
  }
}

/** Whether `bytes` starts with `{"schema":`, without a subarray per record. */
function startsWithSchema(bytes: Buffer): boolean {
  for (let i = 0; i < SCHEMA_PREFIX.length; i++) if (bytes[i] !== SCHEMA_PREFIX[i]) return false
  return true
}

/**
 * Parses a Debezium value of run `runId` and returns its envelope (the
 * `payload` of a value with schema; undefined for another run's or unreadable
 * values). With the JSON converter's schemas the value is
 * `{"schema":{…},"payload":{…}}` and the schema is most of its bytes, so only
 * the payload is decoded and parsed when it can be found: the first
 * `},"payload":{` (a Connect schema names fields in `"field":` values, never as
 * keys), found by comparing with `headers` or else by a search. Anything
 * unexpected falls back to parsing the whole value.
 */
function parseEnvelope(bytes: Buffer, runId: string, headers: SchemaHeaders): object | undefined {
  if (bytes.length > 24 && bytes[bytes.length - 1] === 0x7d && startsWithSchema(bytes)) {
    const known = headers.find(bytes)
    const at = known >= 0 ? known : bytes.indexOf(PAYLOAD_KEY)
    if (at > 0) {
      const text = bytes.toString('utf8', at + 12, bytes.length - 1)
      if (!text.includes(runId)) return undefined
      try {
        const payload = JSON.parse(text) as unknown
        if (payload && typeof payload === 'object' && 'op' in payload) {
          if (known < 0) headers.remember(bytes, at)
          return payload
        }
      } catch {
        // not where it seemed: parse the whole value below
      }
    }
  }
  const text = bytes.toString('utf8')
  if (!text.includes(runId)) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!value || typeof value !== 'object') return undefined
  const payload = (value as { payload?: unknown }).payload
  return typeof payload === 'object' && payload !== null && 'op' in payload ? payload : value
}

function jsonDecoder(options: ResolvedKafkaOptions, context: PluginContext): Decoder {
  const paths = options.json ?? {}
  const get = (p: string | undefined) => (p === undefined ? undefined : compilePath(p))
  const markerAt = get(paths.marker)
  const runIdAt = get(paths.runId ?? 'run_id')!
  const seqAt = get(paths.seq ?? 'seq')!
  const intendedAt = get(paths.intendedAt ?? 'intended_at')!
  const digestAt = get(paths.digest ?? 'digest')!
  const keyAt = get(paths.key ?? 'id')!
  const payloadAt = get(paths.payload ?? 'payload')!
  const deletedAt = get(paths.deleted ?? '__deleted')!
  const { runId } = context
  return (record) => {
    if (!record.value) return undefined
    const text = record.value.toString('utf8')
    if (!text.includes(runId)) return undefined
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return undefined
    }
    let marker: Marker | undefined
    if (markerAt) {
      const m = markerAt(value)
      marker = typeof m === 'string' ? context.parseMarker(m) : undefined
    } else if (runIdAt(value) === runId) {
      const seq = toNumber(seqAt(value))
      const at = toNumber(intendedAt(value))
      const digest = digestAt(value)
      if (seq !== undefined && at !== undefined)
        marker = { runId, seq, intendedAt: at, digest: typeof digest === 'string' ? digest : '' }
    }
    if (!marker) return undefined
    const deletedValue = deletedAt(value)
    const deleted = deletedValue === true || deletedValue === 'true'
    const key = toNumber(keyAt(value)) ?? (record.key ? Number(record.key.toString('utf8')) : Number.NaN)
    const check = Number.isSafeInteger(key)
      ? deleted
        ? {}
        : contentCheck(marker.digest, payloadAt(value))
      : { corrupt: 'no operation key in the record' }
    return { ...marker, key, deleted, kind: deleted ? 'delete' : 'update', ...check }
  }
}

/** A getter for a dot path (`after.seq`); array indexes are plain segments (`items.0.id`). */
export function compilePath(path: string): (value: unknown) => unknown {
  const parts = path.split('.')
  return (value) => {
    let current = value
    for (const part of parts) {
      if (current === null || typeof current !== 'object') return undefined
      current = (current as Record<string, unknown>)[part]
    }
    return current
  }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}
