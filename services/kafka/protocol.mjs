import { connectFramed } from '../lib/framed-socket.mjs'

/**
 * Just enough of the Kafka wire protocol to tell a Kafka broker from any other
 * server and to see that it serves metadata, without a client library:
 * ApiVersions v0 (which every broker answers, whatever versions it supports)
 * and Metadata v4 (non-flexible encoding, still supported by Kafka 4.x).
 */

const API_VERSIONS = 18
const METADATA = 3
const CLIENT_ID = 'cdcb-services'
const MAX_FRAME = 16 * 1024 * 1024

/**
 * Asks host:port who it is. Resolves `{ listening: false }` when nothing
 * accepts the connection, `{ listening: true, matches: false, detail }` when
 * something does but does not speak Kafka, and `{ listening: true, matches:
 * true, brokers }` when a Kafka broker answers (brokers from a metadata
 * request: `[]` while none is registered yet, null if the broker no longer
 * speaks Metadata v4).
 */
export async function probeKafka(host, port, timeoutMs = 2000) {
  let connection
  try {
    connection = await connect(host, port, timeoutMs)
  } catch (error) {
    return { listening: false, detail: error.code ?? error.message }
  }
  try {
    const apis = parseApiVersions(await connection.request(API_VERSIONS, 0, Buffer.alloc(0)))
    const metadata = apis.get(METADATA)
    if (!metadata || metadata.min > 4 || metadata.max < 4)
      return { listening: true, matches: true, brokers: null }
    // Metadata v4 body: topics = [] (none, so no topic is auto-created), allow_auto_topic_creation = false.
    const body = Buffer.from([0, 0, 0, 0, 0])
    const { brokers } = parseMetadataV4(await connection.request(METADATA, 4, body))
    return { listening: true, matches: true, brokers }
  } catch (error) {
    return { listening: true, matches: false, detail: error.message }
  } finally {
    connection.close()
  }
}

// Frames: size int32, then correlation_id int32 and the response body.
const KAFKA = {
  name: 'Kafka',
  split(buffer) {
    if (buffer.length < 4) return undefined
    const size = buffer.readInt32BE(0)
    if (size < 4 || size > MAX_FRAME) throw new Error('reply is not a Kafka frame')
    if (buffer.length < 4 + size) return undefined
    return { frame: buffer.subarray(4, 4 + size), rest: buffer.subarray(4 + size) }
  },
  idOf: (frame) => frame.readInt32BE(0),
  encode: (correlationId, { apiKey, apiVersion, body }) =>
    encodeRequest(apiKey, apiVersion, correlationId, body),
}

async function connect(host, port, timeoutMs) {
  const connection = await connectFramed(host, port, timeoutMs, KAFKA)
  return {
    // The body without the correlation id.
    request: async (apiKey, apiVersion, body) =>
      (await connection.request({ apiKey, apiVersion, body })).subarray(4),
    close: () => connection.close(),
  }
}

// Request header v1: api_key int16, api_version int16, correlation_id int32, client_id string.
function encodeRequest(apiKey, apiVersion, correlationId, body) {
  const clientId = Buffer.from(CLIENT_ID)
  const header = Buffer.alloc(10)
  header.writeInt16BE(apiKey, 0)
  header.writeInt16BE(apiVersion, 2)
  header.writeInt32BE(correlationId, 4)
  header.writeInt16BE(clientId.length, 8)
  const size = Buffer.alloc(4)
  size.writeInt32BE(header.length + clientId.length + body.length)
  return Buffer.concat([size, header, clientId, body])
}

// ApiVersions v0 response: error_code int16, [api_key int16, min int16, max int16].
function parseApiVersions(body) {
  const r = reader(body)
  const errorCode = r.int16()
  const count = r.int32()
  if (count < 0 || count > 1000) throw new Error('reply is not an ApiVersions response')
  const apis = new Map()
  for (let i = 0; i < count; i++) {
    const key = r.int16()
    apis.set(key, { min: r.int16(), max: r.int16() })
  }
  // UNSUPPORTED_VERSION (35) still proves a Kafka broker; anything else must be 0 with a full API list.
  if (errorCode !== 0 && errorCode !== 35) throw new Error(`ApiVersions error code ${errorCode}`)
  if (errorCode === 0 && !apis.has(API_VERSIONS)) throw new Error('reply is not an ApiVersions response')
  return apis
}

// Metadata v4 response: throttle_time_ms int32, brokers [node_id int32, host string, port int32, rack string?], ...
function parseMetadataV4(body) {
  const r = reader(body)
  r.int32()
  const count = r.int32()
  const brokers = []
  for (let i = 0; i < count; i++) {
    const nodeId = r.int32()
    const host = r.string()
    const port = r.int32()
    r.string()
    brokers.push({ nodeId, host, port })
  }
  return { brokers }
}

function reader(buffer) {
  let offset = 0
  const need = (n) => {
    if (offset + n > buffer.length) throw new Error('truncated Kafka response')
  }
  return {
    int16() {
      need(2)
      offset += 2
      return buffer.readInt16BE(offset - 2)
    },
    int32() {
      need(4)
      offset += 4
      return buffer.readInt32BE(offset - 4)
    },
    string() {
      const length = this.int16()
      if (length < 0) return null
      need(length)
      offset += length
      return buffer.toString('utf8', offset - length, offset)
    },
  }
}
