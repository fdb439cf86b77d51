import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { plannedBetween, rateAt } from '../../src/load/schedule.js'

const pipeline = { source: { plugin: 'memory' }, sink: { plugin: 'memory' } }

/** Operations planned after the warmup, and the planned rate just after it starts. */
async function measuredPlan(load: Record<string, unknown>) {
  const config = await resolveConfig({ ...pipeline, load })
  const { schedule, warmupMicros } = config.load
  return {
    measured: plannedBetween(schedule, warmupMicros, schedule.totalMicros),
    warmup: plannedBetween(schedule, 0, warmupMicros),
    rateAfterWarmup: rateAt(schedule, warmupMicros + 1),
  }
}

describe('a warmup before stages', () => {
  it('leaves the plan after it as it is without a warmup: a ramp 0 → 2,000/s over 4 s plans 4,000', async () => {
    const without = await measuredPlan({ stages: [{ duration: '4s', target: 2000 }] })
    const withWarmup = await measuredPlan({ warmup: '2s', stages: [{ duration: '4s', target: 2000 }] })
    expect(without.measured).toBe(4000)
    expect(withWarmup.measured).toBe(4000)
    expect(withWarmup.rateAfterWarmup).toBeLessThan(10)
    // The warmup holds the rate the plan starts at: 0 for a ramp from 0, as in k6.
    expect(withWarmup.warmup).toBe(0)
  })

  it('holds the first stage rate, or load.rate a ramp starts from, during the warmup', async () => {
    const held = await measuredPlan({ warmup: '2s', stages: [{ duration: '4s', rate: 500 }] })
    expect(held).toMatchObject({ warmup: 1000, measured: 2000 })
    const fromRate = await measuredPlan({
      rate: 1000,
      warmup: '1s',
      stages: [{ duration: '2s', target: 3000 }],
    })
    expect(fromRate).toMatchObject({ warmup: 1000, measured: 4000 })
  })
})
