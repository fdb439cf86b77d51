import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { intendedOffset, plannedBetween } from '../../src/load/schedule.js'

const base = { source: { plugin: 'memory' }, sink: { plugin: 'memory' }, workers: 1 }

describe('a warmup never changes the plan after it', () => {
  it('a ramp stage after a warmup still ramps from where the plan starts (0 → 2,000/s: 4,000 operations)', async () => {
    const withWarmup = await resolveConfig({
      ...base,
      load: { warmup: '2s', stages: [{ duration: '4s', target: 2000 }] },
    })
    const without = await resolveConfig({ ...base, load: { stages: [{ duration: '4s', target: 2000 }] } })
    const { schedule, warmupMicros } = withWarmup.load
    expect(plannedBetween(schedule, warmupMicros, schedule.totalMicros)).toBeCloseTo(4000, 6)
    expect(without.load.schedule.plannedOperations).toBe(4000)
    // The same operation is intended at the same offset into the measured window, warmup or not.
    const firstMeasured = schedule.plannedOperations - 4000
    for (const n of [0, 100, 2000, 3999]) {
      expect(intendedOffset(schedule, firstMeasured + n) - warmupMicros).toBeCloseTo(
        intendedOffset(without.load.schedule, n),
        3,
      )
    }
  })

  it('the warmup holds the rate the plan starts at', async () => {
    const config = await resolveConfig({
      ...base,
      load: { rate: 500, warmup: '2s', stages: [{ duration: '4s', target: 2000 }] },
    })
    const { schedule } = config.load
    expect(plannedBetween(schedule, 0, 2e6)).toBeCloseTo(1000, 6)
    expect(plannedBetween(schedule, 2e6, 6e6)).toBeCloseTo(5000, 6)
  })
})
