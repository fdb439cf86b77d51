/**
 * Message layouts. The source encodes operations; the sink and the verifier
 * decode messages back into markers. A message without this run's marker is
 * foreign (another producer, an earlier run) and decodes to undefined: it is
 * ignored, never counted as an error.
 *
 * - `cdcb`: body `{"cdcb":"<marker>","op":…,"key":…,"payload":…}` (the Kafka
 *   plugin's cdcb format, so a bridge that copies the body into a topic needs no
 *   conversion), or the marker in the `cdcb-marker` message attribute. Every
 *   message also carries the key in the `cdcb-key` attribute, for bridges that
 *   key downstream records.
 * - `json`: any JSON body, with the marker's fields at configurable paths.
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs'
import { digestOf, encodeMarker, type Operation, type PluginContext } from '@cdcb/core'
import type { ResolvedSqsOptions } from './options.js'

export const MARKER_ATTRIBUTE = 'cdcb-marker'
export const KEY_ATTRIBUTE = 'cdcb-key'

/** One message ready for SendMessageBatch, with its size as SQS counts it (body + attribute names, types and values). */
export interface Encoded {
  readonly body: string
  readonly attributes: Record<string, MessageAttributeValue>
  readonly bytes: number
}

export type Encoder = (op: Operation, payload: string) => Encoded

export function createEncoder(options: ResolvedSqsOptions, context: PluginContext): Encoder {
  const inAttribute = options.marker === 'attribute'
  return (op, payload) => {
    const deleted = op.kind === 'delete'
    const marker = encodeMarker({
      runId: context.runId,
      seq: op.seq,
      intendedAt: op.intendedAt,
      digest: deleted ? '' : digestOf(payload),
    })
    // cdcb payloads are [A-Za-z0-9_-] only (core's payloadFor): nothing to escape in JSON.
    const fields = deleted
      ? `"op":"delete","key":${op.key}`
      : `"op":"${op.kind}","key":${op.key},"payload":"${payload}"`
    const key = String(op.key)
    const attributes: Record<string, MessageAttributeValue> = {
      [KEY_ATTRIBUTE]: { DataType: 'String', StringValue: key },
    }
    let bytes = KEY_ATTRIBUTE.length + 6 + key.length
    let body: string
    if (inAttribute) {
      attributes[MARKER_ATTRIBUTE] = { DataType: 'String', StringValue: marker }
      bytes += MARKER_ATTRIBUTE.length + 6 + marker.length
      body = `{${fields}}`
    } else {
      body = `{"cdcb":"${marker}",${fields}}`
    }
    return { body, attributes, bytes: bytes + body.length }
  }
}

/** A message of this run, read back. */
export interface Decoded {
  readonly seq: number
  readonly key: number
  readonly intendedAt: number
  readonly digest: string
  readonly kind: 'insert' | 'update' | 'delete'
  /** Why the message fails a check (its seq still identifies it). */
  readonly corrupt?: string
}

export type Decoder = (message: Message) => Decoded | undefined

export function createDecoder(options: ResolvedSqsOptions, context: PluginContext): Decoder {
  return options.format === 'json' ? jsonDecoder(options, context) : cdcbDecoder(context)
}

function cdcbDecoder(context: PluginContext): Decoder {
  const bodyPrefix = `{"cdcb":"cdcb1:${context.runId}:`
  return (message) => {
    const body = message.Body ?? ''
    const attribute = message.MessageAttributes?.[MARKER_ATTRIBUTE]?.StringValue
    let markerText: string | undefined
    if (attribute !== undefined) markerText = attribute
    else if (body.startsWith(bodyPrefix)) markerText = body.slice(9, body.indexOf('"', 9))
    if (markerText === undefined) return undefined
    const marker = context.parseMarker(markerText)
    if (!marker) return undefined
    const base = { seq: marker.seq, intendedAt: marker.intendedAt, digest: marker.digest }
    let parsed: { op?: unknown; key?: unknown; payload?: unknown }
    try {
      parsed = JSON.parse(body)
    } catch {
      return { ...base, key: Number.NaN, kind: 'update', corrupt: 'body is not a cdcb message' }
    }
    const kind = isKind(parsed.op) ? parsed.op : 'update'
    const key = typeof parsed.key === 'number' ? parsed.key : Number.NaN
    if (!Number.isSafeInteger(key)) return { ...base, key, kind, corrupt: 'body has no operation key' }
    return { ...base, key, kind, ...contentCheck(marker.digest, kind, parsed.payload) }
  }
}

function jsonDecoder(options: ResolvedSqsOptions, context: PluginContext): Decoder {
  const paths = {
    marker: options.json?.marker,
    runId: options.json?.runId ?? 'run_id',
    seq: options.json?.seq ?? 'seq',
    intendedAt: options.json?.intendedAt ?? 'intended_at',
    digest: options.json?.digest ?? 'digest',
    key: options.json?.key ?? 'key',
    payload: options.json?.payload ?? 'payload',
    deleted: options.json?.deleted,
  }
  const { runId } = context
  return (message) => {
    const body = message.Body ?? ''
    // Foreign bodies are skipped without parsing when they do not even mention the run.
    if (!body.includes(runId)) return undefined
    let value: unknown
    try {
      value = JSON.parse(body)
    } catch {
      return undefined
    }
    let seq: number
    let intendedAt: number
    let digest: string
    if (paths.marker) {
      const text = at(value, paths.marker)
      const marker = typeof text === 'string' ? context.parseMarker(text) : undefined
      if (!marker) return undefined
      ;({ seq, intendedAt, digest } = marker)
    } else {
      if (at(value, paths.runId) !== runId) return undefined
      seq = Number(at(value, paths.seq))
      intendedAt = Number(at(value, paths.intendedAt))
      const d = at(value, paths.digest)
      digest = typeof d === 'string' ? d : ''
      if (!Number.isSafeInteger(seq) || !Number.isFinite(intendedAt)) return undefined
    }
    const rawKey = at(value, paths.key) ?? message.MessageAttributes?.[KEY_ATTRIBUTE]?.StringValue
    const key = Number(rawKey)
    const deleted = paths.deleted ? Boolean(at(value, paths.deleted)) : digest === ''
    const op = at(value, 'op')
    const kind = deleted ? 'delete' : isKind(op) ? op : 'update'
    const base = { seq, intendedAt, digest, key, kind } as const
    if (!Number.isSafeInteger(key)) return { ...base, corrupt: `no operation key at "${paths.key}"` }
    return { ...base, ...contentCheck(digest, kind, at(value, paths.payload)) }
  }
}

/** A dot path into a JSON value: `after.seq`. */
function at(value: unknown, path: string): unknown {
  let current = value
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}

function isKind(value: unknown): value is Decoded['kind'] {
  return value === 'insert' || value === 'update' || value === 'delete'
}

/** Checks a payload against the marker's digest: what arrived is what was written. */
function contentCheck(digest: string, kind: Decoded['kind'], payload: unknown): { corrupt?: string } {
  if (kind === 'delete' || digest === '') return {}
  if (typeof payload !== 'string') return { corrupt: 'payload missing' }
  return digestOf(payload) === digest ? {} : { corrupt: 'payload does not match its digest' }
}
