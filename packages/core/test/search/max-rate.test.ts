import { describe, expect, it } from 'vitest'
import { firstRate, judgeTrial, searchMaxRate, type TrialOutcome } from '../../src/search/max-rate.js'

/** A pipeline that delivers at most `capacity` events/s, and a generator that sends at most `ceiling`. */
function model(capacity: number, ceiling = Number.POSITIVE_INFINITY) {
  const rates: number[] = []
  const run = async (rate: number): Promise<TrialOutcome> => {
    rates.push(rate)
    const sent = Math.min(rate, ceiling)
    return {
      rate,
      sent,
      achieved: Math.min(sent, capacity),
      e2eP99: 5,
      sloPassed: true,
      failedSlos: [],
      unjudgedSlos: [],
      lateShare: 0,
      lagP99: 1,
    }
  }
  return { run, rates }
}

describe('searchMaxRate', () => {
  it('ramps by doubling, then bisects to within the precision of the capacity', async () => {
    const pipeline = model(5_000)
    const result = await searchMaxRate(pipeline.run, { from: 1_000, precision: 0.05 })
    expect(result.end).toBe('precision')
    expect(pipeline.rates.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000])
    // 97 % keep-up: rates up to 5,154/s still count as kept up at 5,000/s delivered.
    expect(result.maxRate).toBeGreaterThanOrEqual(4_750)
    expect(result.maxRate).toBeLessThanOrEqual(5_155)
    expect(result.minFailingRate! - result.maxRate!).toBeLessThanOrEqual(0.05 * result.maxRate!)
    expect(result.trials.at(-1)?.verdict).toBeDefined()
  })

  it('halves from a first trial that fails', async () => {
    const pipeline = model(300)
    const result = await searchMaxRate(pipeline.run, { from: 1_000, precision: 0.1 })
    expect(pipeline.rates.slice(0, 3)).toEqual([1_000, 500, 250])
    expect(result.maxRate).toBeGreaterThanOrEqual(280)
    expect(result.maxRate).toBeLessThanOrEqual(309)
  })

  it('stops at the generator ceiling and says the pipeline held everything measured', async () => {
    const pipeline = model(1_000_000, 3_000)
    const result = await searchMaxRate(pipeline.run, { from: 1_000 })
    expect(result.end).toBe('generator')
    expect(result.maxRate).toBe(2_000)
    expect(result.minFailingRate).toBeNull()
    expect(result.trials.at(-1)?.why[0]).toBe('cdcb sent 3000/s of 4000/s planned')
  })

  it('stops at max when it holds there, and within the trial budget otherwise', async () => {
    expect((await searchMaxRate(model(10_000).run, { from: 1_000, max: 3_000 })).end).toBe('max')
    const budget = await searchMaxRate(model(5_000).run, { from: 1, maxTrials: 4 })
    expect(budget.end).toBe('trials')
    expect(budget.trials).toHaveLength(4)
  })

  it('reports stopped when the caller stops, and nothing-holds when even 1/s fails', async () => {
    const stopped = await searchMaxRate(async () => undefined, { from: 100 })
    expect(stopped).toMatchObject({ end: 'stopped', maxRate: null, trials: [] })
    const never = await searchMaxRate(async (rate) => ({ ...(await model(0).run(rate)) }), { from: 4 })
    expect(never.end).toBe('nothing-holds')
    expect(never.maxRate).toBeNull()
  })
})

describe('judgeTrial', () => {
  it('names each reason a trial failed', () => {
    const trial = judgeTrial({
      rate: 1_000,
      sent: 1_000,
      achieved: 900,
      e2eP99: 2_500,
      sloPassed: false,
      failedSlos: ['e2e.p99 < 1s'],
    })
    expect(trial.verdict).toBe('fails')
    expect(trial.why).toEqual(['SLO e2e.p99 < 1s failed', 'achieved 900/s < 97% of 1000/s'])
  })

  // "SLO recovery.time < 3s failed" alone did not say by how much, nor that it had no data.
  it("names a failed SLO's actual figure", () => {
    const trial = judgeTrial({
      rate: 1_000,
      sent: 1_000,
      achieved: 1_000,
      e2eP99: 20,
      sloPassed: false,
      failedSlos: ['recovery.time < 3s', 'e2e.p99 < 1s'],
      sloActuals: { 'recovery.time < 3s': '4200.000 ms', 'e2e.p99 < 1s': 'no data' },
      unjudgedSlos: [],
      lateShare: 0,
      lagP99: 1,
    })
    expect(trial.why).toEqual([
      'SLO recovery.time < 3s failed (actual 4200.000 ms)',
      'SLO e2e.p99 < 1s failed (actual no data)',
    ])
  })

  it('stops at the generator ceiling when cdcb sent the planned rate only by catching up late', async () => {
    // The fresh user's 1.28M/s trial: sent 1.32M/s (warmup operations sent late inside the
    // window), 97% of the measured window's operations late, lag p99 966 ms, every SLO held.
    const behind = judgeTrial({
      rate: 1_280_000,
      sent: 1_320_000,
      achieved: 1_300_000,
      e2eP99: 1_200,
      sloPassed: true,
      failedSlos: [],
      unjudgedSlos: [],
      lateShare: 0.97,
      lagP99: 966,
    })
    expect(behind.verdict).toBe('generator')
    expect(behind.why).toEqual([
      "cdcb fell behind its schedule: 97% of the measured window's operations were sent late (generator lag p99 966ms)",
    ])
    const pipeline = model(10_000_000)
    const late = async (rate: number) => ({
      ...(await pipeline.run(rate)),
      lateShare: rate > 2_000 ? 0.9 : 0.02,
    })
    const result = await searchMaxRate(late, { from: 1_000 })
    expect(result.end).toBe('generator')
    expect(result.maxRate).toBe(2_000)
  })

  it('holds through a stall that made a few operations late, and stops when most of them were', () => {
    // A 94 ms stall of a loaded machine in a 2 s trial at 500/s: 3.8% late; e2e counts it.
    const stalled = { ...baseOutcome(), rate: 500, sent: 500, achieved: 500, lateShare: 0.038, lagP99: 94 }
    expect(judgeTrial(stalled).verdict).toBe('holds')
    expect(judgeTrial({ ...stalled, lateShare: 0.5 }).verdict).toBe('holds')
    expect(judgeTrial({ ...stalled, lateShare: 0.51 }).verdict).toBe('generator')
  })

  it('starts at --from capped by --max', () => {
    expect(firstRate(1_000, 500)).toBe(500)
    expect(firstRate(1_000)).toBe(1_000)
    expect(firstRate(0.2)).toBe(1)
  })
})

function baseOutcome(): TrialOutcome {
  return {
    rate: 1_000,
    sent: 1_000,
    achieved: 1_000,
    e2eP99: 5,
    sloPassed: true,
    failedSlos: [],
    unjudgedSlos: [],
    lateShare: 0,
    lagP99: 1,
  }
}
