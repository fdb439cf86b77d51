/**
 * Cassandra on its own: cdcb writes inserts, updates and deletes as full-row
 * upserts and row deletes into `cdcb.cdcb_events`, each change also into the
 * change log `cdcb.cdcb_events_changes` in the same unlogged batch; the sink
 * reads the change log and takes each change's WRITETIME as its commit time;
 * the verifier scans the final state by token range.
 *
 * Start a node first (`npm run services -- up cassandra`: 127.0.0.1 on
 * CASSANDRA_PORT, 9042 unless set, which this config follows too), or point
 * CASSANDRA_CONTACT_POINTS (comma-separated host:port) at yours.
 */
import { defineConfig } from '@cdcb/core'
import { cassandra } from '@cdcb/plugin-cassandra'

const common = {
  contactPoints: (
    process.env.CASSANDRA_CONTACT_POINTS ?? `127.0.0.1:${process.env.CASSANDRA_PORT || 9042}`
  ).split(','),
  localDataCenter: process.env.CASSANDRA_DC ?? 'datacenter1',
  keyspace: 'cdcb',
  consistency: 'LOCAL_QUORUM',
} as const

export default defineConfig({
  name: 'cassandra',
  source: cassandra({
    ...common,
    changeLog: true,
    // The node stamps each write as it takes it, so WRITETIME is the node's time, not this host's send time.
    timestamps: 'server',
  }),
  sink: cassandra(common),
  verify: cassandra(common),
  load: { rate: 1000, duration: '30s', warmup: '2s', keys: 50_000 },
  slo: {
    'e2e.p95': '< 1s',
    'e2e.p99': '< 2s',
    lost: '== 0',
    errors: '< 0.1%',
    verified: '== 100%',
  },
})
