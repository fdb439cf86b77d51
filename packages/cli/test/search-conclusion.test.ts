import { describe, expect, it } from 'vitest'
import { conclusion, kneeLine } from '../src/search-benchmark.js'

describe("cdcb search's verdict line", () => {
  it('an interrupted search does not read as an answer (trial15)', () => {
    const line = conclusion({ maxRate: 2000, minFailingRate: null, end: 'stopped' })
    expect(line).toBe(
      "stopped before an answer; highest rate that held so far: 2000/s (the pipeline's limit may be higher)",
    )
    expect(conclusion({ maxRate: null, minFailingRate: null, end: 'stopped' })).toBe(
      'stopped before an answer: no trial held before the interrupt',
    )
  })

  it('a generator ceiling names the schedule cdcb could not keep, sent short or sent late', () => {
    expect(conclusion({ maxRate: 2000, minFailingRate: null, end: 'generator' })).toBe(
      "highest rate that holds: at least 2000/s — above that cdcb itself could not keep the planned schedule on this machine (see the last trial), so the pipeline's limit was not reached",
    )
  })

  it('the knee line says when the knee was not reached, and when no trial below the doubling held', () => {
    const baseline = { rate: 1000, e2eP99: 7 }
    expect(kneeLine({ rate: null, e2eP99: null, baseline, beyond: null, factor: 2 })).toBe(
      "knee: not reached — e2e p99 stayed within 2× of the lowest-rate trial's (7.00ms at 1000/s) in every trial run at its rate",
    )
    expect(
      kneeLine({ rate: null, e2eP99: null, baseline, beyond: { rate: 2000, e2eP99: 30 }, factor: 2 }),
    ).toBe(
      "knee: none — no trial held below the first whose e2e p99 rose above 2× the lowest-rate trial's 7.00ms at 1000/s: 30.0ms at 2000/s",
    )
    expect(kneeLine({ rate: null, e2eP99: null, baseline: null, beyond: null, factor: 2 })).toBe(
      'knee: unknown — no trial measured e2e latency at its planned rate',
    )
  })
})
