import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { RunContext } from '@cdcb/core'
import { afterAll, describe, expect, it } from 'vitest'
import plugin from '../src/index.js'
import { testContext } from './context.js'
import { contactPoint, driverClient, uniqueKeyspace } from './helpers.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const cli = path.join(root, 'packages/cli/bin/run.js')
const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-cassandra-errors-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let configs = 0

async function runCli(
  options: Record<string, unknown>,
  slots: { sink?: Record<string, unknown>; verify?: Record<string, unknown>; workers?: number } = {},
) {
  const file = path.join(dir, `bench-${++configs}.config.json`)
  writeFileSync(
    file,
    JSON.stringify({
      source: { plugin: 'cassandra', options },
      sink: { plugin: 'cassandra', options: slots.sink ?? options },
      ...(slots.verify && { verify: { plugin: 'cassandra', options: slots.verify } }),
      workers: slots.workers ?? 1,
      load: { rate: 50, duration: '1s' },
    }),
  )
  const started = Date.now()
  const outcome = await promisify(execFile)(process.execPath, [cli, 'run', '--config', file, '--no-tui'], {
    cwd: root,
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  )
  return { ...outcome, seconds: (Date.now() - started) / 1000 }
}

function expectOneLine(stderr: string): string {
  const lines = stderr.trim().split('\n')
  expect(lines, stderr).toHaveLength(1)
  expect(stderr).not.toMatch(/^\s+at /m)
  return lines[0]!
}

describe('contact points that do not answer, and bad options', () => {
  it('refused: one line naming the contact points, exit 3, within the connect timeout', async () => {
    const { code, stderr, seconds } = await runCli({ contactPoints: ['127.0.0.1:1'], connectTimeout: '3s' })
    expect(code).toBe(3)
    expect(expectOneLine(stderr)).toMatch(/cannot reach Cassandra at 127\.0\.0\.1:1 .*connection refused/)
    expect(seconds).toBeLessThan(3 + 10) // connect timeout + node and CLI start-up on a busy machine
  })

  it('silent (packets dropped): gives up at the connect timeout with exit 3', async () => {
    // 10.255.255.1 is not routed anywhere here: the TCP handshake never completes.
    const { code, stderr, seconds } = await runCli({
      contactPoints: ['10.255.255.1:9042'],
      connectTimeout: '2s',
    })
    expect(code).toBe(3)
    expect(expectOneLine(stderr)).toMatch(
      /cannot reach Cassandra at 10\.255\.255\.1:9042 .*no answer within 2s/,
    )
    expect(seconds).toBeLessThan(2 + 10)
  })

  it('never prints the password', async () => {
    const { code, stderr } = await runCli({
      contactPoints: ['127.0.0.1:1'],
      connectTimeout: '1s',
      username: 'cdcb',
      password: 'hunter2-secret',
    })
    expect(code).toBe(3)
    expect(stderr).not.toContain('hunter2-secret')
  })

  it('bad option: one line naming the field, exit 2', async () => {
    const { code, stderr } = await runCli({ contactPoints: ['127.0.0.1:1'], consistency: 'MOST' })
    expect(code).toBe(2)
    expect(expectOneLine(stderr)).toMatch(/source\.options\.consistency: expected one of/)
  })
})

describe.skipIf(!contactPoint)('a node that answers, configured wrongly', () => {
  it('wrong datacenter: one line naming the datacenters there are, exit 3', async () => {
    const { code, stderr, seconds } = await runCli({
      contactPoints: [contactPoint],
      localDataCenter: 'dc-elsewhere',
      connectTimeout: '5s',
    })
    expect(code).toBe(3)
    expect(expectOneLine(stderr)).toMatch(
      /no node in that datacenter \(the cluster has: datacenter1\).*localDataCenter/,
    )
    expect(seconds).toBeLessThan(5 + 10)
  })

  // Issue 12 item 7: the sink waited out the run and reported everything lost; the verifier's error came
  // after the run, once per worker.
  for (const slot of ['sink', 'verify'] as const) {
    it(`missing keyspace of the ${slot}: one line before any load, exit 3, nothing left behind`, async () => {
      const keyspace = uniqueKeyspace('src')
      const missing = uniqueKeyspace('missing')
      const options = { contactPoints: [contactPoint], keyspace }
      const { code, stderr, seconds } = await runCli(options, {
        [slot]: { ...options, keyspace: missing },
        workers: 2,
      })
      expect(code).toBe(3)
      expect(expectOneLine(stderr)).toMatch(
        new RegExp(
          `${slot === 'verify' ? 'verifier' : 'sink'} "cassandra" failed to prepare: .*no keyspace '${missing}'.*keyspace option`,
        ),
      )
      expect(seconds).toBeLessThan(25) // the run's 1 s load never started; CLI and node start-up on a busy machine
      const client = await driverClient()
      try {
        const left = await client.execute(
          'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name IN ?',
          [[keyspace, missing]],
        )
        expect(left.rowLength).toBe(0)
      } finally {
        await client.shutdown()
      }
    })
  }

  it('missing keyspace: the verifier says so in one line', async () => {
    const keyspace = uniqueKeyspace('missing')
    const failure = await Promise.resolve(
      plugin.createVerifier!({ contactPoints: [contactPoint], keyspace }, testContext('r1')),
    ).then(
      () => undefined,
      (error: Error) => error,
    )
    expect(failure?.message).toBe(
      `verify: Cassandra at ${contactPoint} (dc datacenter1) has no keyspace '${keyspace}' — create it first or fix the keyspace option`,
    )
  })

  // Issue 12 items 5 and 6: a second run (or the run after a kill -9) wrote into the first run's table, which
  // the first then dropped under it.
  it('refuses a table another cdcb run created, in one line, and leaves it to that run', async () => {
    const keyspace = uniqueKeyspace('other')
    const options = { contactPoints: [contactPoint], keyspace, changeLog: true }
    const runOf = (runId: string): RunContext => ({
      runId,
      name: 'other',
      seed: 1,
      shards: 1,
      signal: new AbortController().signal,
      log: () => {},
    })
    const first = await plugin.prepare!('source', options, runOf('runa1'))
    const client = await driverClient()
    try {
      const failure = await plugin.prepare!('source', options, runOf('runb2')).then(
        () => undefined,
        (error: Error) => error,
      )
      expect(failure?.name).toBe('ConfigError')
      expect(failure?.message).toMatch(
        new RegExp(
          `^source: table ${keyspace}\\.cdcb_events at ${contactPoint} \\(dc datacenter1\\) belongs to cdcb run runa1 \\(created [0-9T:.Z-]+; its cdcb process ${process.pid} is running\\), which may still be running — .*wait until that run ends, or set source\\.options\\.table`,
        ),
      )
      expect(failure?.message).not.toMatch(/\n/)
      // The refused run created nothing and dropped nothing: the first run's tables are still there.
      const tables = await client.execute(
        'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
        [keyspace],
      )
      expect(tables.rows.map((r) => r.get('table_name')).sort()).toEqual([
        'cdcb_events',
        'cdcb_events_changes',
      ])
      await first?.teardown?.()
      const left = await client.execute(
        'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
        [keyspace],
      )
      expect(left.rowLength).toBe(0)
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
      await client.shutdown()
    }
  })

  it('never writes into or drops a table cdcb did not create', async () => {
    const keyspace = uniqueKeyspace('foreign')
    const client = await driverClient()
    try {
      await client.execute(
        `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
      )
      await client.execute(`CREATE TABLE ${keyspace}.cdcb_events (id int PRIMARY KEY, note text)`)
      await client.execute(`INSERT INTO ${keyspace}.cdcb_events (id, note) VALUES (1, 'theirs')`)
      const run: RunContext = {
        runId: `r${randomBytes(2).toString('hex')}`,
        name: 'foreign',
        seed: 1,
        shards: 1,
        signal: new AbortController().signal,
        log: () => {},
      }
      await expect(
        plugin.prepare!('source', { contactPoints: [contactPoint], keyspace }, run),
      ).rejects.toThrow(
        `source: table ${keyspace}.cdcb_events at ${contactPoint} (dc datacenter1) exists and was not created by cdcb`,
      )
      const rows = await client.execute(`SELECT note FROM ${keyspace}.cdcb_events`)
      expect(rows.rows.map((r) => r.get('note'))).toEqual(['theirs'])
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`)
      await client.shutdown()
    }
  })
})
