/**
 * Connecting with messages a user can act on: unreachable host, wrong password,
 * missing database, and `wal_level` for logical replication. Messages never
 * carry the password (core redacts URLs too, as a second line of defence).
 */
import { describeError, RuntimeFailure, redactUrl } from '@cdcb/core'
import pg from 'pg'
import { clientConfig, describeTarget, type PostgresOptions } from './options.js'

/**
 * Opens one connection; throws a RuntimeFailure with a one-line message. When `signal` aborts while it
 * connects (a teardown's deadline), the attempt is cut at once instead of waiting out `connectTimeout`.
 */
export async function connect(
  options: PostgresOptions,
  role: string,
  extra: Partial<pg.ClientConfig> = {},
  url = options.url,
  signal?: AbortSignal,
): Promise<pg.Client> {
  const config = { ...clientConfig(options, url), ...extra }
  const client = new pg.Client(config)
  // An idle client whose server goes away emits 'error'; the next query reports it instead.
  client.on('error', () => {})
  const cut = () =>
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
  signal?.addEventListener('abort', cut, { once: true })
  try {
    if (signal?.aborted) throw new Error('the teardown deadline passed before connecting')
    await client.connect()
  } catch (error) {
    cut()
    throw new RuntimeFailure(`${role}: ${explainConnectError(error, describeTarget(options, url), config)}`)
  } finally {
    signal?.removeEventListener('abort', cut)
  }
  return client
}

function explainConnectError(error: unknown, where: string, config: pg.ClientConfig): string {
  const code = (error as { code?: string }).code
  const message = redactUrl(describeError(error))
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot reach PostgreSQL at ${where}: connection refused — is the server running and listening there?`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach PostgreSQL at ${where}: host not found`
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the login: ${message} — check the user and password`
    case '3D000':
      return `PostgreSQL at ${where}: ${message} — create it first (CREATE DATABASE) or fix the database name`
  }
  if (/terminated unexpectedly/i.test(message)) {
    return `cannot reach PostgreSQL at ${where}: the connection was closed before the server answered — is this a PostgreSQL port?`
  }
  if (/timeout/i.test(message)) {
    return `cannot reach PostgreSQL at ${where}: no answer within ${(config.connectionTimeoutMillis ?? 0) / 1000}s (connectTimeout)`
  }
  return `cannot connect to PostgreSQL at ${where}: ${message}`
}

/** Fails unless the server can decode its WAL for logical replication. */
export async function requireLogicalWal(client: pg.Client, role: string, where: string): Promise<void> {
  const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level')
  if (rows[0]?.wal_level !== 'logical') {
    throw new RuntimeFailure(
      `${role}: PostgreSQL at ${where} has wal_level=${rows[0]?.wal_level}, logical replication needs wal_level=logical — ` +
        `run ALTER SYSTEM SET wal_level = logical; and restart the server (or use mode: 'poll')`,
    )
  }
}

/** Quotes a SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** `"schema"."table"` */
export function qualified(schema: string, table: string): string {
  return `${ident(schema)}.${ident(table)}`
}

/** Waits before reopening attempt `attempt` (0-based): quick first, then every 2 s. */
const REOPEN_DELAYS_MS = [100, 250, 500, 1000, 2000]

/**
 * Reopens a lost connection: calls `open` until it succeeds or `stopped()`
 * says to give up, with backoff between attempts. Every tenth failure goes to
 * `onFailure`, so a long outage is visible without flooding the log. Resolves
 * with the attempts it took, or `undefined` if it was stopped first.
 */
export async function reopenWithBackoff(
  open: () => Promise<void>,
  stopped: () => boolean,
  onFailure: (error: Error) => void,
): Promise<number | undefined> {
  for (let attempt = 0; !stopped(); attempt++) {
    const delay = REOPEN_DELAYS_MS[Math.min(attempt, REOPEN_DELAYS_MS.length - 1)]
    await new Promise((resolve) => setTimeout(resolve, delay))
    if (stopped()) return undefined
    try {
      await open()
      return attempt + 1
    } catch (error) {
      if (attempt % 10 === 0) onFailure(error as Error)
    }
  }
  return undefined
}
