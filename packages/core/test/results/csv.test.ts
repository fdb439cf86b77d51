import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { csvNumber, toCsv } from '../../src/results/csv.js'
import { makeResult } from './make-result.js'

describe('toCsv', () => {
  it('writes one history row per interval and leaves unknown values empty, never 0', () => {
    const result = makeResult(
      { e2e: [1000, 2000, 3000] },
      {
        intervals: [
          {
            t: 1,
            phase: 'measure',
            targetRate: 10,
            sentRate: 10,
            achievedRate: 0,
            e2eP50: null,
            e2eP99: null,
            lagP99: 1.5,
            inFlight: 7,
            errors: 0,
          },
        ],
        slo: { passed: false, checks: [{ expression: 'verified >= 99%', actual: null, passed: false }] },
      },
    )
    const csv = toCsv(result)
    expect(csv.history).toBe(
      't,phase,targetRate,sentRate,achievedRate,e2eP50,e2eP99,lagP99,inFlight,errors\n1,measure,10,10,0,,,1.5,7,0\n',
    )
    expect(csv.stats.split('\n')[1]).toBe('e2e,3,2,3.001,3.001,3.001,3.001,3.001,2')
    expect(csv.totals).toContain('\nverified,,%\n')
    expect(csv.totals).toContain('\nslo: verified >= 99%,,failed\n')
  })

  it('writes every number by one precision rule: at most 3 decimals, at least 3 significant digits', () => {
    // Found by a fresh user: `slo: throughput >= 4900/s,1982.770283887163` next to `rate.achieved,1982.77`.
    const checks = [
      {
        expression: 'throughput >= 4900/s',
        actual: 1982.770283887163,
        unit: '/s',
        threshold: 4900,
        passed: false,
      },
      {
        expression: 'recovery.time < 10s',
        actual: 2148.099499999999,
        unit: 'ms',
        threshold: 10000,
        passed: true,
      },
    ]
    const result = makeResult(
      { e2e: [1000] },
      {
        slo: { passed: false, checks },
        rate: { target: 5000, sent: 4999.5, achieved: 1982.77 },
        lateShare: 0.000123456,
      },
    )
    const totals = toCsv(result).totals
    expect(totals).toContain('\nrate.achieved,1982.77,events/s\n')
    expect(totals).toContain('\nslo: throughput >= 4900/s,1982.77,failed\n')
    expect(totals).toContain('\nslo: recovery.time < 10s,2148.099,passed\n')
    expect(totals).toContain('\nlateShare,0.000123,fraction\n')
  })

  it("writes each SLO check's status: skipped (never measured) is not failed", () => {
    // Found by a fresh user: an interrupted run's skipped checks and a shard's throughput check read "failed".
    const checks = [
      {
        expression: 'throughput >= 3000/s',
        actual: null,
        unit: '/s',
        threshold: 3000,
        passed: false,
        status: 'skipped',
      },
      { expression: 'lost == 0', actual: 2, unit: '', threshold: 0, passed: false, status: 'failed' },
      { expression: 'e2e.p99 < 1s', actual: 3, unit: 'ms', threshold: 1000, passed: true, status: 'passed' },
    ]
    const totals = toCsv(makeResult({ e2e: [1000] }, { slo: { passed: false, checks } })).totals
    expect(totals).toContain('\nslo: throughput >= 3000/s,,skipped\n')
    expect(totals).toContain('\nslo: lost == 0,2,failed\n')
    expect(totals).toContain('\nslo: e2e.p99 < 1s,3,passed\n')
  })

  it('writes numbers as the README says it does, examples included', () => {
    // Found by a fresh user: the README promised at most 3 decimals, and totals read `lateShare,0.00958`.
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8')
    const csv = readme.slice(readme.indexOf('**`--csv PREFIX`**'), readme.indexOf('### One run across'))
    const examples = [...csv.matchAll(/`(\d+\.\d+)…` is\s+written `(\d+(?:\.\d+)?)`/g)]
    expect(examples.map((m) => m[2])).toEqual(['1982.77', '0.00958'])
    for (const [, given, written] of examples) expect(csvNumber(Number(`${given}4`))).toBe(written)
    const totals = toCsv(makeResult({ e2e: [1000] }, { lateShare: 0.0095814 })).totals
    expect(totals).toContain('\nlateShare,0.00958,fraction\n')
  })
})
