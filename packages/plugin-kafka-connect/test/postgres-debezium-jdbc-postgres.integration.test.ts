/**
 * examples/postgres-debezium-jdbc-postgres, shortened: the full loop through
 * Debezium, Kafka and the Debezium JDBC sink into a second database, against
 * real servers. Nothing lost, every key verified in the target table, nothing
 * of the run left in Connect or PostgreSQL.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresDebeziumJdbcPostgres } from '../../../examples/postgres-debezium-jdbc-postgres/pipeline.js'
import { connectorNames, type Databases, env, leftovers, run, startEmbeddedDatabases } from './helpers.js'

describe.skipIf(env.skip)('postgres → Debezium → Kafka → JDBC sink → postgres', () => {
  let db: Databases
  beforeAll(async () => {
    db = await startEmbeddedDatabases()
  })
  afterAll(async () => {
    await db?.stop()
  })

  it('applies every change to the target, verifies every key there, and removes both connectors, slot and publication', async () => {
    const servers = {
      sourceUrl: db.sourceUrl,
      targetUrl: db.targetUrl,
      brokers: env.brokers!,
      connectUrl: env.connectUrl!,
    }
    const config = {
      ...postgresDebeziumJdbcPostgres(servers, {
        rate: 200,
        duration: '5s',
        keys: 1000,
        drainTimeout: '90s',
      }),
      slo: { lost: '== 0', errors: '== 0', verified: '== 100%' },
      workers: 2,
    }
    const { result, runId } = await run(config)
    expect(result.events.acked).toBe(1000)
    expect(result.events.observed).toBe(1000)
    expect(result.events.lost).toBe(0)
    expect(result.operations.delete).toBeGreaterThan(0)
    expect(result.verification?.mismatched).toBe(0)
    expect(result.verification?.checked).toBeGreaterThan(0)
    expect(result.timeBase).toMatch(/target apply time/)
    expect(result.status).toBe('passed')
    const names = await connectorNames()
    expect(names).not.toContain(`cdcb-${runId}-source`)
    expect(names).not.toContain(`cdcb-${runId}-jdbc-sink`)
    expect(await leftovers(db.sourceUrl, runId)).toEqual([])
    expect(await leftovers(db.targetUrl, runId)).toEqual([])
    const target = new pg.Client({ connectionString: db.targetUrl })
    await target.connect()
    const tables = await target.query(
      "SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'cdcb_events%'",
    )
    await target.end()
    expect(tables.rows[0].n).toBe(0)
  })
})
