import fs from 'node:fs'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export { sleep }

/**
 * Calls `check` every `intervalMs` until it returns true (resolves true) or
 * `timeoutMs` passes (resolves false). `abort` is polled too: when it returns a
 * string the wait stops by throwing that string as an Error, which is how a
 * server that dies during startup ends the wait at once instead of at timeout.
 */
export async function waitUntil(check, { timeoutMs, intervalMs = 250, abort = () => undefined }) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const reason = abort()
    if (reason) throw new Error(reason)
    if (await check()) return true
    if (Date.now() >= deadline) return false
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())))
  }
}

/** Whether a TCP connection to host:port is accepted within `timeoutMs`. */
export function canConnect(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Whether `file` contains `text` (false when the file does not exist yet). */
export function fileContains(file, text) {
  try {
    return fs.readFileSync(file, 'utf8').includes(text)
  } catch {
    return false
  }
}

/** The last `lines` lines of `file`, read from its end so a large log costs little. */
export function tailFile(file, lines = 20) {
  let fd
  try {
    fd = fs.openSync(file, 'r')
  } catch {
    return ''
  }
  try {
    const size = fs.fstatSync(fd).size
    const length = Math.min(size, Math.max(64 * 1024, lines * 400))
    const buffer = Buffer.alloc(length)
    fs.readSync(fd, buffer, 0, length, size - length)
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } finally {
    fs.closeSync(fd)
  }
}
