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
    ['e2e.p95 < 2 parsecs', 'unit "parsecs" is not a time unit', '"parsecs" at character 13'],
    ['e2e.p42 < 2s', '"e2e.p42" needs one statistic', '"e2e.p42" at character 1'],
    ['latency < 2s', 'unknown metric "latency"', '"latency" at character 1'],
    ['e2e.p95 ~ 2s', 'expected a comparator', '"~" at character 9'],
    ['lost == many', 'expected a number', '"m" at character 9'],
    ['lost == 3%', 'lost is a count', '"%" at character 10'],
    ['throughput > 5ms', 'throughput takes events per second', '"ms" at character 15'],
  ])('rejects %s in one line naming the bad token', (source, message, token) => {
    expect(() => parseSlo(source)).toThrowError(message)
    try {
      parseSlo(source)
    } catch (error) {
      expect((error as Error).message).not.toContain('\n')
      expect((error as Error).message).toContain(`${token} of "${source}"`)
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

describe('hop SLOs', () => {
  it('parses hop.<name>.<statistic> as a latency in ms', () => {
    const expression = parseSlo('hop.connector.p99 < 100ms')
    expect(expression.metric).toEqual({ kind: 'latency', name: 'hop.connector', statistic: 'p99' })
    expect(expression.threshold).toBe(100)
  })

  it.each([
    ['hop.p99 < 1s', 'needs a hop and one statistic'],
    ['hop.connector < 1s', 'needs a hop and one statistic'],
    ['hop.connector.p42 < 1s', 'needs one statistic: hop.connector.'],
  ])('rejects %s', (source, message) => {
    expect(() => parseSlo(source)).toThrow(message)
  })

  it('a hop the sink never measured fails its check with no value', () => {
    const events = {
      sent: 1,
      acked: 1,
      observed: 1,
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
    const [check] = evaluateSlo([parseSlo('hop.kafka.p99 < 1s')], {
      events,
      window: { sent: 1, errors: 0, late: 0 },
      achievedRate: 1,
      verification: null,
      latency: () => ({ value: null, belowZero: 0, aboveRange: 0 }),
    })
    expect(check).toMatchObject({
      expression: 'hop.kafka.p99 < 1s',
      actual: null,
      passed: false,
      status: 'failed',
    })
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

describe('windows', () => {
  it.each([
    ['e2e.p99[1m] < 2s', 60e6],
    ['hop.connector.p99 [30s] <= 100ms', 30e6],
    ['throughput[1m] >= 990/s', 60e6],
    ['errors[30s] < 0.1%', 30e6],
    ['late[500ms] < 1%', 0.5e6],
  ])('parses %s', (source, micros) => {
    expect(parseSlo(source).windowMicros).toBe(micros)
  })

  it('leaves a whole-run check without a window', () => {
    expect(parseSlo('e2e.p99 < 2s')).not.toHaveProperty('windowMicros')
  })

  it('reads the map form', () => {
    expect(sloExpressions({ 'e2e.p99[1m]': '< 2s' }).map(parseSlo)[0]!.windowMicros).toBe(60e6)
  })

  it.each([
    ['e2e.p99[0s] < 2s', 'window "[0s]" must be longer than 0', '"[0s]" at character 8'],
    ['e2e.p99[abc] < 2s', 'window "[abc]" is not a duration', '"[abc]" at character 8'],
    ['e2e.p99[60] < 2s', 'window "[60]" is not a duration', '"[60]" at character 8'],
    ['e2e.p99[1m < 2s', 'a window needs its closing "]"', '"[" at character 8'],
    ['lost[1m] == 0', 'lost is known only for the whole run', '"[1m]" at character 5'],
    ['recovery.time[1m] < 30s', 'recovery.time is known only for the whole run', 'at character 14'],
  ])('rejects %s in one line', (source, message, token) => {
    const error = (() => {
      try {
        parseSlo(source)
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.message).toContain(message)
    expect(error?.message).toContain(`${token} of "${source}"`)
    expect(error?.message).not.toContain('\n')
  })
})
