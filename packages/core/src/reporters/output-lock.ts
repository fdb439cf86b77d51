/**
 * A report file belongs to one live run at a time on this host. Two runs given
 * the same `--out` used to overwrite each other's result silently; now the
 * first claims the file, and the second is refused before anything runs. A
 * claim is a small file in the temp folder, named after the report's absolute
 * path, holding the claiming process's pid and start time (as the embedded
 * PostgreSQL's owner file does): a claim whose process is gone (kill -9) is
 * stale and taken over; the start time tells a reused pid apart.
 */
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** A claimed report file; `release` once the run wrote its last version (also called at process exit). */
export interface OutputClaim {
  release(): void
}

interface Owner {
  readonly pid: number
  readonly startTime?: string
  readonly runId: string
  readonly since: string
  readonly token: string
}

const CLAIMS = 'cdcb-output-claims'
/** A claim file still being written has no JSON yet; one this old without it is debris. */
const UNREADABLE_GRACE_MS = 5_000

function claimFileOf(file: string): string {
  const digest = createHash('sha256').update(path.resolve(file)).digest('hex').slice(0, 32)
  return path.join(tmpdir(), CLAIMS, `${digest}.json`)
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), to tell a reused pid apart. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function alive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    if ((error as { code?: string }).code !== 'EPERM') return false
  }
  const now = startTimeOf(owner.pid)
  return owner.startTime === undefined || now === undefined || now === owner.startTime
}

/** The live owner of `claim`, or undefined when there is none (no claim, or a stale one). */
function liveOwner(claim: string): Owner | undefined {
  let text: string
  try {
    text = readFileSync(claim, 'utf8')
  } catch {
    return undefined
  }
  try {
    const owner = JSON.parse(text) as Owner
    return alive(owner) ? owner : undefined
  } catch {
    // Being written this instant by another run, or debris of one killed mid-write.
    try {
      return Date.now() - statSync(claim).mtimeMs < UNREADABLE_GRACE_MS
        ? { pid: 0, runId: 'unknown', since: 'just now', token: '' }
        : undefined
    } catch {
      return undefined
    }
  }
}

/**
 * Claims report `file` for run `runId`. Returns the claim, or a description of
 * the live run that holds it (`pid 1234, run ab12cd34, since 2026-12-06T23:40:01Z`)
 * when another run on this host is writing it. Nothing is written beside the report.
 */
export function claimOutput(file: string, runId: string): OutputClaim | { heldBy: string } {
  const claim = claimFileOf(file)
  mkdirSync(path.dirname(claim), { recursive: true })
  const owner: Owner = {
    pid: process.pid,
    startTime: startTimeOf(process.pid),
    runId,
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(claim, 'wx')
      try {
        writeSync(fd, JSON.stringify({ ...owner, file: path.resolve(file) }))
      } finally {
        closeSync(fd)
      }
      const release = () => {
        process.off('exit', release)
        try {
          if ((JSON.parse(readFileSync(claim, 'utf8')) as Owner).token === owner.token) unlinkSync(claim)
        } catch {}
      }
      // A run that ends without release (a second Ctrl-C exits at once) still gives its claims back.
      process.once('exit', release)
      return { release }
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error
    }
    const holder = liveOwner(claim)
    if (holder) {
      return {
        heldBy: holder.pid
          ? `pid ${holder.pid}, run ${holder.runId}, since ${holder.since}`
          : 'a run starting now',
      }
    }
    // Stale: its run is gone. Take it over (another taker racing us finds ours, or retries).
    try {
      unlinkSync(claim)
    } catch {}
  }
  return { heldBy: 'another run that keeps claiming it' }
}
