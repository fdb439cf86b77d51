// The highest rate a pipeline sustains within its SLOs: `cdcb search` runs this
// config as short trials at rising rates. Here the built-in memory pipeline stands
// in for a real one and can deliver at most 5,000 events/s, so the answer is known.
import { defineConfig, memory } from '@cdcb/core'

export default defineConfig({
  name: 'search-memory-5000',
  source: memory({ delay: '5ms', maxThroughput: 5_000 }),
  sink: memory(),
  // load.rate is where the search starts; each trial overrides rate and duration.
  load: { rate: 1_000, warmup: '2s', mix: { insert: 70, update: 20, delete: 10 } },
  slo: { 'e2e.p99': '< 500ms', errors: '< 0.1%', lost: '== 0' },
})
