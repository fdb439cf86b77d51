import { describe, expect, it } from 'vitest'
import { evaluateSlo, formatActual } from '../../src/slo/evaluate.js'
import { parseSlo, sloExpressions } from '../../src/slo/parser.js'

describe('parseSlo', () => {
  it.each([
    ['e2e.p95 < 2s', 'latency', '<', 2000],
    ['e2e.p99<=500ms', 'latency', '<=', 500],
    ['ack.p50 < 800us', 'latency', '<', 0.8],
    ['lag.max < 5', 'latency', '<', 5],
    ['throughput >= 10000/s', 'counter', '>=', 10000],
    ['errors < 0.1%', 'counter', '<', 0.1],
    ['lost == 0', 'counter', '==', 0],
    ['verified > 99.9%', 'counter', '>', 99.9],
  ])('parses %s', (source, kind, comparator, threshold) => {
    const expression = parseSlo(source)
    expect(expression.metric.kind).toBe(kind)
    expect(expression.comparator).toBe(comparator)
    expect(expression.threshold).toBeCloseTo(threshold)
  })

  it.each([
    ['e2e.p95 < 2 parsecs', 'unit "parsecs" is not a time unit', '            ^^^^^^^'],
    ['e2e.p42 < 2s', '"e2e.p42" needs one statistic', '^^^^^^^'],
    ['latency < 2s', 'unknown metric "latency"', '^^^^^^^'],
    ['e2e.p95 ~ 2s', 'expected a comparator', '        ^'],
    ['lost == many', 'expected a number', '        ^'],
    ['lost == 3%', 'lost is a count', '         ^'],
    ['throughput > 5ms', 'throughput takes events per second', '              ^^'],
  ])('rejects %s with a caret under the bad token', (source, message, caret) => {
    expect(() => parseSlo(source)).toThrowError(message)
    try {
      parseSlo(source)
    } catch (error) {
      const lines = (error as Error).message.split('\n')
      expect(lines[1]).toBe(`  ${source}`)
      expect(lines[2]).toBe(`  ${caret}`)
    }
  })

  it('turns the map form into expressions', () => {
    expect(sloExpressions({ 'e2e.p99': ['< 5s', '> 0ms'], lost: '== 0' })).toEqual([
      'e2e.p99 < 5s',
      'e2e.p99 > 0ms',
      'lost == 0',
    ])
  })
})

describe('evaluateSlo', () => {
  const events = {
    sent: 1000,
    acked: 1000,
    observed: 998,
    inFlight: 0,
    duplicates: 0,
    outOfOrder: 0,
    late: 0,
    errors: 2,
    corrupt: 0,
    lost: 2,
    foreign: 0,
    unresolved: 0,
  }
  const inputs = {
    latency: (_name: string, statistic: string) => ({
      value: statistic === 'p99' ? 1500 : null,
      belowZero: 0,
      aboveRange: 0,
    }),
    events,
    window: { sent: 1000, errors: 2, late: 0 },
    achievedRate: 9990,
    verification: { checked: 100, mismatched: 1 },
  }

  it('compares each metric in its unit and fails checks without data', () => {
    const checks = evaluateSlo(
      [
        'e2e.p99 < 2s',
        'e2e.p99 < 1s',
        'e2e.p50 < 1s',
        'errors < 0.1%',
        'lost == 2',
        'verified >= 99%',
        'throughput >= 10000/s',
      ].map(parseSlo),
      inputs,
    )
    expect(checks.map((c) => [c.expression, c.actual, c.passed])).toEqual([
      ['e2e.p99 < 2s', 1500, true],
      ['e2e.p99 < 1s', 1500, false],
      ['e2e.p50 < 1s', null, false],
      ['errors < 0.1%', 0.2, false],
      ['lost == 2', 2, true],
      ['verified >= 99%', 99, true],
      ['throughput >= 10000/s', 9990, false],
    ])
  })
})

describe('a check whose figure could mislead', () => {
  const events = {
    sent: 10,
    acked: 10,
    observed: 10,
    inFlight: 0,
    foreign: 0,
    duplicates: 0,
    outOfOrder: 0,
    late: 0,
    errors: 0,
    corrupt: 0,
    lost: 0,
    unresolved: 0,
  }
  const base = { events, window: { sent: 10, errors: 0, late: 0 }, achievedRate: 10, verification: null }

  it('fails a latency whose percentile falls among samples below zero, and says why', () => {
    const [check] = evaluateSlo([parseSlo('e2e.p99 < 1ms')], {
      ...base,
      latency: () => ({ value: null, belowZero: 10, aboveRange: 0 }),
    })
    expect(check).toMatchObject({ status: 'failed', actual: null })
    expect(check!.note).toMatch(/10 samples below zero/)
  })

  it('prints an actual with its unit and the digits its verdict needs', () => {
    expect(formatActual(50.1004, 'ms', 50.1)).toBe('50.1004 ms')
    expect(formatActual(50.1, 'ms', 50.1)).toBe('50.100 ms')
    expect(formatActual(2367, 'ms', 1000)).toBe('2367.000 ms')
    expect(formatActual(53, '', 50)).toBe('53')
    expect(formatActual(999.96, '/s', 1000)).toBe('999.96/s')
    const checks = evaluateSlo(['e2e.p50 <= 50.1ms', 'e2e.p50 >= 50.1ms'].map(parseSlo), {
      ...base,
      latency: () => ({ value: 50.1004, belowZero: 0, aboveRange: 0 }),
    })
    const printed = checks.map((c) => `${c.status} ${formatActual(c.actual!, c.unit, c.threshold)}`)
    expect(printed).toEqual(['failed 50.1004 ms', 'passed 50.1004 ms'])
  })

  it('skips a check the run could not measure, with the reason', () => {
    const [check] = evaluateSlo([parseSlo('lost == 0')], {
      ...base,
      latency: () => ({ value: null, belowZero: 0, aboveRange: 0 }),
      unmeasured: () => 'not measured: the interrupt cut the drain short',
    })
    expect(check).toMatchObject({ status: 'skipped', passed: false, note: /interrupt/ })
  })
})
