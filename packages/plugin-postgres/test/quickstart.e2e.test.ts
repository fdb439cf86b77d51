import { spawnSync } from 'node:child_process'
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
    const before = embeddedServers()
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
      expect(result.stdout).toMatch(/rate +target 1000\/s, sent (99\d|1000)\/s/)
      // The server's random password never reaches the output.
      expect(output).not.toMatch(/postgres:[0-9a-f]{24}@/)
      expect(result.status, output).toBe(0)
      expect(embeddedServers().filter((pid) => !before.includes(pid))).toEqual([])
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })
})
