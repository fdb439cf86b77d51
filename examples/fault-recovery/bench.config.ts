/**
 * Fault recovery on PostgreSQL native logical replication: cdcb writes into a
 * table in the source database, a publication + subscription (set up by the
 * sink for the run, removed after) replicate it into the target database, and
 * 10 s into the measured run the subscription is disabled for 10 s while the
 * writes go on. cdcb reports when the fault started and ended, how high the
 * backlog rose, how long the pipeline took to recover, and its catch-up rate:
 * the replay throughput, the pipeline's real ceiling.
 *
 * With SOURCE_URL and TARGET_URL unset it starts an embedded PostgreSQL (the
 * same as `cdcb run` with no config); it is stopped when cdcb exits.
 */
import { defineConfig } from '@cdcb/core'
import { postgres } from '@cdcb/plugin-postgres'
import { startEmbeddedDatabases } from '@cdcb/plugin-postgres/quickstart'

let sourceUrl = process.env.SOURCE_URL
let targetUrl = process.env.TARGET_URL
if (!sourceUrl || !targetUrl) {
  const embedded = await startEmbeddedDatabases()
  sourceUrl = embedded.sourceUrl
  targetUrl = embedded.targetUrl
}
// How the target server reaches the source; differs from SOURCE_URL when they run on different hosts.
const replicateFrom = process.env.REPLICATE_FROM ?? sourceUrl

export default defineConfig({
  name: 'fault-recovery',
  source: postgres({ url: sourceUrl, pool: 8 }),
  sink: postgres({ url: targetUrl, mode: 'logical', replicateFrom }),
  // Acts on the subscription the sink created for this run (cdcb_<runId>_pipe), nothing else.
  pipeline: postgres({ url: targetUrl, replicateFrom }),
  verify: postgres({ url: targetUrl }),
  // 42,000 changes, 70% inserts and 10% deletes: ~25,000 keys present by the end, so 50,000 keys leave
  // every insert an absent key (with 10,000, a third of the inserts became updates).
  load: { rate: 1000, warmup: '2s', duration: '40s', keys: 50_000, drainTimeout: '30s' },
  faults: [
    {
      name: 'subscription disabled',
      at: '12s', // 10 s into the measured run (after the 2 s warmup)
      for: '10s',
      action: { pipeline: 'disableSubscription', undo: 'enableSubscription' },
    },
  ],
  // Intervals of 250 ms, so a replay that takes a second or two spans several whole intervals
  // and its catch-up rate is measured (one interval is the resolution of recovery figures).
  interval: '250ms',
  // Recovered: backlog back to its level in the 10 s before the fault and e2e p99 within 2× of it.
  recovery: { baseline: '10s', latencyFactor: 2 },
  slo: { 'recovery.time': '< 30s', lost: '== 0', verified: '== 100%' },
})
