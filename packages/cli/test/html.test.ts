import type { IntervalPoint, RunResult } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { backlogFromRates, failingWindows, findStalls } from '../src/results/html.js'

function rows(points: Array<[number, number, number]>): RunResult {
  const intervals: IntervalPoint[] = points.map(([targetRate, sentRate, achievedRate], i) => ({
    t: i + 1,
    phase: 'measure',
    targetRate,
    sentRate,
    achievedRate,
    e2eP50: 1,
    e2eP99: 2,
    lagP99: 1,
    inFlight: 0,
    errors: 0,
  }))
  return { intervals } as unknown as RunResult
}

describe('findStalls', () => {
  it('finds the stretch where the sink saw under a tenth of the plan', () => {
    const result = rows([
      [1000, 1000, 1000],
      [1000, 1000, 0],
      [1000, 1000, 50],
      [1000, 1000, 2950],
    ])
    expect(findStalls(result)).toEqual([{ from: 1, to: 3, targetRate: 1000, achievedRate: 25 }])
  })

  it("does not call a burst's first interval a stall (the target at its end is the burst's)", () => {
    const result = rows([
      [100, 100, 100],
      [4000, 100, 100],
      [4000, 4000, 2000],
      [100, 100, 2000],
    ])
    expect(findStalls(result)).toEqual([])
  })
})

describe('backlogFromRates', () => {
  it('adds sent minus observed over each interval', () => {
    expect(
      backlogFromRates(
        rows([
          [100, 100, 100],
          [4000, 4000, 2000],
          [100, 100, 1500],
          [100, 100, 700],
        ]),
      ),
    ).toEqual([0, 2000, 600, 0])
  })
})

describe('failingWindows', () => {
  it("puts each failing window on the charts' axis: its offset in the measured window plus the warmup", () => {
    const result = {
      config: { load: { warmupSeconds: 5 } },
      slo: {
        checks: [
          { expression: 'e2e.p99 < 1s' },
          {
            expression: 'e2e.p99[1m] < 2s',
            windows: { failing: [{ start: 60, end: 120, actual: 3000 }] },
          },
        ],
      },
    } as unknown as RunResult
    expect(failingWindows(result)).toEqual([{ expression: 'e2e.p99[1m] < 2s', from: 65, to: 125 }])
    expect(failingWindows({ ...result, config: undefined } as unknown as RunResult)).toEqual([])
  })
})
