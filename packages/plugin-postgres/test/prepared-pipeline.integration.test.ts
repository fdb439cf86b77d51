import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { leanSocket, PostgresServerError, PreparedPipeline } from '../src/prepared-pipeline.js'
import { useEmbeddedPostgres } from './server.js'

const server = useEmbeddedPostgres()

/** Opened as the source opens it: pg connects and authenticates on a lean socket, then hands it over. */
async function openPipeline(statements: Record<string, string>) {
  const client = new pg.Client({
    connectionString: server.sourceUrl,
    stream: leanSocket as unknown as pg.ClientConfig['stream'],
  })
  client.on('error', () => {})
  await client.connect()
  return PreparedPipeline.open(client, statements)
}

describe('PreparedPipeline against PostgreSQL', () => {
  it('runs pipelined statements in order, reports rows changed, and isolates a failing call', async () => {
    const admin = await server.client(server.sourceUrl)
    await admin.query('CREATE TABLE pp_rows (k bigint PRIMARY KEY, v text NOT NULL)')
    const pipeline = await openPipeline({
      put: 'INSERT INTO pp_rows VALUES ($1, $2)',
      set: 'UPDATE pp_rows SET v = $2 WHERE k = $1',
      drop: 'DELETE FROM pp_rows WHERE k = $1',
    })
    const big = 'é'.repeat(100_000) // more than one socket read's worth, and not ASCII
    const calls = [
      pipeline.run([{ statement: 'put', values: [1, 'a'] }]),
      pipeline.run([{ statement: 'put', values: [1, 'duplicate'] }]),
      pipeline.run([{ statement: 'put', values: [2_000_000_000_123, big] }]),
      pipeline.run([
        { statement: 'set', values: [1, 'b'] },
        { statement: 'set', values: [404, 'nobody'] },
      ]),
      // One transaction: the DELETE fails on the bad parameter, so the UPDATE before it is undone.
      pipeline.run([
        { statement: 'set', values: [1, 'rolled back'] },
        { statement: 'drop', values: ['not a number'] },
      ]),
    ]
    const settled = await Promise.allSettled(calls)
    expect(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as PostgresServerError).code)),
    ).toEqual([[1], '23505', [1], [1, 0], '22P02'])
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(PostgresServerError)
    const { rows } = await admin.query('SELECT k, v, length(v) AS n FROM pp_rows ORDER BY k')
    expect(rows.map((r) => [r.k, r.n])).toEqual([
      ['1', 1],
      ['2000000000123', 100_000],
    ])
    expect(rows[0].v).toBe('b')
    expect(rows[1].v).toBe(big)
    await pipeline.close()
  })

  it('refuses to open on a statement that does not parse, naming the problem', async () => {
    await expect(openPipeline({ bad: 'INSERT INTO no_such_table VALUES ($1)' })).rejects.toThrow(
      /relation "no_such_table" does not exist/,
    )
  })

  it('fails the calls in flight when the server ends the session, and every later call', async () => {
    const pipeline = await openPipeline({ nap: 'SELECT pg_sleep($1)' })
    const admin = await server.client(server.sourceUrl)
    const napping = expect(pipeline.run([{ statement: 'nap', values: [30] }])).rejects.toThrow(
      /terminating connection due to administrator command/,
    )
    await new Promise((resolve) => setTimeout(resolve, 200))
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'`,
    )
    await napping
    await expect(pipeline.run([{ statement: 'nap', values: [0] }])).rejects.toThrow(
      /PostgreSQL closed the connection/,
    )
    await pipeline.close()
  })
})
