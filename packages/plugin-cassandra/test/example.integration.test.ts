import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, watch } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { contactPoint, driverClient, env } from './helpers.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const cli = path.join(root, 'packages/cli/bin/run.js')
const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-cassandra-example-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/**
 * The harness's node reached as a user reaches it: through CASSANDRA_PORT, which
 * `npm run services` and the example both follow (issue 12: the example ignored it);
 * a node of the user's own through CASSANDRA_CONTACT_POINTS.
 */
function exampleEnv(): NodeJS.ProcessEnv {
  const { CASSANDRA_CONTACT_POINTS: _, ...rest } = process.env
  if (!env.harness) return { ...rest, CASSANDRA_CONTACT_POINTS: contactPoint }
  return { ...rest, CASSANDRA_PORT: contactPoint.split(':').at(-1) }
}

describe.skipIf(!contactPoint)('examples/cassandra', () => {
  it('runs shortened with the built cdcb binary: every SLO holds, and cdcb leaves nothing behind', async () => {
    const out = path.join(dir, 'result.json')
    const args = [cli, 'run', '--config', 'examples/cassandra/bench.config.ts', '--no-tui']
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...args, '--rate', '200', '--duration', '3s', '--out', out],
      { cwd: root, timeout: 120_000, env: exampleEnv() },
    )
    expect(stdout).toMatch(/PASSED/)
    const result = JSON.parse(readFileSync(out, 'utf8'))
    expect(result.events.lost).toBe(0)
    expect(result.events.observed).toBe(result.events.acked)
    expect(result.verification.mismatched).toBe(0)
    expect(result.verification.checked).toBeGreaterThan(0)
    const client = await driverClient()
    try {
      const left = await client.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'cdcb'",
      )
      expect(left.rowLength).toBe(0)
    } finally {
      await client.shutdown()
    }
  })
})

describe('examples/cassandra-debezium-postgres with a contact point nothing answers at', () => {
  // Issue 12: the config started its embedded PostgreSQL first (~31 s on a loaded machine), and only then
  // was the wrong contact point said.
  it('says so in one line (exit 3) before starting the embedded PostgreSQL', async () => {
    // The embedded server makes its folder (cdcb-pg-*) in the run's TMPDIR as it starts: watch for it.
    const temp = mkdtempSync(path.join(dir, 'tmp-'))
    // Run as root, the embedded server runs as the postgres user, which must reach its folder.
    chmodSync(dir, 0o755)
    chmodSync(temp, 0o755)
    const made: string[] = []
    const watcher = watch(temp, (_event, name) => {
      if (name?.startsWith('cdcb-pg-')) made.push(name)
    })
    const started = Date.now()
    const { TARGET_URL: _, ...rest } = process.env
    const run = await promisify(execFile)(
      process.execPath,
      [cli, 'run', '--config', 'examples/cassandra-debezium-postgres/bench.config.ts', '--no-tui'],
      { cwd: root, timeout: 60_000, env: { ...rest, TMPDIR: temp, CASSANDRA_CONTACT_POINT: '127.0.0.1:1' } },
    )
      .then(
        (r) => ({ code: 0, stderr: r.stderr }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      )
      .finally(() => watcher.close())
    const seconds = (Date.now() - started) / 1000
    expect(made, 'the embedded PostgreSQL was started first').toEqual([])
    expect(run.code, run.stderr).toBe(3)
    expect(run.stderr.trim().split('\n'), run.stderr).toEqual([
      'cdcb: source: cannot reach Cassandra at 127.0.0.1:1 (dc datacenter1): connection refused — is the node running and listening there?',
    ])
    expect(seconds).toBeLessThan(15) // CLI start-up and a refused connect on a busy machine
  })
})
