/**
 * Cassandra → Debezium's Cassandra connector → Kafka → Debezium JDBC sink →
 * PostgreSQL. cdcb writes its Cassandra table (CDC on), both connectors are
 * registered in Kafka Connect for the run (and removed after), and cdcb
 * follows the PostgreSQL table, where a trigger stamps each row's apply time,
 * and checks its final state there.
 *
 * Servers: `npm run services -- up kafka cassandra connect` (nothing else to
 * set up). With TARGET_URL unset an embedded PostgreSQL is started (stopped
 * when cdcb exits). Your own: see README.md.
 */
import { defineConfig } from '@cdcb/core'
import { checkReachable } from '@cdcb/plugin-cassandra'
import { startEmbeddedDatabases } from '@cdcb/plugin-postgres/quickstart'
import { cassandraConnectorFiles } from '../../services/index.mjs'
import { cassandraDebeziumPostgres } from './pipeline.js'

// The harness's node and the files `up connect` wrote for the connector, unless yours are named.
const harness = cassandraConnectorFiles()
const env = process.env
const contactPoint = env.CASSANDRA_CONTACT_POINT ?? harness.contactPoint

// The embedded PostgreSQL takes half a minute to start on a busy machine: a node that does not
// answer is said first, within the connect timeout (exit 3), not after it.
await checkReachable({ contactPoints: [contactPoint] })

let targetUrl = env.TARGET_URL
if (!targetUrl) targetUrl = (await startEmbeddedDatabases()).targetUrl

export default defineConfig(
  cassandraDebeziumPostgres(
    {
      contactPoint,
      node: {
        cassandraYaml: env.CASSANDRA_YAML ?? harness.cassandraYaml,
        driverConfig: env.CASSANDRA_DRIVER_CONFIG ?? harness.driverConfig,
        relocationDir: env.CASSANDRA_RELOCATION_DIR ?? harness.relocationDir,
      },
      targetUrl,
      brokers: env.KAFKA_BROKERS ?? `127.0.0.1:${env.KAFKA_PORT ?? 9092}`,
      connectUrl: env.CONNECT_URL ?? `http://127.0.0.1:${env.CONNECT_PORT ?? 8083}`,
    },
    // A new connector first replays what earlier runs left in cdc_raw: give the drain time for that.
    { rate: 1000, duration: '30s', warmup: '5s', keys: 50_000, drainTimeout: '2m' },
  ),
)
