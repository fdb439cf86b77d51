import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { ServiceError } from './errors.mjs'
import { sleep, waitUntil } from './wait.mjs'

/**
 * Starts `command` in its own process group with stdout and stderr appended to
 * `logFile` (truncated first, so the log shows this start only), detached from
 * the caller: it keeps running after the CLI or the test runner exits.
 */
export function spawnDetached({ command, args, cwd, env = process.env, logFile }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true })
  const fd = fs.openSync(logFile, 'w')
  try {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] })
    child.unref()
    return child
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Whether `pid` is a live process. With `match`, the process's command line
 * must also contain it, so a pid recycled by an unrelated process after a
 * reboot or crash is not mistaken for ours (checked where /proc exists).
 */
export function isAlive(pid, match) {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if (error.code !== 'EPERM') return false
  }
  if (!fs.existsSync('/proc/self')) return true
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false
    if (match) return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(match)
    return true
  } catch {
    return false
  }
}

/**
 * The pid file is JSON: `{ pid, port, address, match, startedAt }`; `match` is
 * the string `isAlive` looks for in the process's command line.
 */
export function readPidFile(file) {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8'))
    return Number.isInteger(info.pid) ? info : undefined
  } catch {
    return undefined
  }
}

export function writePidFile(file, info) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, `${JSON.stringify(info)}\n`)
}

export function removePidFile(file) {
  fs.rmSync(file, { force: true })
}

/**
 * Sends SIGTERM, waits up to `timeoutMs` for the process to exit, then sends
 * SIGKILL. Resolves 'terminated', 'killed' or 'gone' (it was already dead).
 */
export async function stopProcess(pid, { timeoutMs = 30_000, match } = {}) {
  if (!isAlive(pid, match)) return 'gone'
  try {
    process.kill(pid, 'SIGTERM')
  } catch (error) {
    if (error.code === 'ESRCH') return 'gone'
    throw error
  }
  if (await waitUntil(() => !isAlive(pid, match), { timeoutMs, intervalMs: 100 })) return 'terminated'
  try {
    process.kill(pid, 'SIGKILL')
  } catch (error) {
    if (error.code === 'ESRCH') return 'terminated'
    throw error
  }
  await waitUntil(() => !isAlive(pid, match), { timeoutMs: 5_000, intervalMs: 100 })
  return 'killed'
}

/**
 * Runs `fn` while holding a lock directory, so two `up`s started at once (two
 * test runs, a test run and a terminal) do not both download or both start a
 * server. A lock left by a dead process is taken over.
 */
export async function withLock(lockDir, fn, { timeoutMs = 15 * 60_000, onWait = () => {} } = {}) {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true })
  const owner = path.join(lockDir, 'pid')
  const deadline = Date.now() + timeoutMs
  let warned = false
  for (;;) {
    try {
      fs.mkdirSync(lockDir)
      fs.writeFileSync(owner, String(process.pid))
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
    }
    const holder = Number(fs.existsSync(owner) ? fs.readFileSync(owner, 'utf8') : NaN)
    if (Number.isInteger(holder) && !isAlive(holder)) {
      fs.rmSync(lockDir, { recursive: true, force: true })
      continue
    }
    if (Date.now() > deadline) {
      throw new ServiceError(
        `gave up waiting for ${lockDir} held by pid ${holder}; remove it if that process is gone`,
      )
    }
    if (!warned && Number.isInteger(holder)) {
      onWait(`waiting for another cdcb services process (pid ${holder})`)
      warned = true
    }
    await sleep(200)
  }
  try {
    return await fn()
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true })
  }
}
