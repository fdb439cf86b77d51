/**
 * The full loop: PostgreSQL → Debezium → Kafka → Debezium JDBC sink → another
 * PostgreSQL database. cdcb writes the source table, both connectors are
 * registered in Kafka Connect for the run (and removed after, with the
 * source's slot and publication), and cdcb follows the target table, where a
 * trigger stamps each row's apply time, and checks its final state.
 *
 * With SOURCE_URL / TARGET_URL unset it starts an embedded PostgreSQL with two
 * databases (stopped when cdcb exits). Kafka and Connect:
 * `npm run services -- up kafka connect`.
 */
import { defineConfig } from '@cdcb/core'
import { startEmbeddedDatabases } from '@cdcb/plugin-postgres/quickstart'
import { postgresDebeziumJdbcPostgres, serversFromEnv } from './pipeline.js'

let sourceUrl = process.env.SOURCE_URL
let targetUrl = process.env.TARGET_URL
if (!sourceUrl || !targetUrl) {
  const embedded = await startEmbeddedDatabases()
  sourceUrl = embedded.sourceUrl
  targetUrl = embedded.targetUrl
}

export default defineConfig(
  postgresDebeziumJdbcPostgres(serversFromEnv(sourceUrl, targetUrl), {
    rate: 1000,
    duration: '30s',
    warmup: '5s',
    keys: 50_000, // ~21,000 present by the end (70% inserts − 10% deletes of 35,000)
  }),
)
