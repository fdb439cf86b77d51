import { connectFramed } from '../lib/framed-socket.mjs'

/**
 * Just enough of the CQL native protocol (v4) to tell a Cassandra node from
 * any other server and to see that it answers queries, without a driver:
 * OPTIONS (every node answers SUPPORTED before any handshake), then STARTUP
 * and `SELECT release_version FROM system.local`.
 */

const VERSION = 0x04
const RESPONSE = 0x80
const OP = { ERROR: 0x00, STARTUP: 0x01, READY: 0x02, AUTHENTICATE: 0x03, OPTIONS: 0x05, SUPPORTED: 0x06 }
const OP_QUERY = 0x07
const OP_RESULT = 0x08
const RESULT_ROWS = 0x0002
const CONSISTENCY_ONE = 0x0001
const MAX_FRAME = 16 * 1024 * 1024

/**
 * Asks host:port who it is. Resolves `{ listening: false }` when nothing
 * accepts the connection, `{ listening: true, matches: false, detail }` when
 * something does but does not speak CQL, and `{ listening: true, matches:
 * true, release }` when a Cassandra node answers: `release` is its
 * `release_version` ('5.0.9'), or null with `authenticate: true` when the node
 * asks for a login (it is Cassandra, but this probe has no credentials).
 */
export async function probeCassandra(host, port, timeoutMs = 2000) {
  let connection
  try {
    connection = await connect(host, port, timeoutMs)
  } catch (error) {
    return { listening: false, detail: error.code ?? error.message }
  }
  try {
    const supported = await connection.request(OP.OPTIONS, Buffer.alloc(0))
    if (supported.opcode !== OP.SUPPORTED) throw new Error(`OPTIONS answered with opcode ${supported.opcode}`)
    const options = readStringMultimap(supported.body)
    if (!options.has('CQL_VERSION')) throw new Error('SUPPORTED lacks CQL_VERSION')
    const ready = await connection.request(
      OP.STARTUP,
      stringMap({ CQL_VERSION: options.get('CQL_VERSION')[0] }),
    )
    if (ready.opcode === OP.AUTHENTICATE)
      return { listening: true, matches: true, release: null, authenticate: true }
    if (ready.opcode !== OP.READY) throw new Error(errorText(ready, 'STARTUP'))
    const result = await connection.request(OP_QUERY, query('SELECT release_version FROM system.local'))
    if (result.opcode !== OP_RESULT)
      return { listening: true, matches: true, release: null, detail: errorText(result, 'query') }
    return { listening: true, matches: true, release: readSingleText(result.body) }
  } catch (error) {
    return { listening: true, matches: false, detail: error.message }
  } finally {
    connection.close()
  }
}

// Frames: version, flags, stream int16, opcode, length int32, body.
const CQL = {
  name: 'CQL',
  split(buffer) {
    if (buffer.length < 9) return undefined
    if ((buffer[0] & RESPONSE) === 0) throw new Error('reply is not a CQL frame')
    const length = buffer.readInt32BE(5)
    if (length < 0 || length > MAX_FRAME) throw new Error('reply is not a CQL frame')
    if (buffer.length < 9 + length) return undefined
    const frame = { stream: buffer.readInt16BE(2), opcode: buffer[4], body: buffer.subarray(9, 9 + length) }
    return { frame, rest: buffer.subarray(9 + length) }
  },
  idOf: (frame) => frame.stream,
  encode(stream, { opcode, body }) {
    const header = Buffer.alloc(9)
    header[0] = VERSION
    header.writeInt16BE(stream, 2)
    header[4] = opcode
    header.writeInt32BE(body.length, 5)
    return Buffer.concat([header, body])
  },
}

async function connect(host, port, timeoutMs) {
  const connection = await connectFramed(host, port, timeoutMs, CQL)
  return {
    request: (opcode, body) => connection.request({ opcode, body }),
    close: () => connection.close(),
  }
}

const short = (n) => {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}
const string = (s) => Buffer.concat([short(Buffer.byteLength(s)), Buffer.from(s)])

function stringMap(entries) {
  const pairs = Object.entries(entries)
  return Buffer.concat([short(pairs.length), ...pairs.flatMap(([k, v]) => [string(k), string(v)])])
}

// QUERY body: [long string] query, [short] consistency, [byte] flags (none).
function query(cql) {
  const text = Buffer.from(cql)
  const length = Buffer.alloc(4)
  length.writeInt32BE(text.length)
  return Buffer.concat([length, text, short(CONSISTENCY_ONE), Buffer.from([0])])
}

function errorText(frame, what) {
  if (frame.opcode !== OP.ERROR) return `${what} answered with opcode ${frame.opcode}`
  const r = reader(frame.body)
  const code = r.int32()
  return `${what} failed: ${r.string()} (code 0x${code.toString(16)})`
}

function readStringMultimap(body) {
  const r = reader(body)
  const map = new Map()
  const count = r.uint16()
  for (let i = 0; i < count; i++) {
    const key = r.string()
    const values = []
    const n = r.uint16()
    for (let j = 0; j < n; j++) values.push(r.string())
    map.set(key, values)
  }
  return map
}

// RESULT Rows with one text column: kind, metadata (flags, column count, specs), row count, cells.
function readSingleText(body) {
  const r = reader(body)
  if (r.int32() !== RESULT_ROWS) throw new Error('query result is not rows')
  const flags = r.int32()
  const columns = r.int32()
  if (flags & 0x0002) r.bytes() // has_more_pages: paging state
  if (!(flags & 0x0004)) {
    // no_metadata unset: column specs follow
    const globalSpec = flags & 0x0001
    if (globalSpec) {
      r.string()
      r.string()
    }
    for (let i = 0; i < columns; i++) {
      if (!globalSpec) {
        r.string()
        r.string()
      }
      r.string()
      r.uint16() // option id; text/varchar carry no further type data
    }
  }
  if (r.int32() < 1) return null
  const cell = r.bytes()
  return cell === null ? null : cell.toString('utf8')
}

function reader(buffer) {
  let offset = 0
  const need = (n) => {
    if (offset + n > buffer.length) throw new Error('truncated CQL response')
  }
  return {
    uint16() {
      need(2)
      offset += 2
      return buffer.readUInt16BE(offset - 2)
    },
    int32() {
      need(4)
      offset += 4
      return buffer.readInt32BE(offset - 4)
    },
    string() {
      const length = this.uint16()
      need(length)
      offset += length
      return buffer.toString('utf8', offset - length, offset)
    },
    bytes() {
      const length = this.int32()
      if (length < 0) return null
      need(length)
      offset += length
      return buffer.subarray(offset - length, offset)
    },
  }
}
