/**
 * The pipeline of this example as a function, so the test suite runs the same
 * config (shortened) that `bench.config.ts` gives the CLI.
 */
import type { UserConfig } from '@cdcb/core'
import { kafka } from '@cdcb/plugin-kafka'
import { kafkaConnect, POSTGRES_CONNECTOR } from '@cdcb/plugin-kafka-connect'
import { postgres } from '@cdcb/plugin-postgres'

/** Debezium names topics `<topic.prefix>.<schema>.<table>`. */
export const TOPIC_PREFIX = 'cdcb'
export const TOPIC = `${TOPIC_PREFIX}.public.cdcb_events`

/**
 * Settings of a Debezium PostgreSQL source that captures cdcb's table, for a
 * database URL as the Connect worker reaches it. Slot and publication are
 * named after the run, so runs never share them and teardown drops exactly them.
 */
export function debeziumSource(sourceUrl: string, pollIntervalMs = 10): Record<string, string | number> {
  const db = new URL(sourceUrl)
  return {
    'connector.class': POSTGRES_CONNECTOR,
    'database.hostname': db.hostname,
    'database.port': db.port || '5432',
    'database.user': decodeURIComponent(db.username),
    'database.password': decodeURIComponent(db.password),
    'database.dbname': decodeURIComponent(db.pathname.slice(1)),
    'topic.prefix': TOPIC_PREFIX,
    'plugin.name': 'pgoutput',
    'slot.name': 'cdcb_{runId}',
    'publication.name': 'cdcb_{runId}',
    'publication.autocreate.mode': 'filtered',
    'table.include.list': 'public.cdcb_events',
    // cdcb's table is new and empty: stream from now on, no snapshot.
    'snapshot.mode': 'no_data',
    // Debezium waits this long whenever the WAL has nothing new; the default 500 ms dominates latency.
    'poll.interval.ms': pollIntervalMs,
  }
}

export interface Servers {
  sourceUrl: string
  brokers: string
  connectUrl: string
}

export function postgresDebeziumKafka(
  servers: Servers,
  load: UserConfig['load'],
  pollIntervalMs = 10,
): UserConfig {
  return {
    name: 'postgres-debezium-kafka',
    source: postgres({ url: servers.sourceUrl, pool: 8 }),
    pipeline: kafkaConnect({
      url: servers.connectUrl,
      // The topic here is shared (prefix "cdcb", no {runId}): kept; a per-run prefix would be deleted after the run.
      brokers: servers.brokers,
      connectors: [
        { name: 'cdcb-{runId}-source', config: debeziumSource(servers.sourceUrl, pollIntervalMs) },
      ],
    }),
    sink: kafka({ brokers: servers.brokers, topic: TOPIC, format: 'debezium' }),
    verify: kafka({ brokers: servers.brokers, topic: TOPIC, format: 'debezium' }),
    load,
    slo: { 'e2e.p99': '< 1s', lost: '== 0', errors: '== 0', verified: '== 100%' },
  }
}

/** The servers from the environment, as `npm run services -- up kafka connect` starts them by default. */
export function serversFromEnv(sourceUrl: string): Servers {
  return {
    sourceUrl,
    brokers: process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`,
    connectUrl: process.env.CONNECT_URL ?? `http://127.0.0.1:${process.env.CONNECT_PORT ?? 8083}`,
  }
}
