import { describe, expect, it } from 'vitest'
import { kneeOf } from '../../src/search/knee.js'
import { judgeTrial, type Trial } from '../../src/search/max-rate.js'

function trial(rate: number, e2eP99: number | null, overrides: Partial<Trial> = {}): Trial {
  return {
    ...judgeTrial({
      rate,
      sent: rate,
      achieved: rate,
      e2eP99,
      sloPassed: true,
      failedSlos: [],
      unjudgedSlos: [],
      lateShare: 0,
      lagP99: 1,
    }),
    ...overrides,
  }
}

describe('kneeOf', () => {
  it('is the highest rate before e2e p99 first rises above twice the lowest-rate trial’s, in rate order', () => {
    // The search's own order: 1000, 2000, 4000, 8000 then bisection 6000, 5000.
    const knee = kneeOf([
      trial(1_000, 7),
      trial(2_000, 8),
      trial(4_000, 12),
      trial(8_000, 2_390),
      trial(6_000, 900),
      trial(5_000, 13),
    ])
    expect(knee).toEqual({
      rate: 5_000,
      e2eP99: 13,
      baseline: { rate: 1_000, e2eP99: 7 },
      beyond: { rate: 6_000, e2eP99: 900 },
      factor: 2,
    })
  })

  it('is a rate that held: a trial that failed below the doubling is no knee', () => {
    const knee = kneeOf([
      trial(500, 4),
      trial(1_000, 5),
      trial(2_000, 6),
      trial(4_000, 900, { verdict: 'fails' }),
      trial(3_000, 7, { verdict: 'fails' }),
    ])
    expect(knee.rate).toBe(2_000)
    expect(knee.beyond).toEqual({ rate: 4_000, e2eP99: 900 })
    const noneHeld = kneeOf([trial(500, 4, { verdict: 'fails' }), trial(1_000, 50, { verdict: 'fails' })])
    expect(noneHeld.rate).toBeNull()
    expect(noneHeld.beyond).toEqual({ rate: 1_000, e2eP99: 50 })
  })

  it('is not reached while every trial stays within twice the baseline', () => {
    const knee = kneeOf([trial(100, 10), trial(200, 11), trial(400, 19)])
    expect(knee.rate).toBeNull()
    expect(knee.beyond).toBeNull()
    expect(knee.baseline).toEqual({ rate: 100, e2eP99: 10 })
  })

  it('leaves out trials cdcb could not send at their rate, and trials without e2e', () => {
    const knee = kneeOf([
      trial(1_000, null),
      trial(2_000, 5),
      trial(4_000, 9),
      trial(8_000, 50, { verdict: 'generator' }),
    ])
    expect(knee.baseline).toEqual({ rate: 2_000, e2eP99: 5 })
    expect(knee.rate).toBeNull()
    expect(kneeOf([]).baseline).toBeNull()
  })
})
