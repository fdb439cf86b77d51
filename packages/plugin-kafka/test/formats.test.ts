import { readFileSync } from 'node:fs'
import {
  decodeMarker,
  digestOf,
  type Operation,
  type PluginContext,
  payloadFor,
  writePayload,
} from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import {
  createDecoder,
  createEncoder,
  createSourceEncoder,
  type RecordLike,
  readCdcbBody,
} from '../src/formats.js'
import { optionsSchema } from '../src/options.js'

const RUN = 'a1b2c3d4'
const PAYLOAD = 'hello-cdc'

const context = {
  runId: RUN,
  parseMarker: (text: string) => {
    const marker = decodeMarker(text)
    return marker?.runId === RUN ? marker : undefined
  },
} as PluginContext

function options(input: Record<string, unknown>) {
  const result = optionsSchema.safeParse({ brokers: '127.0.0.1:9092', topic: 't', ...input })
  if (!result.success) throw new Error(result.error.message)
  return result.data
}

/** A Debezium fixture as a Kafka record of run RUN, with the digest of its payload. */
function fixture(name: string): RecordLike {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
    .replaceAll('RUNID', RUN)
    .replaceAll('DIGEST', digestOf(PAYLOAD))
  return { key: Buffer.from('{"key":42}'), value: Buffer.from(text) }
}

describe('debezium format', () => {
  const decode = createDecoder(options({ format: 'debezium' }), context)

  it('reads an insert with the JSON converter schema: marker from after, origin commit time from source.ts_us, processing time from ts_us', () => {
    expect(decode(fixture('debezium-insert-with-schema.json'))).toEqual({
      seq: 7,
      key: 42,
      intendedAt: 1795300000000000,
      digest: digestOf(PAYLOAD),
      deleted: false,
      kind: 'insert',
      sourceMicros: 1795300000012345,
      processedMicros: 1795300000030125,
    })
  })

  it('reads the same insert as Kafka Connect writes it (compact JSON), and when the schema holds a "payload" key', () => {
    const pretty = fixture('debezium-insert-with-schema.json')
    const value = JSON.parse(String(pretty.value))
    const expected = decode(pretty)
    // The fast path: the converter's compact layout, parsed from its "payload" key on.
    expect(decode({ ...pretty, value: Buffer.from(JSON.stringify(value)) })).toEqual(expected)
    // A schema parameter named "payload" must not fool it (falls back to the whole value).
    value.schema.parameters = { a: {}, payload: { op: 'x' } }
    const tricky = { ...pretty, value: Buffer.from(JSON.stringify(value)) }
    expect(String(tricky.value)).toMatch(/^\{"schema":.*\},"payload":\{"op":"x"\}/)
    expect(decode(tricky)).toEqual(expected)
  })

  it('reads values of tables with different schemas in turn (each schema found anew, not assumed)', () => {
    const decodeOnce = createDecoder(options({ format: 'debezium' }), context)
    const compact = JSON.parse(String(fixture('debezium-insert-with-schema.json').value))
    const expected = decode(fixture('debezium-insert-with-schema.json'))
    // Another table: a longer schema name, so its payload starts elsewhere.
    const other = structuredClone(compact)
    other.schema.name = `${other.schema.name}.another_table_with_a_longer_name`
    // And one whose schema holds a "payload" key before its own payload.
    const tricky = structuredClone(compact)
    tricky.schema.parameters = { a: {}, payload: { op: 'x' } }
    const values = [compact, other, tricky, compact, tricky, other].map((v) => Buffer.from(JSON.stringify(v)))
    expect(values[2]!.indexOf('},"payload":{')).toBeLessThan(values[2]!.lastIndexOf('},"payload":{'))
    for (const value of values) expect(decodeOnce({ key: null, value })).toEqual(expected)
  })

  it('reads an update without schema; source.ts_ms when there is no ts_us', () => {
    const record = decode(fixture('debezium-update.json'))
    expect(record).toMatchObject({
      seq: 9,
      key: 42,
      kind: 'update',
      sourceMicros: 1795300000107000,
      processedMicros: 1795300000120000,
    })
    // 7 ms from intended time to the origin's commit.
    expect(record!.sourceMicros! - record!.intendedAt).toBe(7000)
  })

  it('reads a delete from before, and a snapshot read as an insert', () => {
    expect(decode(fixture('debezium-delete.json'))).toMatchObject({
      seq: 11,
      key: 42,
      deleted: true,
      kind: 'delete',
      sourceMicros: 1795300000203500,
    })
    expect(decode(fixture('debezium-snapshot-read.json'))).toMatchObject({ seq: 3, key: 44, kind: 'insert' })
  })

  it('ignores other runs, tombstones, key-only deletes and the pre-delete stamp', () => {
    expect(decode(fixture('debezium-foreign-run.json'))).toBeUndefined()
    expect(decode({ key: Buffer.from('{"key":42}'), value: null })).toBeUndefined()
    expect(decode(fixture('debezium-delete-key-only.json'))).toBeUndefined()
    expect(decode(fixture('debezium-pre-delete-stamp.json'))).toBeUndefined()
  })

  it('flags a payload that does not match its digest as corrupt', () => {
    const record = fixture('debezium-update.json')
    const tampered = { ...record, value: Buffer.from(record.value!.toString().replace(PAYLOAD, 'tampered')) }
    expect(decode(tampered)).toMatchObject({ seq: 9, corrupt: 'payload does not match its digest' })
  })

  it('reads what the source writes, with and without schema', () => {
    for (const schema of [false, true]) {
      const opts = options({ format: 'debezium', debezium: { schema } })
      const encode = createEncoder(opts, { ...context, payload: () => PAYLOAD } as PluginContext)
      const op: Operation = { seq: 5, key: 9, kind: 'delete', intendedAt: 1_000_000 }
      const message = encode(op, '', '', 1_002_000)
      const decoded = createDecoder(
        opts,
        context,
      )({
        key: Buffer.from(String(message.key)),
        value: Buffer.from(String(message.value)),
      })
      expect(decoded).toMatchObject({ seq: 5, key: 9, kind: 'delete', sourceMicros: 1_002_000 })
    }
  })
})

describe('cdcb format', () => {
  const op: Operation = { seq: 12, key: 3, kind: 'update', intendedAt: 5_000_000 }
  const roundTrip = (input: Record<string, unknown>, o: Operation = op) => {
    const opts = options(input)
    const message = createEncoder(opts, context)(o, PAYLOAD, digestOf(PAYLOAD), 0)
    return createDecoder(
      opts,
      context,
    )({
      key: Buffer.from(String(message.key)),
      value: message.value === undefined ? undefined : Buffer.from(message.value),
      // As the consumer gives them: a Map of Buffers.
      headers: new Map(
        Object.entries(message.headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const),
      ),
    })
  }

  it('round-trips the marker in the value and in a header', () => {
    const expected = { seq: 12, key: 3, intendedAt: 5_000_000, kind: 'update', deleted: false }
    expect(roundTrip({})).toMatchObject(expected)
    expect(roundTrip({ marker: 'header' })).toMatchObject(expected)
  })

  it('finds the marker header in [name, value] pairs, as the sink fetches records', () => {
    const opts = options({ marker: 'header' })
    const message = createEncoder(opts, context)(op, PAYLOAD, digestOf(PAYLOAD), 0)
    const headers = Object.entries(message.headers!).map(
      ([k, v]) => [Buffer.from(k), Buffer.from(v)] as const,
    )
    const record = { key: Buffer.from(message.key), value: Buffer.from(message.value!), headers }
    expect(createDecoder(opts, context)(record)).toMatchObject({ seq: 12, key: 3, kind: 'update' })
    expect(
      createDecoder(opts, context)({ ...record, headers: [[Buffer.from('other'), null]] }),
    ).toBeUndefined()
  })

  it('writes a delete as a tombstone with the marker in a header when asked', () => {
    const del: Operation = { ...op, kind: 'delete' }
    expect(roundTrip({ tombstones: true }, del)).toMatchObject({
      seq: 12,
      key: 3,
      deleted: true,
      kind: 'delete',
    })
  })

  it('reads the body without JSON.parse, and falls back to it for anything else', () => {
    expect(readCdcbBody('{"cdcb":"m","op":"insert","key":12,"payload":"abc"}')).toEqual({
      kind: 'insert',
      key: 12,
      payload: 'abc',
    })
    expect(readCdcbBody('{"op":"delete","key":7}')).toEqual({ kind: 'delete', key: 7, payload: undefined })
    expect(readCdcbBody('{"op":"update","key":3,"payload":"a\\"b"}')).toEqual({
      kind: 'update',
      key: 3,
      payload: 'a"b',
    })
    expect(readCdcbBody('{"key":3, "op": "update"}')).toEqual({ kind: 'update', key: 3, payload: undefined })
    expect(readCdcbBody('not json')).toBeUndefined()
  })

  it('flags a payload changed in transit as corrupt', () => {
    const opts = options({})
    const message = createEncoder(opts, context)(op, PAYLOAD, digestOf(PAYLOAD), 0)
    const value = String(message.value).replace(PAYLOAD, 'hello-cdX')
    expect(createDecoder(opts, context)({ key: Buffer.from('3'), value: Buffer.from(value) })).toMatchObject({
      seq: 12,
      corrupt: 'payload does not match its digest',
    })
  })

  it('ignores other runs and non-cdcb values', () => {
    const decode = createDecoder(options({}), context)
    expect(decode({ key: null, value: Buffer.from('{"cdcb":"cdcb1:ffffffff:1:2:abcd"}') })).toBeUndefined()
    expect(decode({ key: null, value: Buffer.from('plain text') })).toBeUndefined()
  })
})

describe('the source encoder', () => {
  it("writes createEncoder's record, the value as its bytes, in every format, for every kind", () => {
    const payloadSize = 1003
    const seeded = {
      ...context,
      payloadSize,
      payload: (seq: number) => payloadFor(11, seq, payloadSize),
      writePayload: (seq: number, target: Uint8Array, offset: number) =>
        writePayload(11, seq, target, offset, payloadSize),
    } as PluginContext
    const layouts = [
      {},
      { marker: 'header' },
      { tombstones: true },
      { format: 'debezium' },
      { format: 'debezium', debezium: { schema: true } },
      { format: 'json' },
    ]
    for (const layout of layouts) {
      const opts = options(layout)
      const encode = createEncoder(opts, seeded)
      const sourceEncode = createSourceEncoder(opts, seeded)
      const ops: Operation[] = (
        [
          [1, 'insert'],
          [2, 'update'],
          [3, 'delete'],
          [4, 'insert'],
        ] as const
      ).map(([seq, kind]) => ({ seq, key: seq * 7, kind, intendedAt: 5_000_000 + seq }))
      // Seqs, keys and epoch-µs times as a long run has them, fractions included.
      for (let i = 0; i < 200; i++)
        ops.push({
          seq: Math.floor(Math.random() * 2 ** 40),
          key: Math.floor(Math.random() * 1e7),
          kind: i % 2 ? 'insert' : 'update',
          intendedAt: 1_795_300_000_000_000 + Math.random() * 1e9,
        })
      for (const op of ops) {
        const { seq, kind } = op
        const payload = kind === 'delete' ? '' : seeded.payload(seq)
        const expected = encode(op, payload, kind === 'delete' ? '' : digestOf(payload), 1_002_000)
        const record = sourceEncode(op, 1_002_000)
        const what = `${JSON.stringify(layout)} ${kind}`
        expect(record.value?.toString(), what).toBe(expected.value)
        expect({ ...record, value: undefined }, what).toEqual({ ...expected, value: undefined })
      }
    }
  })
})

describe('json format', () => {
  it('reads the marker from configured paths', () => {
    const decode = createDecoder(
      options({
        format: 'json',
        json: { runId: 'm.run', seq: 'm.seq', intendedAt: 'm.at', digest: 'm.d', key: 'k' },
      }),
      context,
    )
    const value = { k: 8, m: { run: RUN, seq: 4, at: 77, d: digestOf(PAYLOAD) }, payload: PAYLOAD }
    expect(decode({ key: null, value: Buffer.from(JSON.stringify(value)) })).toMatchObject({
      seq: 4,
      key: 8,
      intendedAt: 77,
    })
  })

  it('reads an encoded marker string from one path', () => {
    const decode = createDecoder(options({ format: 'json', json: { marker: 'meta.cdcb' } }), context)
    const value = { meta: { cdcb: `cdcb1:${RUN}:4:77:` }, id: 8 }
    expect(decode({ key: null, value: Buffer.from(JSON.stringify(value)) })).toMatchObject({ seq: 4, key: 8 })
  })
})

describe('options', () => {
  it('rejects a topic name Kafka would refuse', () => {
    expect(optionsSchema.safeParse({ brokers: 'h:1', topic: 'a b' }).error!.issues[0]!.path).toEqual([
      'topic',
    ])
  })

  it('names the bad field', () => {
    const result = optionsSchema.safeParse({ brokers: 'nohost', topic: 't' })
    expect(result.success).toBe(false)
    expect(result.error!.issues[0]!.path).toEqual(['brokers'])
    expect(
      optionsSchema.safeParse({ brokers: 'h:1', topic: 't', compression: 'brotli' }).error!.issues[0]!.path,
    ).toEqual(['compression'])
  })

  it('accepts every codec Kafka has, and defaults batching by bytes below the broker’s 1 MB limit', () => {
    for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      expect(optionsSchema.safeParse({ brokers: 'h:1', topic: 't', compression }).success).toBe(true)
    expect(optionsSchema.parse({ brokers: 'h:1', topic: 't' }).batch.maxBytes).toBe(1_000_000)
  })
})
