/**
 * Removing what a run made, step by step, on fresh connections, within the
 * run's teardown deadline. A server that cannot be reached, or that stops
 * answering (a frozen one never closes its sockets, so neither a query nor a
 * polite `end()` ever returns), leaves objects behind: every step not done is
 * named with the SQL that does it by hand, and the teardown fails with that
 * list, so the run ends with exit 3 and the user knows what to drop where.
 */
import { describeError, RuntimeFailure, redactUrl } from '@cdcb/core'
import type pg from 'pg'
import { connect } from './connect.js'
import { describeTarget, type PostgresOptions } from './options.js'

/** A teardown step on one server, with the SQL that does it by hand if cdcb cannot. */
export interface UndoStep {
  /** Which of `servers` it runs on. */
  readonly on: string
  run(client: pg.Client): Promise<void>
  /** The SQL that removes the object by hand; it names the object. */
  readonly byHand: string
}

/** A server steps run on: its URL and the option path its messages name (`sink`, `sink.options.replicateFrom`). */
export interface UndoServer {
  readonly url: string | undefined
  readonly role: string
}

/**
 * Runs `steps` newest first (the order they were pushed as objects were made,
 * reversed: a subscription before its slot, a table before its trigger
 * functions). When `signal` aborts (the run's teardown deadline), every open
 * connection is cut and the steps left are reported. Throws a RuntimeFailure
 * naming, per server, each object left and the SQL to drop it.
 */
export async function runUndo(
  steps: readonly UndoStep[],
  servers: Readonly<Record<string, UndoServer>>,
  options: PostgresOptions,
  context: { log(message: string): void },
  signal?: AbortSignal,
): Promise<void> {
  const clients = new Map<string, pg.Client | Error>()
  const left = new Map<string, string[]>()
  const why = new Map<string, string>()
  const leave = (on: string, step: UndoStep, reason: string) => {
    left.set(on, [...(left.get(on) ?? []), step.byHand])
    if (!why.has(on)) why.set(on, reason)
  }
  const clientFor = async (on: string): Promise<pg.Client | Error> => {
    let client = clients.get(on)
    if (client === undefined) {
      const server = servers[on]!
      client = signal?.aborted
        ? deadlinePassed()
        : await connect(options, server.role, {}, server.url, signal).catch((error: Error) =>
            signal?.aborted ? deadlinePassed() : error,
          )
      clients.set(on, client)
    }
    return client
  }
  try {
    for (const step of [...steps].reverse()) {
      const client = await clientFor(step.on)
      if (client instanceof Error) {
        leave(step.on, step, `could not connect (${redactUrl(client.message)})`)
        continue
      }
      try {
        if (signal?.aborted) throw deadlinePassed()
        await step.run(client)
      } catch (error) {
        const reason = signal?.aborted ? deadlinePassed().message : redactUrl(describeError(error))
        leave(step.on, step, `step failed (${reason})`)
      }
    }
  } finally {
    for (const client of clients.values()) if (!(client instanceof Error)) await closeClient(client, signal)
  }
  if (left.size === 0) return
  const lines: string[] = []
  for (const [on, unsorted] of left) {
    // In the order that runs by hand: a subscription before the slot it holds, tables before their functions.
    const sql = unsorted.sort((a, b) => rank(a) - rank(b))
    context.log(`postgres: teardown ${why.get(on)}; left behind there: ${sql.join('; ')}`)
    lines.push(`${describeTarget(options, servers[on]!.url)}: ${sql.join('; ')}`)
  }
  // What is left on the user's server is a runtime failure, whatever the SLOs said.
  throw new RuntimeFailure(
    `could not remove what the run made (${[...why.values()][0]}); left behind — to run there by hand: ${lines.join(' | ')}`,
  )
}

const ORDER = [
  /^DROP SUBSCRIPTION/,
  /pg_drop_replication_slot/,
  /^DROP PUBLICATION/,
  /^DROP TABLE/,
  /^DROP FUNCTION/,
]

function rank(sql: string): number {
  const index = ORDER.findIndex((pattern) => pattern.test(sql))
  return index < 0 ? ORDER.length : index
}

function deadlinePassed(): Error {
  return new Error('the teardown deadline passed; the server did not answer in time')
}

/** Cuts a client's socket at once: a frozen server would keep `end()` (and any query) waiting until it resumes. */
export function destroyClient(client: pg.Client): void {
  ;(client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
}

/**
 * Ends a client politely when its server answers, else cuts it: waits for the
 * goodbye at most a second, and not at all once `signal` aborted.
 */
export async function closeClient(client: pg.Client, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) {
    destroyClient(client)
    return
  }
  let timer: NodeJS.Timeout | undefined
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      destroyClient(client)
      resolve()
    }, 1000)
  })
  await Promise.race([client.end().catch(() => {}), cut])
  clearTimeout(timer)
}

/**
 * Runs `work` on `client`, cutting the client's socket when `signal` aborts so
 * a query to a frozen server rejects instead of waiting for it.
 */
export async function untilAborted<T>(
  client: pg.Client,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw deadlinePassed()
  const cut = () => destroyClient(client)
  signal?.addEventListener('abort', cut, { once: true })
  try {
    return await work()
  } catch (error) {
    throw signal?.aborted ? deadlinePassed() : error
  } finally {
    signal?.removeEventListener('abort', cut)
  }
}
