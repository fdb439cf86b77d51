/**
 * Tables of dead runs: a cdcb run killed with kill -9 never reaches its
 * teardown and leaves its tables; `cdcb clean` and the next run find them by
 * the process their comment names, say what each held and drop them; tables
 * of runs that may live are left and named.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import plugin from '../src/index.js'
import { contactPoint, driverClient, env, uniqueKeyspace } from './helpers.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const cli = path.join(root, 'packages/cli/bin/run.js')
const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-cassandra-sweep-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A config file with Cassandra in the source and sink slots, writing into `keyspace`. */
function configFile(keyspace: string, duration: string): string {
  const options = { contactPoints: [contactPoint], keyspace, changeLog: true }
  const file = path.join(dir, `${keyspace}-${duration}.json`)
  writeFileSync(
    file,
    JSON.stringify({
      source: { plugin: 'cassandra', options },
      sink: { plugin: 'cassandra', options },
      workers: 1,
      load: { rate: 50, duration, keys: 100, drainTimeout: '20s' },
    }),
  )
  return file
}

async function cdcb(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [cli, ...args], {
    cwd: root,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  )
}

async function tablesIn(keyspace: string): Promise<string[]> {
  const client = await driverClient()
  try {
    const r = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?', [
      keyspace,
    ])
    return r.rows.map((row) => String(row.get('table_name'))).sort()
  } finally {
    await client.shutdown()
  }
}

async function rowsIn(keyspace: string, table: string): Promise<number> {
  const client = await driverClient()
  try {
    const r = await client.execute(`SELECT COUNT(*) AS n FROM "${keyspace}"."${table}"`)
    return Number(r.first().get('n'))
  } finally {
    await client.shutdown()
  }
}

/** Starts a 10-minute CLI run, waits until its rows arrive, and kills it with SIGKILL; returns its pid. */
async function killedRun(keyspace: string): Promise<number> {
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, 'run', '--config', configFile(keyspace, '10m'), '--no-tui'],
    {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: 'ignore',
    },
  )
  const exited = new Promise((resolve) => child.on('exit', resolve))
  try {
    const end = Date.now() + 90_000
    for (;;) {
      const tables = await tablesIn(keyspace)
      // A table just created can be listed a moment before queries find it.
      const rows = tables.includes('cdcb_events') ? await rowsIn(keyspace, 'cdcb_events').catch(() => 0) : 0
      if (rows > 20) break
      if (child.exitCode !== null) throw new Error(`the run exited (${child.exitCode}) before writing`)
      if (Date.now() > end) throw new Error('timed out waiting for the run to write its rows')
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  } finally {
    child.kill('SIGKILL')
    await exited
  }
  return child.pid!
}

async function dropKeyspace(keyspace: string): Promise<void> {
  const client = await driverClient()
  try {
    await client.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`)
  } finally {
    await client.shutdown()
  }
}

const where = `${contactPoint} \\(dc datacenter1\\)`

describe.skipIf(!!env.skip)('tables left by runs killed with kill -9', () => {
  it('cdcb clean --dry-run names each table, its run, the dead process and its rows, and prints the CQL; cdcb clean drops them', async () => {
    const keyspace = uniqueKeyspace('killed')
    try {
      const pid = await killedRun(keyspace)
      // Teardown never ran: both tables are still there.
      expect(await tablesIn(keyspace)).toEqual(['cdcb_events', 'cdcb_events_changes'])
      const config = configFile(keyspace, '1s')

      const dry = await cdcb(['clean', '--config', config, '--dry-run'])
      expect(dry.code, dry.stderr).toBe(0)
      const left = (table: string, what: string) =>
        `^cdcb: cassandra: table ${keyspace}\\.${table} \\(${what}\\) at ${where} was left by cdcb run \\S+ \\(created [0-9T:.Z-]+; its cdcb process ${pid} on this host is gone\\), holding [\\d,]+ rows?`
      const lines = dry.stdout.trim().split('\n')
      expect(lines, dry.stdout).toEqual([
        expect.stringMatching(
          new RegExp(
            `${left('cdcb_events', 'state table')}; would drop it \\(--dry-run\\): DROP TABLE IF EXISTS "${keyspace}"\\."cdcb_events";$`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `${left('cdcb_events_changes', 'change log')}; would drop it \\(--dry-run\\): DROP TABLE IF EXISTS "${keyspace}"\\."cdcb_events_changes";$`,
          ),
        ),
        `cdcb: cassandra: keyspace ${keyspace} would then hold no table; cdcb cannot tell who created it, so it is left in place (DROP KEYSPACE "${keyspace}" if no one uses it)`,
      ])
      // The rows it names are the rows the table holds.
      const held = Number(/holding ([\d,]+) rows?/.exec(lines[0]!)![1]!.replace(/,/g, ''))
      expect(held).toBe(await rowsIn(keyspace, 'cdcb_events'))
      expect(await tablesIn(keyspace)).toEqual(['cdcb_events', 'cdcb_events_changes'])

      const done = await cdcb(['clean', '--config', config])
      expect(done.code, done.stderr).toBe(0)
      expect(done.stdout).toMatch(new RegExp(`${left('cdcb_events', 'state table')}; dropped it$`, 'm'))
      expect(done.stdout).toMatch(
        new RegExp(`${left('cdcb_events_changes', 'change log')}; dropped it$`, 'm'),
      )
      expect(await tablesIn(keyspace)).toEqual([])

      const again = await cdcb(['clean', '--config', config])
      expect(again.stdout.trim()).toBe(
        `cdcb: cassandra: no table left by a dead cdcb run in keyspace ${keyspace} at ${contactPoint} (dc datacenter1)`,
      )
    } finally {
      await dropKeyspace(keyspace)
    }
  })

  it('the next run drops the dead run’s tables first, saying what they held, and then runs in fresh ones', async () => {
    const keyspace = uniqueKeyspace('next')
    try {
      const pid = await killedRun(keyspace)
      expect(await tablesIn(keyspace)).toEqual(['cdcb_events', 'cdcb_events_changes'])
      const out = path.join(dir, `${keyspace}.json`)
      // --quiet: cdcb dropping another run's tables is a notice, said even then.
      const next = await cdcb(['run', '--config', configFile(keyspace, '1s'), '--quiet', '--out', out])
      const output = next.stdout + next.stderr
      expect(next.code, output).toBe(0)
      for (const [table, what] of [
        ['cdcb_events', 'state table'],
        ['cdcb_events_changes', 'change log'],
      ]) {
        expect(output).toMatch(
          new RegExp(
            `cassandra: table ${keyspace}\\.${table} \\(${what}\\) at ${where} was left by cdcb run \\S+ \\(created [0-9T:.Z-]+; its cdcb process ${pid} on this host is gone\\), holding [\\d,]+ rows?; dropped it`,
          ),
        )
      }
      // Only its own 50 events: the dead run's rows went with its tables.
      const { readFileSync } = await import('node:fs')
      const result = JSON.parse(readFileSync(out, 'utf8'))
      expect(result.events.observed).toBe(50)
      expect(result.events.lost).toBe(0)
      expect(result.plugins.sink?.foreign ?? 0).toBe(0)
      // And its own teardown dropped what it made.
      expect(await tablesIn(keyspace)).toEqual([])
    } finally {
      await dropKeyspace(keyspace)
    }
  })

  it('leaves and names tables whose run may live (its process runs, or it ran on another host); the source refuses them', async () => {
    const keyspace = uniqueKeyspace('live')
    const client = await driverClient()
    const table = async (name: string, comment: string) =>
      client.execute(
        `CREATE TABLE "${keyspace}"."${name}" (run_id text PRIMARY KEY) WITH comment = '${comment}'`,
      )
    try {
      await client.execute(
        `CREATE KEYSPACE "${keyspace}" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}`,
      )
      const at = new Date().toISOString()
      await table(
        'cdcb_events',
        `cdcb:owned: state table created by cdcb run liverun at ${at} by process ${hostname()} ${process.pid}; cdcb drops it after the run`,
      )
      await table(
        'elsewhere',
        `cdcb:owned: state table created by cdcb run otherrun at ${at} by process other-host-xyz 1; cdcb drops it after the run`,
      )
      await table('theirs', 'a table someone else made')
      const options = { contactPoints: [contactPoint], keyspace }
      const logs: string[] = []
      const log = (m: string) => void logs.push(m)
      // One `cdcb clean` shares one set of servers cleaned across its slots (as the CLI passes it).
      const cleaned = new Set<string>()
      await plugin.clean!('source', options, { dryRun: false, log, cleaned })
      expect(logs).toEqual([
        `cassandra: table ${keyspace}.cdcb_events at ${contactPoint} (dc datacenter1) belongs to cdcb run liverun, which may still run (its cdcb process ${process.pid} is running); left in place`,
        `cassandra: table ${keyspace}.elsewhere at ${contactPoint} (dc datacenter1) belongs to cdcb run otherrun, which may still run (its cdcb ran on host other-host-xyz); left in place`,
        `cassandra: no table left by a dead cdcb run in keyspace ${keyspace} at ${contactPoint} (dc datacenter1)`,
      ])
      expect(await tablesIn(keyspace)).toEqual(['cdcb_events', 'elsewhere', 'theirs'])
      // The sink of the same clean names the same keyspace: said once, not twice.
      const before = logs.length
      await plugin.clean!('sink', options, { dryRun: false, log, cleaned })
      expect(logs.length).toBe(before)
      // Another clean (its own set) looks again.
      const again: string[] = []
      await plugin.clean!('sink', options, {
        dryRun: true,
        log: (m) => void again.push(m),
        cleaned: new Set(),
      })
      expect(again).toEqual(logs.slice(0, before))

      const refused = await plugin.prepare!(
        'source',
        { ...options, table: 'elsewhere' },
        {
          runId: 'newrun',
          name: 'live',
          seed: 1,
          shards: 1,
          signal: new AbortController().signal,
          log: () => {},
        },
      ).then(
        () => undefined,
        (error: Error) => error,
      )
      expect(refused?.message).toMatch(
        new RegExp(
          `^source: table ${keyspace}\\.elsewhere at ${where} belongs to cdcb run otherrun \\(created [0-9T:.Z-]+; its cdcb ran on host other-host-xyz\\), which may still be running — .*DROP TABLE "${keyspace}"\\."elsewhere"`,
        ),
      )
      expect(await tablesIn(keyspace)).toEqual(['cdcb_events', 'elsewhere', 'theirs'])
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS "${keyspace}"`)
      await client.shutdown()
    }
  })
})
