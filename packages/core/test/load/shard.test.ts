import { describe, expect, it } from 'vitest'
import { type ConfigOverrides, resolveConfig } from '../../src/config/resolve-config.js'
import { ConfigError } from '../../src/errors.js'
import { KeySpace } from '../../src/load/keyspace.js'
import { parseStartAt, planWorker, type RunShard, shardOwnsSeq } from '../../src/load/shard.js'
import type { RunResult } from '../../src/result.js'
import { unfairDifferences } from '../../src/results/compare.js'
import { mergeResults } from '../../src/results/merge.js'
import { makeResult } from '../results/make-result.js'

const MIX = { insert: 0.6, update: 0.3, delete: 0.1 }

/** Every operation the plan's workers of one process send, as the worker's loop makes them: seq → `kind key`. */
function operations(shard: RunShard | undefined, workers: number, planned: number, keys: number) {
  const ops = new Map<number, string>()
  for (let w = 0; w < workers; w++) {
    const plan = planWorker(shard, w, workers)
    const space = new KeySpace(keys, plan.shard, plan.shards, 7, MIX)
    for (let seq = plan.shard; seq < planned; seq += plan.shards) {
      expect(ops.has(seq)).toBe(false)
      const key = space.next(seq)
      ops.set(seq, `${space.lastKind} ${key}`)
    }
  }
  return ops
}

describe('a run split into shards splits its plan as across workers', () => {
  it('N shards of W workers send the same operations on the same keys as one process of N × W workers', () => {
    const planned = 20_000
    const whole = operations(undefined, 6, planned, 900)
    const merged = new Map<number, string>()
    for (let index = 0; index < 3; index++) {
      for (const [seq, op] of operations({ index, count: 3 }, 2, planned, 900)) {
        expect(seq % 3).toBe(index)
        expect(merged.has(seq)).toBe(false)
        merged.set(seq, op)
      }
    }
    expect(merged.size).toBe(planned)
    expect(merged).toEqual(whole)
  })

  it('shards with different worker counts still send every seq once, and own disjoint keys', () => {
    const planned = 9_999
    const seen = new Set<number>()
    const keysOf: Set<number>[] = []
    for (const [index, workers] of [1, 2, 4].entries()) {
      const keys = new Set<number>()
      for (const [seq, op] of operations({ index, count: 3 }, workers, planned, 1200)) {
        expect(shardOwnsSeq({ index, count: 3 }, seq)).toBe(true)
        expect(seen.has(seq)).toBe(false)
        seen.add(seq)
        const key = Number(op.split(' ')[1])
        expect(key % 3).toBe(index)
        keys.add(key)
      }
      keysOf.push(keys)
    }
    expect(seen.size).toBe(planned)
    expect(keysOf.every((keys) => keys.size > 0)).toBe(true)
  })

  it('reads start times as epoch seconds or ISO 8601 with a zone, and nothing else', () => {
    expect(parseStartAt(1767225600)).toBe(1767225600e6)
    expect(parseStartAt('1767225600.5')).toBe(1767225600.5e6)
    expect(parseStartAt('2026-12-06T21:30:00Z')).toBe(Date.parse('2026-12-06T21:30:00Z') * 1e3)
    expect(parseStartAt('2026-12-06T22:30:00+01:00')).toBe(Date.parse('2026-12-06T21:30:00Z') * 1e3)
    // A time without a zone would mean each machine's own zone: shards an hour apart.
    for (const bad of ['2026-12-06T21:30:00', 'tomorrow', '', '-5', '2026-13-45T99:00:00Z'])
      expect(typeof parseStartAt(bad), bad).toBe('string')
  })
})

const base = { source: { plugin: 'memory' }, sink: { plugin: 'memory' }, workers: 1 }
const soon = () => new Date(Date.now() + 60_000).toISOString()

async function problem(config: unknown, overrides: ConfigOverrides = {}): Promise<string> {
  const error = await resolveConfig(config, { origin: 'bench.config.ts', overrides }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ConfigError)
  return (error as Error).message
}

describe('--shard, --run-id and --start-at are checked as the config keys they override', () => {
  it('names the flag or the key, the problem and the fix', async () => {
    expect(await problem(base, { shard: '3/3', runId: 'r', startAt: soon() })).toBe(
      '--shard: expected an index from 0 to 2 (indexes are 0-based), got "3/3"',
    )
    expect(await problem({ ...base, shard: 'first' })).toMatch(
      /^bench\.config\.ts: shard: expected INDEX\/COUNT with a 0-based index/,
    )
    expect(await problem(base, { shard: '0/3', runId: 'Nightly-1', startAt: soon() })).toMatch(
      /^--run-id: expected 1 to 24 lowercase letters and digits .*, got "Nightly-1"$/,
    )
    expect(await problem(base, { shard: '0/3', startAt: soon() })).toMatch(
      /^--shard: shard 0\/3 needs a run id shared by every shard, .* add --run-id ID/,
    )
    expect(await problem(base, { shard: '0/3', runId: 'r1' })).toMatch(
      /^--shard: shard 0\/3 needs a start time shared by every shard/,
    )
    expect(await problem(base, { startAt: 'at noon' })).toMatch(/^--start-at: expected epoch seconds/)
    const past = new Date(Date.now() - 30_000).toISOString()
    expect(await problem(base, { shard: '1/2', runId: 'r1', startAt: past })).toMatch(
      /^--start-at: .* is 3\d\.\ds in the past \(at most 2s is allowed\) — give a later start time$/,
    )
    expect(await problem({ ...base, startAt: 1 })).toMatch(/^bench\.config\.ts: startAt: .* in the past/)
    // Found by a fresh user: `--start-at $(date +%s%3N)` (milliseconds) waited 1,794,850,350,673.7 s.
    const millis = String(Date.now() + 60_000)
    expect(await problem(base, { shard: '0/3', runId: 'abc', startAt: millis })).toBe(
      `--start-at: this looks like epoch milliseconds (or finer), not seconds — give epoch seconds (date +%s) or ISO 8601 with a zone, got "${millis}"`,
    )
    expect(await problem({ ...base, startAt: Date.now() * 1000 })).toMatch(
      /^bench\.config\.ts: startAt: this looks like epoch milliseconds/,
    )
    // A date 400 days ahead is a typo, not a plan; 23 h ahead is allowed.
    const far = new Date(Date.now() + 400 * 86_400_000).toISOString()
    expect(await problem(base, { shard: '0/3', runId: 'abc', startAt: far })).toMatch(
      /^--start-at: .* is 960\d\.\d h ahead \(at most 24 h is allowed: .*\) — give a start time within 24 h, as epoch seconds or ISO 8601$/,
    )
    const later = String(Math.round(Date.now() / 1000) + 23 * 3600)
    const config = await resolveConfig(base, {
      origin: 'x',
      overrides: { shard: '0/3', runId: 'abc', startAt: later },
    })
    expect(config.startAtMicros).toBe(Number(later) * 1e6)
    // Each of 3 shards' 2 workers owns keys: the plan has 6 workers.
    expect(
      await problem(
        { ...base, workers: 2, load: { keys: 5 } },
        { shard: '0/3', runId: 'r1', startAt: soon() },
      ),
    ).toBe('bench.config.ts: load.keys (5) must be at least workers × shards (6) — raise load.keys')
  })

  it('a config may carry them as keys, and flags win', async () => {
    const startAt = soon()
    const config = await resolveConfig(
      { ...base, shard: '0/2', runId: 'fromconfig', startAt },
      { origin: 'x', overrides: { shard: '1/2' } },
    )
    expect(config.shard).toEqual({ index: 1, count: 2 })
    expect(config.runId).toBe('fromconfig')
    expect(config.startAtMicros).toBe(Date.parse(startAt) * 1e3)
  })
})

function shard(index: number, count: number, overrides: Partial<Record<keyof RunResult, unknown>> = {}) {
  return makeResult(
    { e2e: [1000 + index, 2000, 3000] },
    {
      runId: 'run7',
      shard: { index, count },
      start: {
        requested: '2026-01-01T00:00:00.000Z',
        actual: '2026-01-01T00:00:00.000Z',
        actualMicros: 1767225600e6 + index * 1500,
        lateMs: index * 1.5,
      },
      ...overrides,
    },
  )
}

function mergeProblem(results: RunResult[]): string {
  try {
    mergeResults(results.map((result, i) => ({ file: `s${i}.json`, result })))
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('merged')
}

describe('cdcb merge takes the shards of one run, each once, none missing', () => {
  it('reports the spread of their actual starts', () => {
    const merged = mergeResults([0, 1, 2].map((i) => ({ file: `s${i}.json`, result: shard(i, 3) })))
    expect(merged.shards).toEqual({ count: 3, actualStartSpreadMs: 3 })
    expect(merged.events.sent).toBe(9)
    expect(merged.mergedFrom?.map((p) => p.shard)).toEqual(['0/3', '1/3', '2/3'])
    expect(merged.warnings).toContain(
      "merged the 3 shards of run run7; their actual starts spread over 3.000 ms, each by its own machine's clock (keep the machines' clocks within NTP accuracy)",
    )
  })

  it('refuses a missing shard, a shard twice, another run, or a run that is no shard, naming the file', () => {
    expect(mergeProblem([shard(0, 3), shard(2, 3)])).toBe(
      "s0.json: shard: run run7 has 3 shards and shard 1/3 is missing — pass every shard's result (a merge without one would undercount the run)",
    )
    expect(mergeProblem([shard(0, 2), shard(1, 2), shard(1, 2)])).toMatch(
      /^s2\.json: shard: 1\/2 is given twice \(also s1\.json\)/,
    )
    expect(mergeProblem([shard(0, 2), shard(1, 2, { runId: 'other' })])).toMatch(
      /^s1\.json: runId: shard 1\/2 of run other, while s0\.json is shard 0\/2 of run run7/,
    )
    expect(mergeProblem([shard(0, 2), shard(1, 3)])).toMatch(/^s1\.json: shard: shard 1\/3 of run run7/)
    expect(mergeProblem([shard(0, 2), makeResult({ e2e: [1] })])).toMatch(/^s1\.json: shard: absent/)
  })
})

describe('cdcb compare of a shard', () => {
  it('says a shard holds only its share of the run', () => {
    expect(unfairDifferences(shard(1, 3), makeResult({ e2e: [1000, 2000, 3000] }))).toContain(
      'the baseline is shard 1/3 of run run7: its figures are its share of the run (compare merged shards: cdcb merge)',
    )
  })
})
