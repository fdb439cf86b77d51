/**
 * Single-row writes on cdcb's own encoding of PostgreSQL's extended protocol.
 *
 * Why not pg's `client.query`: on a small machine the client's CPU competes
 * with the server's, and pg spends about 4 µs of CPU per query on its Query
 * object, config cloning, value preparation and events — as much again as the
 * syscalls themselves. Against pgbench on 2 cores this path took cdcb from
 * 0.65× to 0.9–1.0× (bench/postgres-insert-vs-pgbench.mjs). So pg still opens and authenticates the connection (TLS,
 * SCRAM, every option it supports); after that this class owns the socket and
 * speaks only Bind / Execute / Sync for statements it prepared up front.
 *
 * Reads skip Node's stream machinery too, where they can: see `leanSocket`.
 *
 * Each call to `run` is one implicit transaction (its statements up to one
 * Sync), so a delete's marker update and its DELETE commit together or not at
 * all. Calls made in the same tick leave in one write.
 */
import { Socket, type SocketConstructorOpts } from 'node:net'
import type { Duplex } from 'node:stream'
import type pg from 'pg'

/** One statement to execute: the name given to `open` and its parameters, sent as text. */
export interface Step {
  statement: string
  values: readonly (string | number)[]
}

/** An error the server sent, with its SQLSTATE as `code` (as pg's DatabaseError has). */
export class PostgresServerError extends Error {
  override readonly name = 'PostgresServerError'
  constructor(
    message: string,
    readonly code: string,
    readonly detail?: string,
  ) {
    super(detail ? `${message} (${detail})` : message)
  }
}

/** The session ended (server restart, terminated backend, network): every call still waiting fails with it. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosed'
  constructor() {
    super('PostgreSQL closed the connection')
  }
}

interface Pending {
  counts: number[]
  error?: Error
  resolve: (counts: number[]) => void
  reject: (error: Error) => void
}

/** Where a lean socket hands its bytes once a pipeline owns it. */
const TAKE_READS = Symbol('cdcb.takeReads')
type LeanSocket = Socket & { [TAKE_READS]?: (onBytes: (bytes: Buffer) => void) => void }

/**
 * pg's `stream` option for connections a PreparedPipeline will own: a socket
 * that reads into one reused buffer (`onread`) instead of allocating a Buffer
 * and pushing it through a Readable per read. Until the pipeline takes over it
 * replays each read as a 'data' event, for pg's start-up and authentication.
 * With TLS pg wraps the socket and reads through the wrapper, so TLS
 * connections keep a plain socket.
 */
export function leanSocket(config: { ssl?: unknown }): Duplex {
  if (config.ssl) return new Socket()
  let owner: ((bytes: Buffer) => void) | undefined
  // `onread` is documented for net.Socket but missing from @types/node 20's constructor options.
  const socket: LeanSocket = new Socket({
    onread: {
      buffer: Buffer.allocUnsafe(64 * 1024),
      callback: (length: number, buffer: Uint8Array) => {
        const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, length)
        if (owner) owner(bytes)
        else socket.emit('data', Buffer.from(bytes))
        return true
      },
    },
  } as SocketConstructorOpts)
  socket[TAKE_READS] = (onBytes) => {
    owner = onBytes
  }
  return socket
}

const SYNC = Buffer.from([0x53, 0, 0, 0, 4])
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4])

/** One connection's pipelined prepared statements; `run` may be called again before earlier calls settle. */
export class PreparedPipeline {
  private readonly socket: Duplex
  /** Calls awaiting their ReadyForQuery, oldest first; the server answers in order. */
  private readonly pending: Pending[] = []
  private head = 0
  private unread: Buffer | undefined
  private out = Buffer.allocUnsafe(16 * 1024)
  private outLength = 0
  private flushQueued = false
  private closedBecause: Error | undefined
  private onClosed!: (error: Error) => void
  /** Settles once, with why, when the session ends; the source reopens a lost connection on it. */
  readonly whenClosed = new Promise<Error>((resolve) => {
    this.onClosed = resolve
  })
  /** Reads arrive in one buffer that the next read overwrites (see leanSocket). */
  private readsReuseBuffer = false

  /** Takes over a connected pg client and prepares `statements` (name → SQL); fails if any does not parse. */
  static async open(client: pg.Client, statements: Record<string, string>): Promise<PreparedPipeline> {
    const pipeline = new PreparedPipeline(client)
    for (const [name, text] of Object.entries(statements)) pipeline.encodeParse(name, text)
    await pipeline.sync()
    return pipeline
  }

  private constructor(private readonly client: pg.Client) {
    this.socket = (client as unknown as { connection: { stream: Duplex } }).connection.stream
    // pg's parser would take these replies for its own queries; from here on they are ours.
    this.socket.removeAllListeners('data')
    const takeReads = (this.socket as LeanSocket)[TAKE_READS]
    if (takeReads) {
      this.readsReuseBuffer = true
      takeReads((bytes) => this.onData(bytes))
    } else {
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk))
    }
    this.socket.on('close', () => this.failAll(new ConnectionClosedError()))
  }

  /** Executes the steps as one transaction; resolves with each step's affected-row count. */
  run(steps: readonly Step[]): Promise<number[]> {
    for (const step of steps) this.encodeBindExecute(step)
    return this.sync()
  }

  /** Ends the session; unanswered calls fail. */
  async close(): Promise<void> {
    if (!this.closedBecause) this.socket.write(TERMINATE)
    await this.client.end().catch(() => {})
  }

  private sync(): Promise<number[]> {
    if (this.closedBecause) return Promise.reject(this.closedBecause)
    this.reserve(SYNC.length)
    this.outLength += SYNC.copy(this.out, this.outLength)
    if (!this.flushQueued) {
      this.flushQueued = true
      queueMicrotask(() => this.flush())
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ counts: [], resolve, reject })
    })
  }

  private flush(): void {
    this.flushQueued = false
    if (this.outLength === 0 || this.closedBecause) return
    // A copy: the socket may hold the buffer until the kernel takes it, and `out` is reused.
    this.socket.write(Buffer.from(this.out.subarray(0, this.outLength)))
    this.outLength = 0
  }

  private reserve(bytes: number): void {
    if (this.outLength + bytes <= this.out.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.outLength + bytes))
    this.out.copy(grown, 0, 0, this.outLength)
    this.out = grown
  }

  /** Parse: a named statement whose parameter types the server infers. */
  private encodeParse(name: string, text: string): void {
    const length = 4 + Buffer.byteLength(name) + 1 + Buffer.byteLength(text) + 1 + 2
    this.reserve(1 + length)
    const out = this.out
    let at = this.outLength
    out[at++] = 0x50
    at = out.writeInt32BE(length, at)
    at += out.write(name, at)
    out[at++] = 0
    at += out.write(text, at)
    out[at++] = 0
    at = out.writeInt16BE(0, at)
    this.outLength = at
  }

  /** Bind (unnamed portal, all parameters and results as text) then Execute (all rows). */
  private encodeBindExecute(step: Step): void {
    const { statement, values } = step
    let bytes = 1 + 4 + 1 + statement.length + 1 + 2 + 2 + 2 + 10
    // Numbers are at most 24 characters as text; strings may be any UTF-8.
    for (const value of values) bytes += 4 + (typeof value === 'string' ? Buffer.byteLength(value) : 24)
    this.reserve(bytes)
    const out = this.out
    let at = this.outLength
    out[at++] = 0x42
    const lengthAt = at
    at += 4
    out[at++] = 0 // unnamed portal
    at += out.write(statement, at, 'latin1')
    out[at++] = 0
    at = out.writeInt16BE(0, at) // no parameter format codes: all text
    at = out.writeInt16BE(values.length, at)
    for (const value of values) {
      const written = typeof value === 'string' ? out.write(value, at + 4) : writeNumber(out, at + 4, value)
      out.writeInt32BE(written, at)
      at += 4 + written
    }
    at = out.writeInt16BE(0, at) // results as text
    out.writeInt32BE(at - lengthAt, lengthAt)
    out[at++] = 0x45
    at = out.writeInt32BE(9, at)
    out[at++] = 0 // unnamed portal
    at = out.writeInt32BE(0, at) // no row limit
    this.outLength = at
  }

  private onData(chunk: Buffer): void {
    const buffer = this.unread ? Buffer.concat([this.unread, chunk]) : chunk
    let at = 0
    while (buffer.length - at >= 5) {
      const length = buffer.readInt32BE(at + 1)
      if (buffer.length - at < 1 + length) break
      this.onMessage(buffer[at]!, buffer, at + 5, at + 1 + length)
      at += 1 + length
    }
    // A message split across chunks waits for the rest (copied if the next read would overwrite it).
    if (at === buffer.length) this.unread = undefined
    else this.unread = this.readsReuseBuffer ? Buffer.from(buffer.subarray(at)) : buffer.subarray(at)
  }

  private onMessage(type: number, buffer: Buffer, from: number, to: number): void {
    const current = this.pending[this.head]
    switch (type) {
      case 0x43: {
        // CommandComplete: "INSERT 0 1", "UPDATE 1", "DELETE 1" — the affected rows come last.
        let rows = 0
        let scale = 1
        for (let at = to - 2; at >= from && buffer[at] !== 0x20; at--) {
          rows += (buffer[at]! - 0x30) * scale
          scale *= 10
        }
        current?.counts.push(rows)
        return
      }
      case 0x45:
        if (current && !current.error) current.error = parseError(buffer, from, to)
        return
      case 0x5a: {
        // ReadyForQuery: the Sync that ends `current` has been processed.
        if (!current) return
        this.pending[this.head++] = undefined as unknown as Pending
        if (this.head > 1024 && this.head * 2 > this.pending.length) {
          this.pending.splice(0, this.head)
          this.head = 0
        }
        if (current.error) current.reject(current.error)
        else current.resolve(current.counts)
        return
      }
      // ParseComplete, BindComplete, notices, parameter changes, notifications: nothing to do.
    }
  }

  private failAll(error: Error): void {
    if (!this.closedBecause) this.onClosed(error)
    this.closedBecause ??= error
    const waiting = this.pending.splice(this.head)
    this.head = 0
    this.pending.length = 0
    // A call the server already answered with an error (say, the session being terminated) fails with that error.
    for (const call of waiting) call.reject(call.error ?? error)
  }
}

/** ErrorResponse: typed fields, each `<code byte><text>\0`, ending with a 0 byte. */
function parseError(buffer: Buffer, from: number, to: number): PostgresServerError {
  const fields: Record<string, string> = {}
  let at = from
  while (at < to && buffer[at] !== 0) {
    const code = String.fromCharCode(buffer[at]!)
    const end = buffer.indexOf(0, at + 1)
    fields[code] = buffer.toString('utf8', at + 1, end)
    at = end + 1
  }
  return new PostgresServerError(fields.M ?? 'unknown server error', fields.C ?? '', fields.D)
}

/**
 * Writes a number as decimal text; returns the bytes written. Integers up to
 * 2^53 go digit by digit without a string (keys, seqs and microsecond times are
 * such integers, and String() of a double that large was a visible cost).
 */
export function writeNumber(out: Buffer, at: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) return out.write(String(value), at, 'latin1')
  // Below 1e8 the arithmetic stays in small integers; above, split into high digits and 8 low ones.
  if (value >= 1e8) {
    const high = Math.floor(value / 1e8)
    const written = writeNumber(out, at, high)
    let low = value - high * 1e8
    for (let i = at + written + 7; i >= at + written; i--) {
      out[i] = 0x30 + (low % 10)
      low = (low / 10) | 0
    }
    return written + 8
  }
  let digits = 1
  for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits++
  let rest = value
  for (let i = at + digits - 1; i >= at; i--) {
    out[i] = 0x30 + (rest % 10)
    rest = (rest / 10) | 0
  }
  return digits
}
