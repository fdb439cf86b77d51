/**
 * The pipeline of this example as a function, so the test suite runs the same
 * config (shortened) that `bench.config.ts` gives the CLI.
 */
import type { UserConfig } from '@cdcb/core'
import { kafkaConnect } from '@cdcb/plugin-kafka-connect'
import { postgres } from '@cdcb/plugin-postgres'
import { debeziumSource } from '../postgres-debezium-kafka/pipeline.js'

/**
 * A Debezium JDBC sink that applies the topic to cdcb's table in the target
 * database, as the worker reaches it. cdcb's sink creates that table (marker
 * columns, primary key (run_id, key), and a trigger stamping each row's apply
 * time), so the connector only upserts and deletes rows.
 */
export function jdbcSink(targetUrl: string, topic: string): Record<string, string | number | boolean> {
  const db = new URL(targetUrl)
  return {
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    'tasks.max': 1,
    topics: topic,
    // stringtype=unspecified: the table's `op` column is PostgreSQL's "char", which a varchar parameter cannot fill.
    'connection.url': `jdbc:postgresql://${db.hostname}:${db.port || 5432}${db.pathname}?stringtype=unspecified`,
    'connection.username': decodeURIComponent(db.username),
    'connection.password': decodeURIComponent(db.password),
    'insert.mode': 'upsert',
    'delete.enabled': true,
    'primary.key.mode': 'record_key',
    'schema.evolution': 'none',
    'collection.name.format': 'cdcb_events',
  }
}

export interface Servers {
  sourceUrl: string
  targetUrl: string
  /** `host:port[,…]` of Kafka as cdcb reaches it: the run's topic and the sink's consumer group are deleted there after the run. */
  brokers: string
  connectUrl: string
}

export function postgresDebeziumJdbcPostgres(
  servers: Servers,
  load: UserConfig['load'],
  pollIntervalMs = 10,
): UserConfig {
  // A topic per run: the JDBC sink reads its topic from the beginning, and must not replay other runs'.
  const prefix = 'cdcb_{runId}'
  return {
    name: 'postgres-debezium-jdbc-postgres',
    source: postgres({ url: servers.sourceUrl, pool: 8 }),
    pipeline: kafkaConnect({
      url: servers.connectUrl,
      // The run's topic (cdcb_<runId>.public.cdcb_events) and the sink's group go with the run, also a killed one.
      brokers: servers.brokers,
      connectors: [
        {
          name: 'cdcb-{runId}-source',
          config: { ...debeziumSource(servers.sourceUrl, pollIntervalMs), 'topic.prefix': prefix },
        },
        {
          name: 'cdcb-{runId}-jdbc-sink',
          config: jdbcSink(servers.targetUrl, `${prefix}.public.cdcb_events`),
        },
      ],
    }),
    // Follows the target table's own change stream; latency runs to each row's apply stamp.
    sink: postgres({ url: servers.targetUrl, mode: 'logical' }),
    verify: postgres({ url: servers.targetUrl }),
    load,
    slo: { 'e2e.p99': '< 1s', lost: '== 0', errors: '== 0', verified: '== 100%' },
  }
}

export function serversFromEnv(sourceUrl: string, targetUrl: string): Servers {
  return {
    sourceUrl,
    targetUrl,
    brokers: process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`,
    connectUrl: process.env.CONNECT_URL ?? `http://127.0.0.1:${process.env.CONNECT_PORT ?? 8083}`,
  }
}
