/**
 * PostgreSQL → Debezium → Kafka, benchmarked end to end: cdcb writes into a
 * table, a Debezium PostgreSQL source connector (registered for the run in the
 * Kafka Connect worker, removed after with its slot and publication) captures
 * each change into a topic, and cdcb reads the topic's Debezium envelopes and
 * checks every key's final state there.
 *
 * With SOURCE_URL unset it starts an embedded PostgreSQL (stopped when cdcb
 * exits). Kafka and Connect: `npm run services -- up kafka connect`.
 */
import { defineConfig } from '@cdcb/core'
import { startEmbeddedDatabases } from '@cdcb/plugin-postgres/quickstart'
import { postgresDebeziumKafka, serversFromEnv } from './pipeline.js'

const sourceUrl = process.env.SOURCE_URL ?? (await startEmbeddedDatabases()).sourceUrl

export default defineConfig(
  postgresDebeziumKafka(serversFromEnv(sourceUrl), {
    rate: 1000,
    duration: '30s',
    warmup: '5s',
    keys: 50_000, // ~21,000 present by the end (70% inserts − 10% deletes of 35,000)
  }),
)
