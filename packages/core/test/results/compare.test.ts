import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.js'
import {
  columnHeaders,
  compareResults,
  formatComparison,
  optionDifferences,
  parseGates,
} from '../../src/results/compare.js'
import { toCsv } from '../../src/results/csv.js'
import { ResultFigures } from '../../src/results/figures.js'
import { latencies, makeResult, recordedConfig } from './make-result.js'

describe('parseGates', () => {
  it('reads relative and absolute gates, latencies in ms whatever unit is written', () => {
    const gates = parseGates('e2e.p99 > +20%, throughput < -10%, lost > 0, ack.p50 >= 500us, lag.max > +1s')
    expect(gates.map((g) => [g.figure.name, g.comparator, g.threshold, g.relative])).toEqual([
      ['e2e.p99', '>', 20, true],
      ['throughput', '<', -10, true],
      ['lost', '>', 0, false],
      ['ack.p50', '>=', 0.5, false],
      ['lag.max', '>', 1000, false],
    ])
    // Zero is zero in any unit: "rose at all".
    expect(parseGates('e2e.p99 > 0, errors > +0')[0]).toMatchObject({ threshold: 0, relative: false })
  })

  it.each([
    ['e2e.p98 > +20%', /unknown figure "e2e\.p98".*use one of e2e\.p50/],
    ['throughput < -10ms', /"ms" does not fit throughput/],
    // Found by a fresh user: it meant -10/s where -10% was surely meant.
    [
      'throughput < -10',
      /"throughput < -10" gives the change no unit, and throughput is in \/s — write -10% for a relative change or -10\/s for an absolute one/,
    ],
    ['e2e.p99 > 5', /write 5% for a relative change or 5ms for an absolute one/],
    ['late > +1', /write \+1% for a relative change or \+1pp/],
    ['e2e.p99 rose by 20%', /cannot read "e2e\.p99 rose by 20%"/],
    [' , ', /no gate given/],
    // A typo between commas silently dropped a gate (found by a fresh user).
    ['e2e.p99 > +20%,,lost > 0', /gate 2 of .* is empty — remove the extra comma/],
  ])('rejects %s with a one-line message naming the flag', (text, message) => {
    expect(() => parseGates(text)).toThrow(ConfigError)
    expect(() => parseGates(text)).toThrow(message)
    try {
      parseGates(text)
    } catch (error) {
      expect((error as Error).message).toMatch(/^--fail-on: /)
      expect((error as Error).message).not.toContain('\n')
    }
  })
})

describe('compareResults', () => {
  const baseline = makeResult({ e2e: latencies(20_000, 10_000, 1) })
  // Same shape, 25 % slower, 15 % fewer events per second.
  const candidate = makeResult(
    { e2e: latencies(20_000, 12_500, 2) },
    { rate: { target: 2000, sent: 1700, achieved: 1700 } },
  )

  it('reads percentiles from the histograms and crosses a gate only past its threshold', () => {
    const c = compareResults(
      baseline,
      candidate,
      parseGates('e2e.p50 > +20%, e2e.p50 > +30%, throughput < -10%'),
    )
    const p50 = c.figures.find((f) => f.figure.name === 'e2e.p50')!
    expect(p50.percent!).toBeGreaterThan(22)
    expect(p50.percent!).toBeLessThan(28)
    expect(c.gates.map((g) => g.crossed)).toEqual([true, false, true])
    // p90 is not in the rounded `metrics` table: only the histogram knows it.
    expect(c.figures.find((f) => f.figure.name === 'e2e.p90')!.baseline).toBeGreaterThan(0)
  })

  it('prints counts as whole numbers, never 31.0', () => {
    const events = (lost: number) => ({ ...baseline.events, lost, duplicates: 31 })
    const a = makeResult({ e2e: [1000] }, { events: events(31) })
    const b = makeResult({ e2e: [1000] }, { events: events(2404) })
    const text = formatComparison(compareResults(a, b, parseGates('lost > +10')), {
      baseline: 'a',
      candidate: 'b',
    })
    expect(text).toMatch(/^lost\s+31\s+2,404\s/m)
    expect(text).toMatch(/^duplicates\s+31\s+31\s/m)
    expect(text).toMatch(/✗ CROSSED\s+lost > \+10\s+change \+2,373$/m)
    expect(text).not.toMatch(/\b31\.0\b/)
  })

  it('heads the columns with base names, and with enough of the path to tell equal base names apart', () => {
    expect(columnHeaders('/work/state/trialA/r1.json', '/work/state/trialA/r2.json')).toEqual([
      'r1.json',
      'r2.json',
    ])
    expect(columnHeaders('/work/state/trialA/r1.json', '/work/state/trialB/r1.json')).toEqual([
      'trialA/r1.json',
      'trialB/r1.json',
    ])
    expect(columnHeaders('/a/x/r.json', '/b/x/r.json')).toEqual(['a/x/r.json', 'b/x/r.json'])
    expect(columnHeaders('/x/r.json', '/r.json')).toEqual(['x/r.json', 'r.json'])
    expect(columnHeaders('/x/r.json', '/x/r.json')).toEqual(['r.json', 'r.json'])
  })

  it('holds every gate between a run and itself', () => {
    const c = compareResults(baseline, baseline, parseGates('e2e.p99 > +0%, throughput < -0%, lost > 0'))
    expect(c.gates.every((g) => !g.crossed)).toBe(true)
    // Found by a fresh user: `compare a.json a.json` said nothing of comparing a run with itself.
    expect(c.unfair).toEqual([
      `both results are run ${baseline.runId}: a run compared with itself (one file twice, or a copy of it) shows no change`,
      'the baseline does not record its config (an older cdcb wrote it): the loads cannot be checked to match',
    ])
  })

  it('tells a run compared with a copy of itself from another run of the same run id', () => {
    const copy = JSON.parse(JSON.stringify(baseline)) as typeof baseline
    expect(compareResults(baseline, copy).unfair[0]).toMatch(/a run compared with itself/)
    // Found by a fresh user: one process run with --run-id X against the merge of run X's three
    // shards (the README's "the very same plan") was called one file twice.
    const single = makeResult({ e2e: latencies(300, 2_000, 8) }, { runId: 'X' })
    const merged = makeResult(
      { e2e: latencies(300, 2_000, 9) },
      {
        runId: 'X',
        startedAt: '2026-01-01T00:05:00.000Z',
        mergedFrom: [0, 1, 2].map((index) => ({
          file: `s${index}.json`,
          runId: 'X',
          shard: `${index}/3`,
          startedAt: '2026-01-01T00:05:00.000Z',
          status: 'passed',
        })),
      },
    )
    const notes = compareResults(single, merged).unfair
    expect(notes.join('\n')).not.toMatch(/compared with itself/)
    expect(notes).toContain('the candidate is a merge of 3 results')
  })

  // Found by a fresh user: a run whose lost was unknown showed "lost –" and no unresolved count to explain or gate it.
  it('shows and gates unresolved, the count that explains a lost figure left unknown', () => {
    const base = makeResult({ e2e: [1000] })
    const frozen = makeResult({ e2e: [1000] })
    const candidate = { ...frozen, events: { ...frozen.events, lost: null, unresolved: 1510 } }
    const c = compareResults(base, candidate, parseGates('unresolved > 0'))
    expect(c.gates[0]).toMatchObject({ crossed: true })
    const text = formatComparison(c, { baseline: 'a', candidate: 'b' })
    expect(text).toMatch(/lost\s+0\s+–/)
    expect(text).toMatch(/unresolved\s+0\s+1,510/)
  })

  it('counts a gate on a figure one run lacks as crossed, and shows it as –', () => {
    const noVerify = makeResult({ e2e: [1000] })
    const c = compareResults(noVerify, noVerify, parseGates('verified < -1%'))
    expect(c.gates[0]).toMatchObject({ change: null, crossed: true })
    expect(formatComparison(c, { baseline: 'a', candidate: 'b' })).toMatch(
      /✗ CROSSED\s+verified < -1%\s+change no data/,
    )
  })

  it('says what makes the comparison unfair: another load, worker count, machine, an interrupted run', () => {
    const config = (rate: number) => recordedConfig(rate, { workers: 2 }, { seed: rate })
    const machine = (hostname: string) => ({
      hostname,
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: 'cpu',
      memoryGiB: 24,
      node: 'v20',
      cdcb: '0.1.0',
    })
    const a = makeResult({ e2e: [1000] }, { config: config(1000), machine: machine('a') })
    const b = makeResult(
      { e2e: [1000] },
      { config: config(2000), machine: machine('b'), workers: 4, status: 'interrupted' },
    )
    const notes = compareResults(a, b).unfair.join('\n')
    expect(notes).toMatch(/workers differs: 1 vs 4/)
    expect(notes).not.toMatch(/options differ/)
    expect(notes).toMatch(/load\.stages differs/)
    expect(notes).toMatch(/machines differ: a vs b/)
    expect(notes).toMatch(/candidate was interrupted/)
    // The seed changes which keys are written, not how hard the pipeline is pushed.
    expect(notes).not.toMatch(/seed/)
  })

  it('warns when the pipeline part, the faults or the load shape differ (a stall run against a run without one)', () => {
    // Found by a fresh user: a memory-pipeline run with a stall compared with a plain run warned only of source options.
    const config = (extra: Record<string, unknown>, rate = 1000) =>
      recordedConfig(rate, { pipeline: null, faults: [], ...extra })
    const stall = { name: 'stall', at: 3, for: 2, action: { pipeline: 'stall', undo: 'resume' } }
    const plain = makeResult({ e2e: [1000] }, { runId: 'a', config: config({}) })
    const stalled = makeResult(
      { e2e: [1000] },
      {
        runId: 'b',
        config: config({ pipeline: { name: 'memory', options: { capacity: 5 } }, faults: [stall] }, 2000),
        pipeline: { name: 'memory', failed: false, eventCount: 0, events: [] },
        faults: [{ name: 'stall', at: 3, for: 2, startedAt: 3, endedAt: 5, error: null }],
      },
    )
    const notes = compareResults(plain, stalled).unfair
    expect(notes).toContain('pipeline part differs: none vs memory')
    expect(notes).toContain('faults differ: none vs stall at 3s for 2s')
    expect(notes.join('\n')).toMatch(/load\.stages differs/)
    // One part with other options, and one fault plan with another action, are told too.
    const other = makeResult(
      { e2e: [1000] },
      {
        runId: 'c',
        config: config(
          {
            pipeline: { name: 'memory', options: { capacity: 9 } },
            faults: [{ ...stall, action: { signal: 'SIGSTOP', pidFile: 'p' } }],
          },
          2000,
        ),
      },
    )
    const more = compareResults(stalled, other).unfair
    expect(more).toContain('pipeline options differ: capacity 5 vs 9')
    expect(more.join('\n')).toMatch(/fault actions differ: .*"stall".* vs .*"SIGSTOP"/)
    expect(more.join('\n')).not.toMatch(/faults differ|pipeline part|load\.stages/)
  })

  it('names each differing option once, by its path, and never a key a library added ($source)', () => {
    const options = (queue: string, extra: Record<string, unknown>) => ({
      endpoint: 'http://127.0.0.1:9324',
      queue,
      maxBatchBytes: 262144,
      credentials: { accessKeyId: '***', secretAccessKey: '***', ...extra },
    })
    expect(
      optionDifferences(options('std', {}), options('fifo.fifo', { $source: { CREDENTIALS_CODE: 'e' } })),
    ).toEqual(['queue "std" vs "fifo.fifo"'])
    expect(optionDifferences({ a: 1, b: [1, 2] }, { b: [1, 3], c: { d: true } })).toEqual([
      'a 1 vs not set',
      'b [1,2] vs [1,3]',
      'c not set vs {"d":true}',
    ])
    expect(optionDifferences({ a: 1 }, { a: 1, $source: {} })).toEqual([])
  })
})

describe('hops in compare and CSV', () => {
  const hop = (name: string, samples: number[]) => {
    const result = makeResult({ e2e: samples })
    return {
      name,
      from: 'committed',
      to: 'delivered',
      description: `${name} hop`,
      resolutionMicros: 1,
      belowZero: 0,
      latency: result.metrics.e2e,
      histogram: result.histograms.e2e,
    }
  }
  const baseline = makeResult({ e2e: [5000] }, { hops: [hop('connector', latencies(1000, 4_000, 5))] })
  const candidate = makeResult({ e2e: [5000] }, { hops: [hop('connector', latencies(1000, 6_000, 6))] })

  it('gates on a hop read from its histogram (hop.connector.p99), which was an unknown figure', () => {
    // Found by a fresh user: --fail-on "hop.connector.p99 > +20%" said unknown figure.
    const gates = parseGates('hop.connector.p99 > +20%, hop.kafka.p50 > +5ms')
    expect(gates.map((g) => [g.figure.name, g.figure.unit])).toEqual([
      ['hop.connector.p99', 'ms'],
      ['hop.kafka.p50', 'ms'],
    ])
    const c = compareResults(baseline, candidate, gates)
    const p99 = c.figures.find((f) => f.figure.name === 'hop.connector.p99')!
    expect(p99.percent!).toBeGreaterThan(30)
    // The kafka hop is in neither run: no data, so its gate counts as crossed.
    expect(c.gates.map((g) => [g.crossed, g.change])).toEqual([
      [true, p99.percent],
      [true, null],
    ])
    expect(formatComparison(c, { baseline: 'a.json', candidate: 'b.json' })).toMatch(
      /\nhop\.connector\.count\s+1,000\s+1,000\s+0\.0%\n/,
    )
    expect(() => parseGates('hop.connector.p98 > 1ms')).toThrow(/unknown figure "hop\.connector\.p98"/)
  })

  it('writes a stats row per hop in the CSV, from its histogram', () => {
    const stats = toCsv(baseline).stats.split('\n')
    expect(stats[5]).toMatch(/^hop\.connector,1000,\d/)
    expect(stats[5]).toBe(
      `hop.connector,1000,${['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'].map((s) => new ResultFigures(baseline).get(`hop.connector.${s}`)).join(',')}`,
    )
  })
})
