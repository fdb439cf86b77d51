// The built-in memory pipeline with faults, to see what cdcb reports when a pipeline
// misbehaves: run with `npx cdcb run --config examples/memory-pipeline/bench.config.ts`.
import { defineConfig, memory } from '@cdcb/core'

export default defineConfig({
  name: 'memory-pipeline-with-faults',
  source: memory({
    delay: { median: '20ms', p99: '120ms' }, // log-normal delivery delay, per-key order kept
    loss: 0.0005, // 0.05% of changes vanish after they were acknowledged
    duplicate: 0.001, // 0.1% are delivered twice
  }),
  sink: memory(),
  verify: memory(),
  // The pipeline part: its `stall` action pauses delivery while a fault holds, `resume` undoes it.
  pipeline: memory(),
  faults: [
    // Delivery pauses for 2 s in the hold: watch e2e p99 climb, and the recovery after it.
    { name: 'delivery stalled', at: '12s', for: '2s', action: { pipeline: 'stall' } },
  ],
  load: {
    rate: 500, // where the plan starts; the warmup holds it
    warmup: '3s',
    stages: [
      { duration: '5s', target: 5_000 }, // ramp up from 500/s
      { duration: '10s', rate: 5_000 }, // hold
      { duration: '3s', rate: 20_000 }, // burst
      { duration: '5s', rate: 5_000 }, // back to normal
    ],
    // ~150,000 changes, 70% inserts and 10% deletes: ~90,000 keys present by the end. With
    // fewer keys the inserts run out of absent keys and become updates (the run warns of it).
    keys: 200_000,
    drainTimeout: '5s',
  },
  slo: {
    'e2e.p95': '< 2s',
    'e2e.p99': '< 5s',
    errors: '< 0.1%',
    lost: '== 0', // fails on purpose: the pipeline drops changes
    duplicates: '== 0',
  },
})
