/**
 * The pipeline of this example as a function, so the test suite and the bench
 * run the same config (shortened) that `bench.config.ts` gives the CLI.
 */
import { randomBytes } from 'node:crypto'
import type { UserConfig } from '@cdcb/core'
import { cassandra } from '@cdcb/plugin-cassandra'
import { kafkaConnect } from '@cdcb/plugin-kafka-connect'
import { postgres } from '@cdcb/plugin-postgres'
import { jdbcSink } from '../postgres-debezium-jdbc-postgres/pipeline.js'

export const CASSANDRA_CONNECTOR = 'io.debezium.connector.cassandra.Cassandra5Connector'

/** Where the connector, inside the Connect worker, finds the node it reads (all on the node's host). */
export interface CassandraNodeFiles {
  /** The node's own cassandra.yaml: the connector reads `commitlog_directory` and `cdc_raw_directory` from it. */
  cassandraYaml: string
  /** A DataStax Java driver configuration (HOCON) with the node's contact point and datacenter. */
  driverConfig: string
  /** A folder the connector moves commit-log segments into once it has read them. */
  relocationDir: string
}

export interface Servers {
  /** `host:port` of the node, as cdcb reaches it. */
  contactPoint: string
  node: CassandraNodeFiles
  targetUrl: string
  /** `host:port[,…]` of Kafka as cdcb reaches it: the run's topic and the sink's consumer group are deleted there after the run. */
  brokers: string
  connectUrl: string
}

/**
 * Debezium's Cassandra 5 source (3.3.1.Final) in the Connect worker: it reads
 * commit-log segments of CDC tables as the node hard-links them into cdc_raw,
 * as soon as they are synced (`commit.log.real.time.processing.enabled`, the
 * node syncs every 100 ms), and writes one event per row change to
 * `<topic.prefix>.<keyspace>.<table>`. Settings as verified on this machine
 * (`/work/shared/verified-configs/connect/cass-source.properties`).
 */
export function cassandraSource(
  node: CassandraNodeFiles,
  topicPrefix: string,
): Record<string, string | number> {
  return {
    'connector.class': CASSANDRA_CONNECTOR,
    'tasks.max': 1,
    'topic.prefix': topicPrefix,
    'cassandra.node.id': 'cdcb',
    'cassandra.config': node.cassandraYaml,
    'cassandra.driver.config.file': node.driverConfig,
    'commit.log.relocation.dir': node.relocationDir,
    'commit.log.real.time.processing.enabled': 'true',
    'commit.log.marked.complete.poll.interval.ms': 100,
    'cdc.dir.poll.interval.ms': 100,
    // cdcb's table is new: nothing to snapshot.
    'snapshot.mode': 'NEVER',
    // The connector's health endpoint binds 0.0.0.0 on this port; 0 lets the system pick a free one.
    'http.port': 0,
    'poll.interval.ms': 10,
  }
}

/**
 * The transform chain from Cassandra's change events to cdcb's target rows:
 * Debezium's envelope codes (i/u/d → c/u/d), the new state, its
 * `{value, deletion_ts, set}` cells flattened to `<column>_value` and renamed
 * back to cdcb's marker columns; `bucket` (a Cassandra partitioning column
 * only) dropped from key and value, so the key is the target's primary key.
 */
export function cassandraTransforms(): Record<string, string> {
  const columns = ['run_id', 'key', 'seq', 'op', 'intended_at', 'digest', 'payload']
  return {
    transforms: 'envelope,unwrap,flatten,fields,keyfields',
    'transforms.envelope.type': 'io.debezium.connector.cassandra.transforms.EnvelopeTransformation',
    'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.delete.tombstone.handling.mode': 'tombstone',
    'transforms.flatten.type': 'org.apache.kafka.connect.transforms.Flatten$Value',
    'transforms.flatten.delimiter': '_',
    'transforms.fields.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
    'transforms.fields.include': columns.map((c) => `${c}_value`).join(','),
    'transforms.fields.renames': columns.map((c) => `${c}_value:${c}`).join(','),
    'transforms.keyfields.type': 'org.apache.kafka.connect.transforms.ReplaceField$Key',
    'transforms.keyfields.exclude': 'bucket',
  }
}

export function cassandraDebeziumPostgres(servers: Servers, load: UserConfig['load']): UserConfig {
  // A topic per run: the JDBC sink reads its topic from the beginning, and must not replay other runs'.
  const prefix = 'cdcb_{runId}'
  // A table name per run: the connector's JVM keeps the table id it first saw under a name, so a
  // table dropped and created again under that name is invisible to later connectors in that
  // worker (their events are skipped as an unknown table) until Connect restarts.
  const table = `cdcb_events_${randomBytes(4).toString('hex')}`
  const node = { contactPoints: [servers.contactPoint], keyspace: 'cdcb', table }
  return {
    name: 'cassandra-debezium-postgres',
    // CDC on for Debezium; each delete's marker first, so the target's delete names its seq.
    source: cassandra({ ...node, cdc: true, markDeletes: true }),
    pipeline: kafkaConnect({
      url: servers.connectUrl,
      // The run's topic (cdcb_<runId>.cdcb.<table>) and the sink's group go with the run, also a killed one.
      brokers: servers.brokers,
      connectors: [
        { name: 'cdcb-{runId}-cassandra-source', config: cassandraSource(servers.node, prefix) },
        {
          name: 'cdcb-{runId}-jdbc-sink',
          config: { ...jdbcSink(servers.targetUrl, `${prefix}.cdcb.${table}`), ...cassandraTransforms() },
        },
      ],
    }),
    // The JDBC sink writes a Cassandra delete as a row of nulls: the target table turns it into the delete.
    sink: postgres({ url: servers.targetUrl, mode: 'logical', nullRowDeletes: true }),
    verify: postgres({ url: servers.targetUrl }),
    load,
    // The users' own SLO set (they sampled 1 % of events; cdcb checks every key).
    slo: { 'e2e.p95': '< 2s', 'e2e.p99': '< 5s', lost: '== 0', errors: '< 0.1%', verified: '> 99%' },
  }
}
