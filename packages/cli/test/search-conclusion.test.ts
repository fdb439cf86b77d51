import { describe, expect, it } from 'vitest'
import { actualsOf, conclusion, failedSloEntries, kneeLine, TABLE_LEGEND } from '../src/search-benchmark.js'

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

  // A Ctrl-C'd search printed "knee: not reached", as if every rate had been tried.
  it('a stopped search says the knee is unknown, not that it was not reached', () => {
    const baseline = { rate: 1000, e2eP99: 7 }
    expect(kneeLine({ rate: null, e2eP99: null, baseline, beyond: null, factor: 2 }, 'stopped')).toBe(
      "knee: unknown — the search was stopped before e2e p99 rose above 2× the lowest-rate trial's (7.00ms at 1000/s); it may lie at a rate not yet tried",
    )
    expect(kneeLine({ rate: null, e2eP99: null, baseline: null, beyond: null, factor: 2 }, 'stopped')).toBe(
      'knee: unknown — the search was stopped before any trial measured e2e latency at its planned rate',
    )
  })

  // A search that ended at the generator's ceiling printed "knee: not reached"; the README calls that unknown.
  it("a search that ended at cdcb's own ceiling says the knee is unknown: it may lie above the rates cdcb could send", () => {
    const baseline = { rate: 1000, e2eP99: 7 }
    expect(kneeLine({ rate: null, e2eP99: null, baseline, beyond: null, factor: 2 }, 'generator')).toBe(
      "knee: unknown — cdcb could not send faster before e2e p99 rose above 2× the lowest-rate trial's (7.00ms at 1000/s); it may lie above the generator's ceiling",
    )
    // A knee found below the ceiling is still a knee.
    expect(
      kneeLine(
        { rate: 2000, e2eP99: 9, baseline, beyond: { rate: 4000, e2eP99: 30 }, factor: 2 },
        'generator',
      ),
    ).toMatch(/^knee: 2000\/s/)
  })

  // A trial failing only on an SLO gave neither in its row nor in its JSON the figure that failed.
  it("a failed SLO carries its actual figure, or no data, into the trial's JSON", () => {
    const check = { passed: false, status: 'failed' as const, threshold: 3000, unit: 'ms' }
    const sloActuals = actualsOf([
      { ...check, expression: 'recovery.time < 3s', actual: 4200 },
      { ...check, expression: 'e2e.p99 < 3s', actual: null },
      {
        ...check,
        expression: 'lost == 0',
        actual: 0,
        passed: true,
        status: 'passed',
        unit: '',
        threshold: 0,
      },
    ])
    expect(sloActuals).toEqual({ 'recovery.time < 3s': '4200.000 ms', 'e2e.p99 < 3s': 'no data' })
    expect(failedSloEntries({ failedSlos: ['recovery.time < 3s', 'e2e.p99 < 3s'], sloActuals })).toEqual([
      'recovery.time < 3s: actual 4200.000 ms',
      'e2e.p99 < 3s: actual no data',
    ])
  })

  // Achieved 255.2k/s above sent 254.6k/s read as a pipeline delivering more than it was sent.
  it('the table says sent and achieved count different operations', () => {
    expect(TABLE_LEGEND).toContain('sent: operations cdcb sent while the window was open')
    expect(TABLE_LEGEND).toContain("achieved: the window's own events delivered")
  })
})
