/**
 * The sink: watches the target table and reports each change of this run.
 *
 * Time base. `committedAt` is the target's apply stamp: the column
 * `cdcb_applied_at`, set by a trigger (`ENABLE ALWAYS`, so it fires for
 * replication apply workers and for updates) from `clock_timestamp()` while the
 * change is applied at the target, corrected by the target's clock offset
 * (Cristian's method). Neither `pg_xact_commit_timestamp(xmin)` nor the commit
 * time in a subscriber's change stream can serve: for a change applied by
 * native logical replication both give the publisher's commit time. Deletes
 * carry the stamp of the marker update made in the same transaction (logical)
 * or of their change-log row (poll).
 *
 * Shards. One sink per process observes: the one on worker 0. The change
 * stream of a slot cannot be split, and one reader per process keeps the poll
 * load constant. A run split across processes (`--shard`) has one slot per
 * shard; each shard's sink reads the whole run, and core counts only the
 * events its own shard sent.
 */
import {
  digestOf,
  nowMicros,
  type Observer,
  type PluginContext,
  parseDurationMicros,
  SeqBitset,
  type Sink,
} from '@cdcb/core'
import type pg from 'pg'
import { connect, qualified, reopenWithBackoff } from './connect.js'
import { DEFAULTS, type PostgresOptions, tableOf } from './options.js'
import { decodeFrame, decodeLogical, formatLsn, type Relation, statusUpdate } from './pgoutput.js'
import { changeLogTable, objectNames } from './prepare.js'

/** The target clock minus ours, in microseconds, and the uncertainty (half the best round trip). */
export interface ClockOffset {
  readonly offsetMicros: number
  readonly uncertaintyMicros: number
}

/** Cristian's method: the sample with the shortest round trip bounds the offset best. */
export async function estimateClockOffset(client: pg.Client, samples = 7): Promise<ClockOffset> {
  let best: ClockOffset | undefined
  for (let i = 0; i < samples; i++) {
    const sent = nowMicros()
    const { rows } = await client.query<{ t: string }>(
      'SELECT (extract(epoch from clock_timestamp()) * 1000000)::bigint AS t',
    )
    const received = nowMicros()
    const server = Number(rows[0]!.t)
    const sample = { offsetMicros: server - (sent + received) / 2, uncertaintyMicros: (received - sent) / 2 }
    if (!best || sample.uncertaintyMicros < best.uncertaintyMicros) best = sample
  }
  return best!
}

function describeOffset(offset: ClockOffset): string {
  const sign = offset.offsetMicros >= 0 ? '+' : '-'
  return `${sign}${(Math.abs(offset.offsetMicros) / 1000).toFixed(2)}ms ±${(offset.uncertaintyMicros / 1000).toFixed(2)}ms`
}

/**
 * The correction to subtract from the target's stamps: the estimated offset only
 * when it exceeds its own uncertainty (on one host, correcting a ±0.1 ms estimate
 * added 0.13 ms to every value); 0 otherwise.
 */
export function appliedOffsetMicros(offset: ClockOffset): number {
  return Math.abs(offset.offsetMicros) > offset.uncertaintyMicros ? offset.offsetMicros : 0
}

/** How coarse a corrected stamp is: the offset estimate's uncertainty, whether or not it was applied. */
function stampResolution(offset: ClockOffset): number {
  return Math.ceil(offset.uncertaintyMicros)
}

/** Checks one row of this run and reports it; `null` when it is not ours. */
function makeReporter(context: PluginContext, observer: Observer, offset: ClockOffset) {
  const correction = appliedOffsetMicros(offset)
  return (
    seq: number,
    key: number,
    intendedAt: number,
    appliedAt: number | null,
    digest: string | null,
    payload: string | null,
    observedAt: number,
  ) => {
    if (digest !== null && digest !== '') {
      const expected = context.digest(seq)
      if (digest !== expected || (payload !== null && digestOf(payload) !== digest)) {
        observer.corrupt(
          seq,
          `key ${key}: payload digest ${payload !== null ? digestOf(payload) : digest}, expected ${expected}`,
        )
        return
      }
    }
    // Not clamped to observedAt: a stamp after the observation is the clocks' disagreement, which core
    // counts within the declared stampResolutionMicros and reports beyond it.
    const committedAt = appliedAt === null ? undefined : appliedAt - correction
    observer.observe(seq, key, intendedAt, committedAt, observedAt)
  }
}

export async function createPostgresSink(options: PostgresOptions, context: PluginContext): Promise<Sink> {
  const mode = options.mode ?? DEFAULTS.mode
  if (context.shard !== 0) {
    return { timeBase: timeBaseFor(mode, options), start: async () => {} }
  }
  return mode === 'logical' ? createLogicalSink(options, context) : createPollSink(options, context)
}

function timeBaseFor(mode: string, options: PostgresOptions, offset?: ClockOffset, stamped = true): string {
  const { table } = tableOf(options)
  const how = mode === 'logical' ? 'logical replication stream (pgoutput)' : 'polling'
  if (!stamped) return `arrival in the target's ${how}: ${table} has no cdcb_applied_at apply stamp`
  return (
    `target apply time (trigger clock_timestamp() on ${table}.cdcb_applied_at` +
    (offset
      ? `, clock offset ${describeOffset(offset)} ${appliedOffsetMicros(offset) !== 0 ? 'corrected' : 'within its uncertainty, not applied'}`
      : '') +
    `), seen by ${how}`
  )
}

/**
 * How often the stream sink asks the walsender for a keepalive, in ms: four answers a second, well within
 * the drain's quiet period (at least 1 s) that core judges the sink's last answer by.
 */
const REPLY_REQUEST_MS = 250

/**
 * Streams the sink slot's changes. If the replication connection drops (the
 * target restarts, a proxy cuts it, someone terminates the walsender), it
 * reopens the stream from the end of the last transaction it processed, so a
 * stall shows as latency rather than as loss; a transaction the server sends
 * again is recognised by its commit LSN and skipped, so it is not counted as a
 * duplicate either.
 */
async function createLogicalSink(options: PostgresOptions, context: PluginContext): Promise<Sink> {
  const { schema, table } = tableOf(options)
  const names = objectNames(context.runId, context.runShard?.index)
  let client: pg.Client | undefined
  let connection: StreamConnection | undefined
  let offset: ClockOffset = { offsetMicros: 0, uncertaintyMicros: 0 }
  let statusTimer: NodeJS.Timeout | undefined
  let replyTimer: NodeJS.Timeout | undefined
  let stopped = false
  /** Told of each keepalive and each commit the walsender sends (`Observer.answered`); set by `start`. */
  let observer: Observer | undefined
  const relations = new Map<number, Relation & { index: Record<string, number> }>()
  /** End of the last transaction processed: what we confirm to the server, and where a reopened stream starts. */
  let flushed = 0n
  /** What the last status update confirmed: a reply request repeats it, so the slot advances once a second. */
  let confirmed = 0n
  /** Commit LSN of the last transaction processed, and of the one being read. */
  let lastCommitLsn = 0n
  let currentCommitLsn = 0n
  let skipping = false
  /** Changes of this run reported to core, by the kind the target applied (duplicates included). */
  const seen = { inserts: 0, updates: 0, deletes: 0 }
  const sendStatus = () => {
    if (stopped || !connection) return
    connection.sendCopyFromChunk(statusUpdate(flushed, nowMicros()))
    confirmed = flushed
  }
  // An idle walsender sends a keepalive only every wal_sender_timeout / 2 (30 s by default): asking for one
  // is how the sink learns that the target still answers (a frozen one does not).
  const requestReply = () => {
    if (!stopped) connection?.sendCopyFromChunk(statusUpdate(confirmed, nowMicros(), true))
  }

  const onChunk = (report: ReturnType<typeof makeReporter>, chunk: Buffer) => {
    const frame = decodeFrame(chunk)
    if (frame.type === 'keepalive') {
      observer?.answered?.()
      if (frame.replyRequested) sendStatus()
      return
    }
    if (frame.type !== 'xlog') return
    const message = decodeLogical(frame.payload)
    if (message.type === 'begin') {
      currentCommitLsn = message.finalLsn
      skipping = message.finalLsn <= lastCommitLsn
    } else if (message.type === 'relation') {
      const index: Record<string, number> = {}
      message.relation.columns.forEach((name, i) => {
        index[name] = i
      })
      relations.set(message.relation.id, { ...message.relation, index })
    } else if (message.type === 'commit') {
      // Once per transaction, not per change; the keepalives asked for every 250 ms cover a long one.
      observer?.answered?.()
      if (!skipping) lastCommitLsn = currentCommitLsn
      if (message.endLsn > flushed) flushed = message.endLsn
    } else if (message.type === 'change' && !skipping) {
      const relation = relations.get(message.relation)
      if (!relation || relation.table !== table || relation.schema !== schema) return
      const v = message.values
      const ix = relation.index
      if (v[ix.run_id!] !== context.runId) return
      const op = v[ix.op!]
      // The marker update that precedes a delete in the same transaction; the delete itself reports it.
      if (message.kind === 'update' && op === 'd') return
      // A delete from a table without REPLICA IDENTITY FULL carries only the key: no seq to report (prepare warned).
      const seqText = v[ix.seq!]
      if (seqText === null || seqText === undefined) return
      const seq = Number(seqText)
      const applied = ix.cdcb_applied_at === undefined ? null : v[ix.cdcb_applied_at]
      if (message.kind === 'delete') seen.deletes++
      else if (op === 'i') seen.inserts++
      else seen.updates++
      report(
        seq,
        Number(v[ix.key!]),
        Number(v[ix.intended_at!]),
        applied === null || applied === undefined ? null : Number(applied),
        message.kind === 'delete' ? null : (v[ix.digest!] ?? null),
        message.kind === 'delete' ? null : (v[ix.payload!] ?? null),
        nowMicros(),
      )
    }
  }

  /** Opens the replication stream from `flushed`; calls `onLost` once if it later ends while the sink runs. */
  const openStream = async (report: ReturnType<typeof makeReporter>, onLost: (why: string) => void) => {
    const stream = await connect(options, 'sink', { replication: 'database' } as Partial<pg.ClientConfig>)
    client = stream
    const streamConnection = (stream as unknown as { connection: StreamConnection }).connection
    connection = streamConnection
    streamConnection.on('copyData', ({ chunk }) => onChunk(report, chunk))
    let lost = false
    const loseOnce = (why: string) => {
      if (lost || stopped || client !== stream) return
      lost = true
      onLost(why)
    }
    stream.on('end', () => loseOnce('the connection closed'))
    await new Promise<void>((resolve, reject) => {
      streamConnection.once('replicationStart', () => resolve())
      stream
        .query(
          `START_REPLICATION SLOT "${names.sinkSlot}" LOGICAL ${formatLsn(flushed)} (proto_version '1', publication_names '"${names.sinkPublication}"')`,
        )
        .then(
          () => loseOnce('the server ended the stream'),
          (error: unknown) => {
            reject(error)
            loseOnce((error as Error).message)
          },
        )
    }).catch(async (error: unknown) => {
      await stream.end().catch(() => {})
      throw error
    })
  }

  const sink: { timeBase: string; stampResolutionMicros: number } & Sink = {
    timeBase: timeBaseFor('logical', options),
    stampResolutionMicros: 0,
    async start(sinkObserver) {
      observer = sinkObserver
      const plain = await connect(options, 'sink')
      let stamped: boolean
      try {
        offset = await estimateClockOffset(plain)
        // A table cdcb did not create may lack the stamp; then an event's time at the far end is its arrival here.
        const { rowCount } = await plain.query(
          `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'cdcb_applied_at'`,
          [schema, table],
        )
        stamped = rowCount === 1
      } finally {
        await plain.end().catch(() => {})
      }
      sink.timeBase = timeBaseFor('logical', options, offset, stamped)
      sink.stampResolutionMicros = stampResolution(offset)
      context.log(`postgres sink: target clock offset ${describeOffset(offset)} (Cristian's method)`)
      const report = makeReporter(context, sinkObserver, offset)
      const reconnect = async (why: string) => {
        context.log(
          `postgres sink: replication stream lost (${why}); reopening it from ${formatLsn(flushed)}`,
        )
        const previous = client
        client = undefined
        connection = undefined
        await previous?.end().catch(() => {})
        const attempts = await reopenWithBackoff(
          () => openStream(report, (next) => void reconnect(next)),
          () => stopped,
          (error) =>
            context.log(`postgres sink: reopening the replication stream failed: ${error.message}; retrying`),
        )
        if (attempts !== undefined) {
          context.log(
            `postgres sink: replication stream reopened from ${formatLsn(flushed)} after ${attempts} attempt(s)`,
          )
        }
      }
      await openStream(report, (why) => void reconnect(why))
      statusTimer = setInterval(sendStatus, 1000)
      statusTimer.unref()
      replyTimer = setInterval(requestReply, REPLY_REQUEST_MS)
      replyTimer.unref()
      context.log(`postgres sink: streaming slot ${names.sinkSlot} from ${formatLsn(flushed)}`)
    },
    /** Changes seen by kind, from the row's `op` (a delete: the target's delete), duplicates included. */
    stats: () => ({ ...seen }),
    async stop() {
      stopped = true
      if (statusTimer) clearInterval(statusTimer)
      if (replyTimer) clearInterval(replyTimer)
      const c = client
      client = undefined
      connection = undefined
      if (c) {
        // Ending the connection ends the walsender; the slot is dropped by the teardown.
        ;(c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
        await c.end().catch(() => {})
      }
    },
  }
  return sink
}

interface StreamConnection {
  on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void
  once(event: 'replicationStart', listener: () => void): void
  sendCopyFromChunk(chunk: Buffer): void
}

/** Rows per page of a poll; a poll reads as many pages as the lookback window holds. */
export const POLL_PAGE_ROWS = 20_000

async function createPollSink(options: PostgresOptions, context: PluginContext): Promise<Sink> {
  const { schema, table } = tableOf(options)
  const intervalMs = parseDurationMicros(options.pollInterval ?? DEFAULTS.pollInterval)! / 1000
  const lookback = parseDurationMicros(options.pollLookback ?? DEFAULTS.pollLookback)!
  // The change log holds one row per change applied at the target, deletes included. Each poll pages
  // through the lookback window by (apply stamp, seq), so a window holding more than a page is read to
  // its end instead of its first page being read again for ever.
  const sql = `SELECT key, seq, intended_at, digest, cdcb_applied_at FROM ${qualified(schema, changeLogTable(table))}
    WHERE run_id = $1 AND (cdcb_applied_at, seq) > ($2, $3) ORDER BY cdcb_applied_at, seq LIMIT ${POLL_PAGE_ROWS}`
  // Seqs already reported: a few bits per event, so re-reading the lookback window never double-counts.
  const seen = new SeqBitset()
  let client: pg.Client | undefined
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let polling: Promise<void> = Promise.resolve()
  const sink: { timeBase: string; stampResolutionMicros: number } & Sink = {
    timeBase: timeBaseFor('poll', options),
    stampResolutionMicros: 0,
    async start(observer) {
      const c = await connect(options, 'sink')
      client = c
      const offset = await estimateClockOffset(c)
      sink.timeBase = timeBaseFor('poll', options, offset)
      sink.stampResolutionMicros = stampResolution(offset)
      context.log(`postgres sink: target clock offset ${describeOffset(offset)} (Cristian's method)`)
      const report = makeReporter(context, observer, offset)
      // Start from the target's now: rows of this run cannot be older.
      const nowOnTarget = nowMicros() + offset.offsetMicros - lookback
      let mark = nowOnTarget
      const readPast = async () => {
        // Each poll starts `lookback` before the newest stamp seen, for transactions still committing.
        let afterApplied = Math.floor(mark - lookback)
        let afterSeq = -1
        for (;;) {
          const { rows } = await c.query<{
            key: string
            seq: string
            intended_at: string
            digest?: string
            cdcb_applied_at: string
          }>({ text: sql, values: [context.runId, afterApplied, afterSeq], name: 'cdcb_poll' })
          const observedAt = nowMicros()
          for (const row of rows) {
            const seq = Number(row.seq)
            const applied = Number(row.cdcb_applied_at)
            if (applied > mark) mark = applied
            afterApplied = applied
            afterSeq = seq
            if (seen.testAndSet(seq)) continue
            report(
              seq,
              Number(row.key),
              Number(row.intended_at),
              applied,
              row.digest || null,
              null,
              observedAt,
            )
          }
          if (rows.length < POLL_PAGE_ROWS || stopped) return
        }
      }
      const tick = () => {
        if (stopped) return
        polling = (async () => {
          try {
            await readPast()
            observer.answered?.()
          } catch (error) {
            if (!stopped) context.log(`postgres sink: poll failed: ${(error as Error).message}`)
          }
          if (!stopped) timer = setTimeout(tick, intervalMs)
        })()
      }
      tick()
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await polling
      await client?.end().catch(() => {})
      client = undefined
    },
  }
  return sink
}
