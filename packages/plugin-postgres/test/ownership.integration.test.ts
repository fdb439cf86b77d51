import { createServer, type Socket } from 'node:net'
import { type CdcbError, ConfigError } from '@cdcb/core'
import { RunControl, resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'
import { freePort, startEmbeddedPostgres } from '../src/embedded.js'
import { postgres } from '../src/index.js'
import { run, sleep, useEmbeddedPostgres } from './server.js'

const server = useEmbeddedPostgres()

/** cdcb's replication objects and tables left in the source and target databases. */
async function leftovers() {
  const source = await server.client(server.sourceUrl)
  const target = await server.client(server.targetUrl)
  const list = async (client: typeof source, sql: string) =>
    (await client.query<{ name: string }>(sql)).rows.map((r) => r.name)
  return {
    slots: await list(source, `SELECT slot_name AS name FROM pg_replication_slots`),
    sourcePublications: await list(source, 'SELECT pubname AS name FROM pg_publication'),
    targetPublications: await list(target, 'SELECT pubname AS name FROM pg_publication'),
    subscriptions: await list(target, 'SELECT subname AS name FROM pg_subscription'),
    sourceTables: await list(source, `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`),
    targetTables: await list(target, `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`),
    functions: await list(target, `SELECT proname AS name FROM pg_proc WHERE proname LIKE '%cdcb%'`),
  }
}

const nothing = {
  slots: [],
  sourcePublications: [],
  targetPublications: [],
  subscriptions: [],
  sourceTables: [],
  targetTables: [],
  functions: [],
}

function pipeline(table: string, mode: 'logical' | 'poll' = 'logical') {
  return {
    source: postgres({ url: server.sourceUrl, table }),
    sink: postgres({ url: server.targetUrl, table, mode, replicateFrom: server.sourceUrl }),
    verify: postgres({ url: server.targetUrl, table }),
    workers: 2,
    load: { rate: 200, duration: '2s', keys: 200 },
  }
}

describe('ownership and teardown', () => {
  it('leaves no slot, publication, subscription, table or function behind after a run', async () => {
    expect(await leftovers()).toEqual(nothing)
    const result = await run(pipeline('own_events'))
    expect(result.events.lost).toBe(0)
    expect(await leftovers()).toEqual(nothing)
    await run(pipeline('own_events_poll', 'poll'))
    expect(await leftovers()).toEqual(nothing)
  })

  it('also cleans up after an interrupted run', async () => {
    const control = new RunControl()
    const resolved = await resolveConfig(
      { ...pipeline('int_events'), load: { rate: 200, duration: '30s' } },
      { origin: 'test' },
    )
    const running = runBenchmark(resolved, {
      control,
      reporters: [{ onRunStart: () => void sleep(1500).then(() => control.stop()) }],
    })
    const result = await running
    expect(result.status).toBe('interrupted')
    expect(await leftovers()).toEqual(nothing)
  })

  it('refuses a table it did not create and leaves it untouched', async () => {
    const source = await server.client(server.sourceUrl)
    await source.query('CREATE TABLE app_orders (run_id text, key bigint, note text)')
    await source.query(`INSERT INTO app_orders VALUES ('x', 1, 'keep me')`)
    const error = await run(pipeline('app_orders')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as CdcbError).exitCode).toBe(2)
    expect((error as Error).message).toMatch(/app_orders .* exists and was not created by cdcb/)
    const { rows } = await source.query('SELECT * FROM app_orders')
    expect(rows).toEqual([{ run_id: 'x', key: '1', note: 'keep me' }])
    const after = await leftovers()
    expect(after).toEqual({ ...nothing, sourceTables: ['app_orders'] })
    await source.query('DROP TABLE app_orders')
  })

  it("observes, read-only, a target table the user's own pipeline fills", async () => {
    const source = await server.client(server.sourceUrl)
    const target = await server.client(server.targetUrl)
    const columns = `run_id text, key bigint, seq bigint, op "char", intended_at bigint, digest text, payload text,
      PRIMARY KEY (run_id, key)`
    // The source table as cdcb would make it (marked as cdcb's, so the source reuses it) …
    await source.query(`CREATE TABLE their_orders (${columns})`)
    await source.query(`COMMENT ON TABLE their_orders IS 'cdcb:owned: made by the test'`)
    // … and the user's replication into a table of their own, without cdcb's apply stamp.
    await target.query(`CREATE TABLE their_orders (${columns})`)
    await target.query('ALTER TABLE their_orders REPLICA IDENTITY FULL')
    await source.query('CREATE PUBLICATION their_pub FOR TABLE their_orders')
    await source.query(`SELECT pg_create_logical_replication_slot('their_sub', 'pgoutput')`)
    await target.query(
      `CREATE SUBSCRIPTION their_sub CONNECTION '${server.sourceUrl}' PUBLICATION their_pub
       WITH (create_slot = false, slot_name = 'their_sub', copy_data = false)`,
    )
    try {
      const logs: string[] = []
      const result = await run(
        {
          source: postgres({ url: server.sourceUrl, table: 'their_orders' }),
          sink: postgres({ url: server.targetUrl, table: 'their_orders', mode: 'logical' }),
          verify: postgres({ url: server.targetUrl, table: 'their_orders' }),
          workers: 1,
          load: { rate: 200, duration: '2s', keys: 100 },
        },
        { logs },
      )
      expect(result.events).toMatchObject({ sent: 400, observed: 400, lost: 0, duplicates: 0 })
      expect(result.verification).toMatchObject({ mismatched: 0 })
      expect(result.timeBase).toMatch(
        /arrival in the target's logical replication stream.*no cdcb_applied_at/,
      )
      expect(logs.join('\n')).toMatch(/observing public\.their_orders, which cdcb did not create, read-only/)
      // Their table and their pipeline stay; cdcb's own publication and slot on the target are gone.
      const kept = await target.query('SELECT count(*)::int AS n FROM their_orders')
      expect(kept.rows[0].n).toBeGreaterThan(0)
      expect(await leftovers()).toEqual({
        ...nothing,
        slots: ['their_sub'],
        sourcePublications: ['their_pub'],
        subscriptions: ['their_sub'],
        sourceTables: ['their_orders'],
        targetTables: ['their_orders'],
      })
    } finally {
      await target.query('DROP SUBSCRIPTION their_sub')
      await source.query('DROP PUBLICATION their_pub')
      await source.query('DROP TABLE their_orders')
      await target.query('DROP TABLE their_orders')
    }
  })

  it('says what a table it did not create lacks before observing it', async () => {
    const target = await server.client(server.targetUrl)
    await target.query('CREATE TABLE app_events (id bigint PRIMARY KEY, run_id text, note text)')
    try {
      const problem = async (sink: Parameters<typeof postgres>[0]) => {
        const error = (await run({
          source: postgres({ url: server.sourceUrl, table: 'app_events_src' }),
          sink: postgres(sink),
          load: { rate: 10, duration: '1s' },
        }).catch((e: unknown) => e)) as CdcbError
        expect(error).toBeInstanceOf(ConfigError)
        return error.message
      }
      const on = { url: server.targetUrl, table: 'app_events' }
      expect(await problem({ ...on, mode: 'logical' })).toMatch(
        /lacks cdcb's marker column\(s\) key, seq, op, intended_at/,
      )
      expect(await problem({ ...on, mode: 'poll' })).toMatch(/poll mode needs a change-log trigger/)
      expect(await problem({ ...on, replicateFrom: server.sourceUrl })).toMatch(
        /with replicateFrom cdcb's subscription would write into it/,
      )
      expect(await leftovers()).toEqual({ ...nothing, targetTables: ['app_events'] })
    } finally {
      await target.query('DROP TABLE app_events')
    }
  })
})

describe('connection errors', () => {
  const oneLine = (message: string) => expect(message.split('\n')).toHaveLength(1)

  it('says the host is unreachable, quickly', async () => {
    const port = await freePort()
    const started = Date.now()
    const error = (await run({
      ...pipeline('e1'),
      source: postgres({ url: `postgres://cdcb:secret-pw@127.0.0.1:${port}/db`, connectTimeout: '2s' }),
    }).catch((e: unknown) => e)) as CdcbError
    expect(error.exitCode).toBe(3)
    expect(error.message).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:\d+\/db: connection refused/)
    expect(error.message).not.toMatch(/secret-pw/)
    oneLine(error.message)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('times out on a server that never answers', async () => {
    // Accepts the TCP connection and then says nothing, like a hung server or a black-holed proxy.
    const sockets: Socket[] = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as { port: number }
    const started = Date.now()
    try {
      const error = (await run({
        ...pipeline('e2'),
        source: postgres({ url: `postgres://cdcb:pw@127.0.0.1:${port}/db`, connectTimeout: '1s' }),
      }).catch((e: unknown) => e)) as CdcbError
      expect(error.exitCode).toBe(3)
      expect(error.message).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:\d+\/db: no answer within 1s/)
      expect(Date.now() - started).toBeLessThan(8_000)
    } finally {
      for (const socket of sockets) socket.destroy()
      silent.close()
    }
  })

  it('says the password is wrong without printing it', async () => {
    const url = server.sourceUrl.replace(/:[^:@/]+@/, ':not-the-password@')
    const error = (await run({ ...pipeline('e3'), source: postgres({ url }) }).catch(
      (e: unknown) => e,
    )) as CdcbError
    expect(error.exitCode).toBe(3)
    expect(error.message).toMatch(
      /refused the login: .*password authentication failed.* check the user and password/,
    )
    expect(error.message).not.toMatch(/not-the-password/)
    expect(error.message).not.toContain(server.server.password)
    oneLine(error.message)
  })

  it('says the database is missing', async () => {
    const url = server.sourceUrl.replace(/cdcb_source$/, 'no_such_db')
    const error = (await run({ ...pipeline('e4'), source: postgres({ url }) }).catch(
      (e: unknown) => e,
    )) as CdcbError
    expect(error.message).toMatch(/no_such_db.*does not exist.*CREATE DATABASE/)
    expect(error.message).not.toContain(server.server.password)
  })

  it('says how to enable wal_level=logical for the logical sink, and writes nothing', async () => {
    const replica = await startEmbeddedPostgres({ settings: { wal_level: 'replica' } })
    try {
      const url = replica.url('postgres')
      const error = (await run({
        source: postgres({ url, table: 'wal_events' }),
        sink: postgres({ url, table: 'wal_events', mode: 'logical' }),
        workers: 1,
        load: { rate: 100, duration: '1s', keys: 10 },
      }).catch((e: unknown) => e)) as CdcbError
      expect(error.message).toMatch(
        /wal_level=replica, logical replication needs wal_level=logical — run ALTER SYSTEM SET wal_level = logical/,
      )
      expect(error.message).not.toContain(replica.password)
      // The source table made by the source's prepare step was removed again.
      const { Client } = (await import('pg')).default
      const client = new Client({ connectionString: url })
      await client.connect()
      const { rows } = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
      await client.end()
      expect(rows).toEqual([])
    } finally {
      await replica.stop()
    }
  })
})
