/**
 * The embedded server lives no longer than the process that started it, even
 * when that process is killed with SIGKILL and runs no handler at all.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { startEmbeddedPostgres } from '../src/embedded.js'
import { freezeServer } from './server.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/hold-embedded.mjs', import.meta.url))

interface Held {
  child: ChildProcess
  port: number
  root: string
  serverPid: number
  watchdog: number
}

/** Starts a process that starts an embedded server and holds it. */
function holdServer(): Promise<Held> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) resolve({ child, ...JSON.parse(out.split('\n')[0]!) })
    })
    child.on('exit', (code) => reject(new Error(`the holder exited (${code}) before its server started`)))
  })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  return condition()
}

describe('an embedded server is tied to the life of the process that started it', () => {
  it('kill -9 of that process stops the server and deletes its temp dir', async () => {
    const held = await holdServer()
    expect(alive(held.serverPid)).toBe(true)
    expect(existsSync(held.root)).toBe(true)
    held.child.kill('SIGKILL')
    // Generous: the machine may be loaded; the watchdog escalates to SIGKILL after 5 s.
    expect(await until(() => !alive(held.serverPid), 20_000)).toBe(true)
    expect(await until(() => !existsSync(held.root), 20_000)).toBe(true)
  })

  it('a server whose owner and watchdog were both killed is swept by the next start', async () => {
    const held = await holdServer()
    process.kill(held.watchdog, 'SIGKILL')
    held.child.kill('SIGKILL')
    await until(() => !alive(held.watchdog) && held.child.exitCode !== null, 5000)
    // Nothing is left to stop it now…
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(alive(held.serverPid)).toBe(true)
    // …until the next start of an embedded server on this machine.
    const swept: string[] = []
    const next = await startEmbeddedPostgres({ onSwept: (what) => swept.push(what) })
    try {
      expect(swept.join('\n')).toContain(held.root)
      expect(await until(() => !alive(held.serverPid), 10_000)).toBe(true)
      expect(existsSync(held.root)).toBe(false)
    } finally {
      await next.stop()
    }
  })
})

describe('stopping an embedded server that is frozen (SIGSTOP)', () => {
  // The quickstart's own server, frozen: cdcb's teardown is bounded, then it stops the server. A stopped
  // process keeps SIGQUIT pending, so stop() used to wait its 5 s before escalating to SIGKILL.
  it('stops it at once, without waiting for it to be resumed', async () => {
    const server = await startEmbeddedPostgres()
    // The postmaster and every process it forked (each leads its own process group).
    const frozen = freezeServer(server.pid!)
    try {
      const started = Date.now()
      await server.stop()
      expect(Date.now() - started).toBeLessThan(3000)
      expect(existsSync(`/proc/${server.pid}`)).toBe(false)
    } finally {
      frozen.thaw()
    }
  })
})
