import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createHistogram, decodeHistogram, encodeHistogram, summarize } from '@cdcb/core/runtime'
import { afterAll, describe, expect, it } from 'vitest'
import { readResult, runCli, tempDir, writeConfig } from './helpers.js'

const dir = tempDir()
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A real run of the memory pipeline with a fixed delay; returns the result file. */
async function run(name: string, delay: string, extra: string[] = []) {
  const config = writeConfig({
    name,
    source: { plugin: 'memory', options: { delay } },
    sink: { plugin: 'memory' },
    workers: 1,
    load: { rate: 1000, duration: '3s', warmup: '0s' },
    slo: { 'e2e.p50': '< 1s', lost: '== 0' },
  })
  const out = path.join(dir, `${name}.json`)
  const cli = await runCli(['run', '--config', config, '--out', out, '--no-tui', '-q', ...extra])
  expect(cli.stderr).not.toMatch(/\n\s+at /)
  expect(cli.code).toBe(0)
  return out
}

describe('cdcb compare, merge and report on real runs', () => {
  const runs = Promise.all([
    run('fast', '50ms'),
    run('slow', '150ms'),
    run('fast-again', '50ms', ['--csv', path.join(dir, 'run-csv', 'again')]),
  ])

  it('compare exits 1 when a gate is crossed and 0 when it holds, from the histograms', async () => {
    const [fast, slow] = await runs
    const crossed = await runCli(['compare', fast, slow, '--fail-on', 'e2e.p50 > +50%, throughput < -10%'])
    expect(crossed.code).toBe(1)
    // 50 ms → 150 ms: the p50 row shows both runs' p50 (from the histograms) and the change between them.
    const [a, b] = [fast, slow].map((f) => readResult(f).metrics.e2e.p50)
    const row = /e2e\.p50 ms\s+([\d.]+)\s+([\d.]+)\s+\+([\d.]+)%/.exec(crossed.stdout)!
    expect(Number(row[1])).toBeCloseTo(a!, 0)
    expect(Number(row[2])).toBeCloseTo(b!, 0)
    expect(Number(row[3])).toBeCloseTo(((b! - a!) / a!) * 100, 0)
    expect(Number(row[3])).toBeGreaterThan(50)
    expect(crossed.stdout).toMatch(/✗ CROSSED\s+e2e\.p50 > \+50%/)
    expect(crossed.stdout).toMatch(/✓ held\s+throughput < -10%/)
    const held = await runCli(['compare', fast, slow, '--fail-on', 'e2e.p50 > +1000%'])
    expect(held.code).toBe(0)
    // Another source delay is another load: the comparison says it is unfair.
    expect(held.stdout).toMatch(/^warning: source options differ: delay "50ms" vs "150ms"$/m)
  })

  it('compare rejects a bad gate or a file that is not a result with exit 2 and one line', async () => {
    const [fast, slow] = await runs
    const badGate = await runCli(['compare', fast, slow, '--fail-on', 'e2e.p98 > 20%'])
    expect(badGate.code).toBe(2)
    expect(badGate.stderr.trim()).toMatch(/^cdcb: --fail-on: unknown figure "e2e\.p98"/)
    expect(badGate.stderr.trim().split('\n')).toHaveLength(1)
    const notResult = path.join(dir, 'not-a-result.json')
    writeFileSync(notResult, JSON.stringify({ schemaVersion: 1, runId: 'x' }))
    const bad = await runCli(['compare', fast, notResult])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toMatch(
      /^cdcb: .*not-a-result\.json: name: .*pass a result written by cdcb run/,
    )
    const missing = await runCli(['compare', fast, path.join(dir, 'nope.json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/nope\.json: cannot read \(ENOENT\)/)
  })

  it('merge adds counts exactly, evaluates the SLOs on the merged run, and --config gates it', async () => {
    const [fast, slow, fastAgain] = await runs
    const out = path.join(dir, 'merged.json')
    const merged = await runCli(['merge', fast, slow, fastAgain, '--out', out])
    expect(merged.code).toBe(0)
    const parts = [fast, slow, fastAgain].map(readResult)
    const result = readResult(out)
    for (const key of ['sent', 'acked', 'observed', 'lost'] as const) {
      expect(result.events[key]).toBe(parts.reduce((n, p) => n + p.events[key], 0))
    }
    expect(result.metrics.e2e.count).toBe(parts.reduce((n, p) => n + p.metrics.e2e.count, 0))
    // Percentiles of the union, not an average: the max is the largest of any part; the p50 lies between
    // the parts' p50s; a third of the events are the slow run's, so the merged p95 is at least its p50.
    const e2e = parts.map((p) => p.metrics.e2e)
    expect(result.metrics.e2e.max).toBe(Math.max(...e2e.map((m) => m.max)))
    expect(result.metrics.e2e.p50).toBeGreaterThanOrEqual(Math.min(...e2e.map((m) => m.p50)))
    expect(result.metrics.e2e.p50).toBeLessThanOrEqual(Math.max(...e2e.map((m) => m.p50)))
    expect(result.metrics.e2e.p95).toBeGreaterThanOrEqual(e2e[1]!.p50)
    expect(result.slo.checks.map((c) => c.expression)).toEqual(['e2e.p50 < 1s', 'lost == 0'])
    expect(merged.stdout).toMatch(/PASSED/)
    expect(merged.stdout).toMatch(/merged 3 results; their start times spread over/)

    const strict = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      slo: { 'e2e.p95': '< 100ms' },
    })
    const gated = await runCli(['merge', fast, slow, fastAgain, '--out', out, '--config', strict])
    expect(gated.code).toBe(1)
    expect(gated.stdout).toMatch(/✗ FAIL\s+e2e\.p95 < 100ms/)
  })

  it('merge gives the percentiles one process reports over the same events, to histogram precision', async () => {
    const [fast] = await runs
    const template = readResult(fast)
    // Three shards' latencies (µs): the same events one process would have recorded into one histogram.
    let seed = 7
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed / 2147483648
    }
    const shards = [
      [40_000, 8_000],
      [12_000, 30_000],
      [5_000, 3_000],
    ].map(([count, median]) =>
      Array.from({ length: count! }, () =>
        Math.round(median! * (0.5 + next()) * (next() < 0.02 ? 1 + 30 * next() : 1)),
      ),
    )
    const files = shards.map((samples, i) => {
      const h = createHistogram()
      for (const v of samples) h.recordValue(v)
      const encoded = encodeHistogram(h)
      // The figures beside the histograms are theirs: a reader refuses a result whose histograms are not its own.
      const summary = summarize(h)
      h.destroy()
      const file = path.join(dir, `shard-${i}.json`)
      const histograms = { e2e: encoded, ack: encoded, lag: encoded, detect: encoded }
      const metrics = { ...template.metrics, e2e: summary, ack: summary, lag: summary, detect: summary }
      writeFileSync(
        file,
        JSON.stringify({ ...template, runId: 'shared', shard: { index: i, count: 3 }, histograms, metrics }),
      )
      return file
    })
    const out = path.join(dir, 'shards-merged.json')
    const merge = await runCli(['merge', ...files, '--out', out, '-q'])
    expect(merge.stderr).toBe('')
    const one = createHistogram()
    for (const v of shards.flat()) one.recordValue(v)
    // One process's workers send their histograms encoded, so its report is that of the decoded histogram.
    const oneProcess = decodeHistogram(encodeHistogram(one))
    const merged = readResult(out)
    expect(merged.metrics.e2e).toEqual(summarize(oneProcess))
    expect(merged.metrics.e2e.count).toBe(57_000)
    expect(merged.runId).toBe('shared')
    one.destroy()
    oneProcess.destroy()
  })

  it('merge writes nothing on bad input', async () => {
    const [fast] = await runs
    const garbage = path.join(dir, 'garbage.json')
    writeFileSync(garbage, 'not json')
    const out = path.join(dir, 'never.json')
    const bad = await runCli(['merge', fast, garbage, '--out', out])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/garbage\.json: not JSON/)
    expect(existsSync(out)).toBe(false)
  })

  it('report refuses an output it cannot write with exit 2 and one line, not a stack trace', async () => {
    const [fast] = await runs
    const report = await runCli(['report', fast, '--html', '/proc/nope.html'])
    expect(report.code).toBe(2)
    expect(report.stderr.trim()).toMatch(
      /^cdcb: --html \/proc\/nope\.html: cannot write there: .* — choose another path$/,
    )
  })

  it('run --csv and report --csv write the per-interval series and the final stats', async () => {
    const [fast] = await runs
    const prefix = path.join(dir, 'csv', 'fast')
    const report = await runCli(['report', fast, '--csv', prefix])
    expect(report.code).toBe(0)
    const result = readResult(fast)
    const history = readFileSync(`${prefix}_history.csv`, 'utf8').trim().split('\n')
    expect(history).toHaveLength(result.intervals.length + 1)
    const stats = readFileSync(`${prefix}_stats.csv`, 'utf8')
    expect(stats).toMatch(new RegExp(`^e2e,${result.metrics.e2e.count},${result.metrics.e2e.p50},`, 'm'))
    const totals = readFileSync(`${prefix}_totals.csv`, 'utf8')
    expect(totals).toContain(`events.sent,${result.events.sent},count`)
    const again = readResult((await runs)[2])
    const fromRun = readFileSync(path.join(dir, 'run-csv', 'again_history.csv'), 'utf8')
      .trim()
      .split('\n')
    expect(fromRun).toHaveLength(again.intervals.length + 1)
  })
  it('merge refuses what it would count twice, an input as --out, shards of different plans and an unwritable --out: exit 2, one line, nothing written', async () => {
    const [fast, slow] = await runs
    const out = path.join(dir, 'refused.json')
    const refused = async (args: string[], message: RegExp) => {
      const cli = await runCli(['merge', ...args])
      expect(cli.code, cli.stderr).toBe(2)
      expect(cli.stderr.trim().split('\n'), cli.stderr).toHaveLength(1)
      expect(cli.stderr).toMatch(message)
      expect(existsSync(out)).toBe(false)
    }
    // One result twice, and a copy of it (the same run id): its events would count twice.
    await refused([fast, fast, '--out', out], /runId: \w+ is also the run id of the same file given before/)
    const copy = path.join(dir, 'fast-copy.json')
    writeFileSync(copy, readFileSync(fast))
    await refused(
      [fast, copy, '--out', out],
      /fast-copy\.json: runId: \w+ is also the run id of .*fast\.json/,
    )
    // --out naming an input: that result would be overwritten.
    const before = readFileSync(fast, 'utf8')
    const overwrite = await runCli(['merge', fast, slow, '--out', fast])
    expect(overwrite.code).toBe(2)
    expect(overwrite.stderr).toMatch(/--out .*fast\.json: is also an input/)
    expect(readFileSync(fast, 'utf8')).toBe(before)
    // An --out that cannot be written: one line, no stack, exit 2.
    const proc = await runCli(['merge', fast, slow, '--out', '/proc/x.json'])
    expect(proc.code).toBe(2)
    expect(proc.stderr.trim().split('\n')).toHaveLength(1)
    expect(proc.stderr).toMatch(/--out \/proc\/x\.json: cannot write there/)
    // Two shards of one run with different plans (rate and duration): named, refused.
    const template = readResult(fast)
    const shardFile = (i: number, rate: number) => {
      const file = path.join(dir, `plan-${i}.json`)
      const load = { ...template.config!.load, stages: [{ seconds: 3, fromRate: rate, toRate: rate }] }
      writeFileSync(
        file,
        JSON.stringify({
          ...template,
          runId: 'plan6',
          shard: { index: i, count: 2 },
          config: { ...template.config, load },
        }),
      )
      return file
    }
    await refused(
      [shardFile(0, 1000), shardFile(1, 2000), '--out', out],
      /plan-1\.json: config\.load\.stages: .*2000.*, while .*plan-0\.json has .*1000.* — the shards of one run must run one plan/,
    )
  })
})
