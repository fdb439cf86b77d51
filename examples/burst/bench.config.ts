// The users' guide's burst: 100 → 5,000 → 100 msg/s. The memory pipeline here
// delivers at most 2,000 events/s, so the burst builds a backlog of about 30,000
// that drains at about 1,900/s: recovery.time ≈ 16 s by the arithmetic, about 17 s as
// printed (it includes the interval in which the backlog empties; see README.md). Swap in your own source and
// sink to ask the same of a real pipeline.
import { defineConfig, memory } from '@cdcb/core'

export default defineConfig({
  name: 'burst-100-5000-100',
  source: memory({ delay: '2ms', maxThroughput: 2_000 }),
  sink: memory(),
  load: {
    rate: 100,
    stages: [
      { duration: '10s', rate: 100 },
      { duration: '10s', rate: 5_000 }, // the burst
      { duration: '30s', rate: 100 },
    ],
    drainTimeout: '30s',
  },
  // Recovered: backlog back to its level before the burst and e2e p99 within 2× of it.
  recovery: { baseline: '10s', latencyFactor: 2 },
  slo: { 'recovery.time': '< 30s', 'backlog.max': '< 100000', lost: '== 0' },
})
