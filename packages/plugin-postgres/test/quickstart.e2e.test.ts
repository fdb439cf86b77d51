import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = path.resolve(fileURLToPath(import.meta.url), '../../../..')
const cli = path.join(root, 'packages/cli/bin/run.js')

/** Pids of running embedded servers (their data dirs are cdcb-pg-* temp dirs); not the rm that deletes one. */
function embeddedServers(): string[] {
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      return cmdline.includes('bin/postgres') && cmdline.includes('cdcb-pg-')
    } catch {
      return false
    }
  })
}

describe('cdcb run with no config', () => {
  // The README's first command as a newcomer runs it, at the default rate and SLOs, only shorter.
  it('benchmarks an embedded logical-replication pipeline, prints the summary and removes the server', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'cdcb-quickstart-'))
    try {
      const result = spawnSync(process.execPath, [cli, 'run', '--duration', '5s', '--no-tui'], {
        cwd,
        encoding: 'utf8',
        timeout: 110_000,
        env: { ...process.env, CI: '1' },
      })
      const output = `${result.stdout}\n${result.stderr}`
      expect(result.stderr).toMatch(/embedded PostgreSQL/)
      expect(result.stderr).toMatch(/SOURCE_URL=… TARGET_URL=…/)
      expect(result.stdout).toMatch(/time base: target apply time/)
      expect(result.stdout).toMatch(/verification checked [\d,]+ keys, 0 mismatched/)
      expect(result.stdout).toMatch(/lost 0/)
      // Within 1 %: a generator that fell behind under load catches up inside the window (1001/s seen at load 15).
      expect(result.stdout).toMatch(/rate +target 1000\/s, sent (99\d|100\d)\/s/)
      // The server's random password never reaches the output.
      expect(output).not.toMatch(/postgres:[0-9a-f]{24}@/)
      expect(result.status, output).toBe(0)
      // This run's server, by its port: other runs on a shared machine start and stop their own meanwhile.
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(result.stderr)?.[1])
      expect(port).toBeGreaterThan(0)
      expect(serverOnPort(port)).toBeUndefined()
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })
})

/** The pid of the embedded server listening on `port`, if one runs. */
function serverOnPort(port: number): string | undefined {
  return embeddedServers().find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(` -p ${port} `)
    } catch {
      return false
    }
  })
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
  return condition()
}

/** Starts the quickstart and sends `signal` once it is measuring; resolves with its exit and the server's port. */
function quickstartKilledWith(signal: NodeJS.Signals): Promise<{
  code: number | null
  signal: NodeJS.Signals | null
  port: number
  stderr: string
  stdout: string
}> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'cdcb-quickstart-'))
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', '--duration', '60s', '--no-tui'], {
      cwd,
      env: { ...process.env, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let port = 0
    let sent = false
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      port ||= Number(/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1] ?? 0)
    })
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (!sent && port && (stdout.match(/\| measure/g) ?? []).length >= 2) {
        sent = true
        expect(serverOnPort(port)).toBeDefined()
        child.kill(signal)
      }
    })
    child.on('error', reject)
    child.on('close', (code, killedBy) => {
      rmSync(cwd, { recursive: true, force: true })
      resolve({ code, signal: killedBy, port, stderr, stdout })
    })
  })
}

describe('the quickstart leaves nothing running however it ends', () => {
  it('SIGHUP (terminal closed, SSH dropped) stops it as Ctrl-C does: partial report, exit 130, server removed', async () => {
    const run = await quickstartKilledWith('SIGHUP')
    expect(run.stderr).toMatch(/stopping — draining/)
    expect(run.stdout).toMatch(/INTERRUPTED/)
    expect(run.code).toBe(130)
    expect(await until(() => serverOnPort(run.port) === undefined, 20_000)).toBe(true)
  })

  it('kill -9 takes the embedded server with it', async () => {
    const run = await quickstartKilledWith('SIGKILL')
    expect(run.signal).toBe('SIGKILL')
    expect(await until(() => serverOnPort(run.port) === undefined, 20_000)).toBe(true)
  })
})
