// Issue 3: the quickstart pipeline (embedded PostgreSQL, native logical replication
// between two databases, logical sink on the target) at a given rate: e2e
// percentiles, lost, verified; and a search for the highest rate it sustains with
// e2e p99 under 1 s.
// Usage:
//   node bench/postgres-quickstart.mjs run [rate, default 10000] [duration, default 5m] [source batchSize, default 1]
//   node bench/postgres-quickstart.mjs search [duration per step, default 30s] [source batchSize, default 1]
import './node24.mjs'
import {
  QUICKSTART_SLO,
  quickstartConfig,
  startEmbeddedDatabases,
} from '../packages/plugin-postgres/dist/quickstart.js'
import { runCdcb } from './lib.mjs'

const [mode = 'run', ...args] = process.argv.slice(2)

async function once(rate, duration, batchSize, step) {
  const databases = await startEmbeddedDatabases()
  const stop = () => databases.stop().then(() => process.exit(130))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const config = quickstartConfig(databases.sourceUrl, databases.targetUrl, duration)
    config.source.options.batchSize = batchSize
    const { result } = await runCdcb({
      ...config,
      name: `quickstart-${step}`,
      load: { ...config.load, rate },
    })
    const m = result.metrics.e2e
    console.log(
      `rate ${rate}/s for ${duration}, source batchSize ${batchSize}: sent ${result.rate.sent}/s, achieved ${result.rate.achieved}/s; ` +
        `e2e p50 ${m.p50} ms, p95 ${m.p95} ms, p99 ${m.p99} ms, max ${m.max} ms; ack p99 ${result.metrics.ack.p99} ms; ` +
        `lost ${result.events.lost}, errors ${result.events.errors}, late ${((result.events.late / result.events.sent) * 100).toFixed(1)}%; ` +
        `verified ${result.verification?.checked - result.verification?.mismatched}/${result.verification?.checked}; ${result.status}`,
    )
    for (const warning of result.warnings) console.log(`  warning: ${warning}`)
    return result
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    await databases.stop()
  }
}

if (mode === 'search') {
  const duration = args[0] ?? '30s'
  const batchSize = Number(args[1] ?? 1)
  let best = 0
  for (const rate of [1000, 2000, 5000, 10000, 15000, 20000, 25000, 30000, 40000, 50000]) {
    const result = await once(rate, duration, batchSize, rate)
    const ok = result.metrics.e2e.p99 < 1000 && result.events.lost === 0 && result.rate.sent >= rate * 0.99
    if (!ok) break
    best = rate
  }
  console.log(
    `highest rate with e2e p99 < 1s (steps of the list above): ${best}/s; SLOs of the quickstart: ${JSON.stringify(QUICKSTART_SLO)}`,
  )
} else {
  await once(Number(args[0] ?? 10000), args[1] ?? '5m', Number(args[2] ?? 1), 'run')
}
