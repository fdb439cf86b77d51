// Issue 3: rows/s the postgres source writes in batched mode (multi-row statements,
// `batchSize` operations per transaction) with batch sizes 10, 100 and 1000, into an
// embedded PostgreSQL, 8 connections. The schedule plans far more than the server
// can take (400,000/s); the open model still sends every planned operation, late, so
// the load phase stretches: rows/s = rows acknowledged / length of the load phase
// (from the 250 ms intervals).
// Usage: node bench/postgres-batched.mjs [planned seconds at 400k/s, default 2] [mix: insert|default] [batch sizes, default 10,100,1000]
import './node24.mjs'
import { runCdcb } from './lib.mjs'
import { startBenchDatabase } from './postgres-lib.mjs'

const seconds = Number(process.argv[2] ?? 2)
const mix = process.argv[3] === 'default' ? undefined : { insert: 100 }
const { server, url } = await startBenchDatabase()
try {
  for (const batchSize of (process.argv[4] ?? '10,100,1000').split(',').map(Number)) {
    const { result } = await runCdcb({
      name: `batch-${batchSize}`,
      source: { plugin: 'postgres', options: { url, pool: 8, batchSize, table: `batch_${batchSize}` } },
      sink: { plugin: 'memory' },
      workers: 1,
      interval: '250ms',
      load: {
        rate: 400_000,
        duration: `${seconds}s`,
        mix,
        keys: 5_000_000,
        batchSize: 1000,
        maxInFlight: 20_000,
        drainTimeout: '1ms',
      },
    })
    const loadEnd = result.intervals.find((i) => i.phase !== 'measure' && i.phase !== 'warmup')?.t
    const rows = result.events.acked / loadEnd
    console.log(
      `batchSize ${String(batchSize).padStart(4)}: ${rows.toFixed(0).padStart(7)} rows/s (${result.events.acked} rows in ${loadEnd.toFixed(2)} s), ack p50 ${result.metrics.ack.p50} ms, errors ${result.events.errors}`,
    )
  }
} finally {
  await server.stop()
}
