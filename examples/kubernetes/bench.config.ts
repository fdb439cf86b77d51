/**
 * The benchmark every shard runs: the same file in every pod (a ConfigMap),
 * servers from the pod's environment (a Secret). Each shard sends its share
 * of the plan; `cdcb merge` adds the shards' results back into the run's.
 *
 * The sink here follows the source table's own change stream (logical
 * decoding); point it at the far end of the pipeline you benchmark instead.
 * A run split into shards cannot let cdcb set up native replication for it
 * (`replicateFrom`): set that up yourself, as for any pipeline under test.
 */
import { defineConfig } from '@cdcb/core'
import { postgres } from '@cdcb/plugin-postgres'

const url = process.env.SOURCE_URL
const targetUrl = process.env.TARGET_URL ?? url

export default defineConfig({
  name: 'kubernetes-shards',
  source: postgres({ url, table: 'cdcb_k8s', pool: 8 }),
  sink: postgres({ url: targetUrl, table: 'cdcb_k8s', mode: 'logical' }),
  verify: postgres({ url: targetUrl, table: 'cdcb_k8s' }),
  // The whole run's plan: 3 shards × 2 workers send 3,000 events/s between them.
  workers: 2,
  load: { rate: 3000, warmup: '10s', duration: '2m', keys: 300_000 },
  slo: { 'e2e.p99': '< 2s', lost: '== 0', duplicates: '== 0', verified: '== 100%' },
})
