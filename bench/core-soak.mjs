// Issue 2 soak: RSS of the whole cdcb process (main thread + workers) during a long run
// at 50,000 events/s on the memory pipeline. Growth is measured from the end of the
// first minute (pools, JIT and buffers warmed) to the end.
// Usage: node bench/core-soak.mjs [minutes, default 10]
import './node24.mjs'
import { runCdcb } from './lib.mjs'

const minutes = Number(process.argv[2] ?? 10)
const { result, rss } = await runCdcb(
  {
    source: { plugin: 'memory', options: { delay: '5ms' } },
    sink: { plugin: 'memory' },
    workers: 2,
    load: { rate: 50_000, duration: `${minutes}m` },
  },
  { rssEveryMs: 10_000 },
)
const afterWarmup = rss.find((s) => s.t >= 60) ?? rss[0]
const last = rss[rss.length - 1]
const peak = Math.max(...rss.map((s) => s.mb))
console.log(
  `events ${result.events.observed.toLocaleString()} observed, lost ${result.events.lost}, e2e p99 ${result.metrics.e2e.p99} ms`,
)
console.log(
  `RSS at ${afterWarmup.t.toFixed(0)}s ${afterWarmup.mb.toFixed(1)} MB, at ${last.t.toFixed(0)}s ${last.mb.toFixed(1)} MB, peak ${peak.toFixed(1)} MB`,
)
console.log(
  `growth after warmup: ${(last.mb - afterWarmup.mb).toFixed(1)} MB over ${((last.t - afterWarmup.t) / 60).toFixed(1)} min`,
)
console.log(`samples: ${rss.map((s) => s.mb.toFixed(0)).join(' ')}`)
