/**
 * PostgreSQL native logical replication, benchmarked end to end: cdcb writes
 * into a table in the source database, a publication + subscription (set up by
 * the sink for the run, removed after) replicate it into the target database,
 * and the sink follows the target's change stream.
 *
 * With SOURCE_URL and TARGET_URL unset it starts an embedded PostgreSQL (the
 * same as `cdcb run` with no config); it is stopped when cdcb exits.
 */
import { defineConfig } from '@cdcb/core'
import { postgres } from '@cdcb/plugin-postgres'
import { QUICKSTART_LOAD, QUICKSTART_SLO, startEmbeddedDatabases } from '@cdcb/plugin-postgres/quickstart'

let sourceUrl = process.env.SOURCE_URL
let targetUrl = process.env.TARGET_URL
if (!sourceUrl || !targetUrl) {
  const embedded = await startEmbeddedDatabases()
  sourceUrl = embedded.sourceUrl
  targetUrl = embedded.targetUrl
}

export default defineConfig({
  name: 'postgres-logical-replication',
  source: postgres({ url: sourceUrl, pool: 8 }),
  sink: postgres({
    url: targetUrl,
    mode: 'logical',
    // How the target server reaches the source; differs from SOURCE_URL when they run on different hosts.
    replicateFrom: process.env.REPLICATE_FROM ?? sourceUrl,
  }),
  verify: postgres({ url: targetUrl }),
  load: { ...QUICKSTART_LOAD },
  slo: { ...QUICKSTART_SLO },
})
