// Issue 9 soak on a real pipeline: RSS of the cdcb process (main thread + workers; the
// embedded PostgreSQL servers are separate processes) during the quickstart pipeline
// (native logical replication between two databases, logical sink) at 10,000 events/s.
// Growth is measured from the end of the first minute to the end; the bar is at most
// 50 MB over 10 minutes.
// Usage: node bench/postgres-soak.mjs [minutes, default 10] [rate, default 10000] [pipeline: replication (default) | wal]
// `wal` is the lighter real pipeline for a machine that cannot drive replication at the rate: one
// database, and the sink decodes the source's own WAL (no subscription applying every change again).
import './node24.mjs'
import { loadavg } from 'node:os'
import { postgres } from '../packages/plugin-postgres/dist/index.js'
import { quickstartConfig, startEmbeddedDatabases } from '../packages/plugin-postgres/dist/quickstart.js'
import { runCdcb } from './lib.mjs'

const minutes = Number(process.argv[2] ?? 10)
const rate = Number(process.argv[3] ?? 10_000)
const pipeline = process.argv[4] ?? 'replication'
if (pipeline !== 'replication' && pipeline !== 'wal') {
  console.error(`postgres-soak: pipeline must be "replication" or "wal", got "${pipeline}"`)
  process.exit(2)
}
const databases = await startEmbeddedDatabases()
const stop = () => databases.stop().then(() => process.exit(130))
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
try {
  const config = quickstartConfig(databases.sourceUrl, databases.targetUrl, `${minutes}m`, rate)
  if (pipeline === 'wal') {
    config.sink = postgres({ url: databases.sourceUrl, mode: 'logical' })
    config.verify = postgres({ url: databases.sourceUrl })
  }
  console.log(
    `pipeline: ${pipeline}; load average at start ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} (2 cores)`,
  )
  const { result, rss } = await runCdcb(
    { ...config, name: `postgres-soak (${pipeline})` },
    { rssEveryMs: 10_000 },
  )
  const afterWarmup = rss.find((s) => s.t >= 60) ?? rss[0]
  const last = rss[rss.length - 1]
  const peak = Math.max(...rss.map((s) => s.mb))
  const growth = last.mb - afterWarmup.mb
  const m = result.metrics.e2e
  console.log(
    `${result.status}: sent ${result.rate.sent}/s of ${result.rate.target}/s planned, achieved ${result.rate.achieved}/s; ` +
      `e2e p50 ${m.p50} ms, p99 ${m.p99} ms; lost ${result.events.lost}, unresolved ${result.events.unresolved}, errors ${result.events.errors}`,
  )
  for (const warning of result.warnings) console.log(`  warning: ${warning}`)
  console.log(
    `RSS at ${afterWarmup.t.toFixed(0)}s ${afterWarmup.mb.toFixed(1)} MB, at ${last.t.toFixed(0)}s ${last.mb.toFixed(1)} MB, peak ${peak.toFixed(1)} MB`,
  )
  console.log(
    `growth after the first minute: ${growth.toFixed(1)} MB over ${((last.t - afterWarmup.t) / 60).toFixed(1)} min ` +
      `(${((growth / (last.t - afterWarmup.t)) * 1000).toFixed(0)} kB/s) — bar: 50 MB over 10 min: ${growth <= 50 ? 'met' : 'NOT met'}`,
  )
  // RSS swings with each major GC; the least-squares slope over the samples after the first minute
  // says whether it trends up, where last − first depends on where two swings happened to fall.
  const later = rss.filter((s) => s.t >= afterWarmup.t)
  const meanT = later.reduce((n, s) => n + s.t, 0) / later.length
  const meanMb = later.reduce((n, s) => n + s.mb, 0) / later.length
  const slope =
    later.reduce((n, s) => n + (s.t - meanT) * (s.mb - meanMb), 0) /
    later.reduce((n, s) => n + (s.t - meanT) ** 2, 0)
  console.log(
    `trend after the first minute: ${(slope * 60).toFixed(2)} MB/min (least squares over ${later.length} samples)`,
  )
  console.log(`samples (MB every 10 s): ${rss.map((s) => s.mb.toFixed(0)).join(' ')}`)
} finally {
  process.off('SIGINT', stop)
  process.off('SIGTERM', stop)
  await databases.stop()
}
