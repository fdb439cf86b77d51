import { decodeMarker, digestOf, type PluginContext } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { createDecoder, createEncoder, KEY_ATTRIBUTE, MARKER_ATTRIBUTE } from '../src/format.js'
import { optionsSchema } from '../src/options.js'

const context = {
  runId: 'run1',
  parseMarker: decodeMarker,
  payload: (seq: number) => `p${seq}`.padEnd(40, 'x'),
} as unknown as PluginContext
const options = (extra: Record<string, unknown> = {}) => optionsSchema.parse({ queue: 'q', ...extra })
const op = { seq: 7, key: 3, kind: 'update', intendedAt: 1_700_000_000_000_123 } as const

describe('SQS message format', () => {
  it('round-trips an operation with the marker in the body, the key in an attribute, and counts its bytes as SQS does', () => {
    const encoded = createEncoder(options(), context)(op, context.payload(7))
    expect(encoded.body.startsWith('{"cdcb":"cdcb1:run1:7:')).toBe(true)
    expect(encoded.attributes[KEY_ATTRIBUTE]).toEqual({ DataType: 'String', StringValue: '3' })
    expect(encoded.bytes).toBe(encoded.body.length + KEY_ATTRIBUTE.length + 'String'.length + 1)
    const decoded = createDecoder(
      options(),
      context,
    )({
      Body: encoded.body,
      MessageAttributes: encoded.attributes,
    })
    expect(decoded).toEqual({
      seq: 7,
      key: 3,
      kind: 'update',
      intendedAt: 1_700_000_000_000_123,
      digest: digestOf(context.payload(7)),
    })
  })

  it('carries the marker in an attribute with marker: "attribute"', () => {
    const encoded = createEncoder(options({ marker: 'attribute' }), context)(op, context.payload(7))
    expect(encoded.body).toBe(`{"op":"update","key":3,"payload":"${context.payload(7)}"}`)
    expect(encoded.attributes[MARKER_ATTRIBUTE]?.StringValue).toMatch(/^cdcb1:run1:7:/)
    const decoded = createDecoder(
      options(),
      context,
    )({ Body: encoded.body, MessageAttributes: encoded.attributes })
    expect(decoded?.seq).toBe(7)
    expect(decoded?.corrupt).toBeUndefined()
  })

  it('flags a payload that does not match its digest, and ignores other runs', () => {
    const encoded = createEncoder(options(), context)(op, context.payload(7))
    const decode = createDecoder(options(), context)
    expect(decode({ Body: encoded.body.replace('"payload":"p', '"payload":"q') })?.corrupt).toBe(
      'payload does not match its digest',
    )
    expect(decode({ Body: encoded.body.replace('run1', 'run2') })).toBeUndefined()
    expect(decode({ Body: 'hello' })).toBeUndefined()
  })

  it('reads a body someone else made with json paths, the key falling back to the cdcb-key attribute', () => {
    const payload = context.payload(9)
    const body = JSON.stringify({
      row: { run_id: 'run1', seq: 9, intended_at: 5, digest: digestOf(payload), data: payload },
    })
    const decode = createDecoder(
      options({
        format: 'json',
        json: {
          runId: 'row.run_id',
          seq: 'row.seq',
          intendedAt: 'row.intended_at',
          digest: 'row.digest',
          payload: 'row.data',
        },
      }),
      context,
    )
    expect(
      decode({
        Body: body,
        MessageAttributes: { [KEY_ATTRIBUTE]: { DataType: 'String', StringValue: '4' } },
      }),
    ).toEqual({
      seq: 9,
      key: 4,
      intendedAt: 5,
      digest: digestOf(payload),
      kind: 'update',
    })
    expect(decode({ Body: body })?.corrupt).toBe('no operation key at "key"')
  })
})

describe('SQS options', () => {
  const issue = (value: unknown) => {
    const result = optionsSchema.safeParse(value)
    return result.success ? undefined : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
  }

  it('names the field and the fix', () => {
    expect(issue({ queue: 'bad name' })).toEqual([
      'queue: expected an SQS queue name: up to 80 of a-z A-Z 0-9 - _, ending in ".fifo" for a FIFO queue',
    ])
    expect(issue({ queue: 'q', waitTime: '30s' })).toEqual(['waitTime: SQS long polls wait at most 20s'])
    expect(issue({ queue: 'q', json: { seq: 'seq' } })).toEqual([
      'json: json paths apply only with format "json"',
    ])
    expect(issue({ queue: 'q', maxBatchBytes: 2_000_000 })).toEqual([
      'maxBatchBytes: SQS accepts at most 1 MiB (1048576) per call',
    ])
  })

  it('applies the documented defaults', () => {
    expect(options()).toMatchObject({
      createQueue: true,
      keepQueue: false,
      inFlight: 16,
      maxBatchBytes: 262_144,
      marker: 'body',
      retries: 5,
      receivers: 4,
      waitTime: '2s',
      visibilityTimeout: '30s',
      committedAt: 'sent',
      format: 'cdcb',
    })
  })
})
