import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readResult, runCli, writeConfig } from './helpers.js'

/** Runs a memory-pipeline config through the real CLI and returns the JSON result. */
async function measure(config: Record<string, unknown>) {
  const file = writeConfig({ sink: { plugin: 'memory' }, workers: 2, ...config })
  const out = path.join(path.dirname(file), 'result.json')
  const run = await runCli(['run', '--config', file, '--out', out])
  expect(run.stderr).not.toMatch(/\n\s+at /)
  return { run, result: readResult(out) }
}

describe('measurement through the CLI, memory pipeline', () => {
  it('a fixed 50 ms delay at 2,000 events/s gives e2e p50 of 50 ms ± 1 ms', async () => {
    const { run, result } = await measure({
      source: { plugin: 'memory', options: { delay: '50ms' } },
      load: { rate: 2000, duration: '5s' },
    })
    expect(run.code).toBe(0)
    expect(result.metrics.e2e.p50).toBeGreaterThanOrEqual(49)
    expect(result.metrics.e2e.p50).toBeLessThanOrEqual(51)
    expect(result.events.observed).toBe(10_000)
    expect(result.events.lost).toBe(0)
    const { insert, update, delete: deletes } = result.operations
    expect(insert + update + deletes).toBe(10_000)
    expect(insert / 10_000).toBeGreaterThan(0.6)
    expect(deletes).toBeGreaterThan(0)
    expect(result.rate.target).toBeCloseTo(2000, -1)
  })

  it("each interval line's target is what the schedule planned in the interval its sent counts", async () => {
    const { run, result } = await measure({
      source: { plugin: 'memory' },
      workers: 1,
      load: {
        stages: [
          { duration: '3s', rate: 200 },
          { duration: '3s', rate: 2000 },
        ],
      },
    })
    expect(run.code).toBe(0)
    const measured = result.intervals.filter((p) => p.phase === 'measure')
    expect(measured.length).toBeGreaterThanOrEqual(5)
    for (const p of measured) {
      // Before: the interval ending at the step showed target 2,000/s beside sent ~200/s.
      expect(Math.abs(p.targetRate - p.sentRate), JSON.stringify(p)).toBeLessThanOrEqual(
        0.15 * Math.max(p.targetRate, p.sentRate) + 20,
      )
    }
    const lines = run.stdout.split('\n').filter((l) => l.includes('| measure'))
    for (const line of lines) {
      const [, target, sent] = /target ([\d,.]+)\/s \| sent ([\d,.]+)\/s/.exec(line) ?? []
      const [t, s] = [Number(target?.replace(/,/g, '')), Number(sent?.replace(/,/g, ''))]
      expect(Math.abs(t - s), line).toBeLessThanOrEqual(0.15 * Math.max(t, s) + 20)
    }
  })

  it('records the seed it drew, and --seed with it repeats the operations and the losses exactly', async () => {
    const file = writeConfig({
      source: { plugin: 'memory', options: { loss: 0.1 } },
      sink: { plugin: 'memory' },
      workers: 2,
      load: { rate: 500, duration: '1s', drainTimeout: '1s' },
    })
    const first = path.join(path.dirname(file), 'first.json')
    const again = path.join(path.dirname(file), 'again.json')
    const one = await runCli(['run', '--config', file, '--out', first])
    const a = readResult(first)
    expect(Number.isInteger(a.seed)).toBe(true)
    expect(one.stdout).toContain(`seed ${a.seed} (--seed ${a.seed} repeats the plan)`)
    await runCli(['run', '--config', file, '--out', again, '--seed', String(a.seed)])
    const b = readResult(again)
    expect(b.seed).toBe(a.seed)
    expect(b.operations).toEqual(a.operations)
    expect(b.events.lost).toBe(a.events.lost)
    expect(a.events.lost).toBeGreaterThan(0)
  })

  it('a mix the key space cannot follow (deletes only) is said, not silently half inserts', async () => {
    const { result } = await measure({
      source: { plugin: 'memory' },
      workers: 1,
      load: { rate: 300, duration: '1s', mix: { delete: 1 } },
    })
    expect(result.operations.insert).toBeGreaterThan(100)
    expect(result.warnings.join('\n')).toMatch(
      /load\.mix asked for insert 0%, update 0%, delete 100%; the run did insert 50%, update 0%, delete 50% — [\d,]+ updates or deletes became inserts: no key was present to change/,
    )
  })

  it('duplicates, which no default check judges, are said beside the verdict', async () => {
    const { run, result } = await measure({
      source: { plugin: 'memory', options: { duplicate: 1 } },
      workers: 1,
      load: { rate: 200, duration: '1s' },
    })
    expect(run.code).toBe(0)
    expect(result.events.duplicates).toBe(200)
    expect(result.warnings.join('\n')).toMatch(
      /200 observations repeated an event already seen \(100\.0% of the events observed\); they are not counted as observed — add duplicates == 0 to slo/,
    )
  })

  it('with a duplicates SLO in the config, the warning does not suggest adding one', async () => {
    const { run, result } = await measure({
      source: { plugin: 'memory', options: { duplicate: 1 } },
      workers: 1,
      load: { rate: 200, duration: '1s' },
      slo: { duplicates: '== 0' },
    })
    expect(run.code).toBe(1)
    const warnings = result.warnings.join('\n')
    expect(warnings).toMatch(
      /200 observations repeated an event already seen \(100\.0% of the events observed\); they are not counted as observed/,
    )
    expect(warnings).not.toMatch(/add duplicates == 0/)
  })

  it('the default mix gives no such warning', async () => {
    const { result } = await measure({ source: { plugin: 'memory' }, load: { rate: 1000, duration: '1s' } })
    expect(result.warnings.join('\n')).not.toMatch(/load\.mix asked/)
  })

  it('a 1 s write stall in a 10 s run shows in e2e p99 (counted from intended times) and in lag', async () => {
    const { result } = await measure({
      source: { plugin: 'memory', options: { writeStall: { at: '4s', for: '1s' } } },
      load: { rate: 1000, duration: '10s', maxInFlight: 50 },
    })
    // A tenth of the operations wait out the stall: the slowest 1% waited at least ~0.9 s.
    expect(result.metrics.e2e.p99).toBeGreaterThanOrEqual(850)
    expect(result.metrics.e2e.max).toBeGreaterThanOrEqual(950)
    // With at most 50 writes in flight per worker, the schedule backs up: operations leave late.
    expect(result.metrics.lag.max).toBeGreaterThanOrEqual(850)
    expect(result.events.late).toBeGreaterThan(500)
    expect(result.events.lost).toBe(0)
    expect(result.plugins.source.stalledWrites).toBeGreaterThan(0)
  })

  it('counts exactly the loss, duplicates and reordering the pipeline injected', async () => {
    const { run, result } = await measure({
      source: { plugin: 'memory', options: { loss: 0.01, duplicate: 0.02, reorder: 0.05 } },
      load: { rate: 3000, duration: '4s', keys: 200, drainTimeout: '2s' },
      slo: { lost: '== 0' },
    })
    const injected = result.plugins.source
    expect(injected.dropped).toBeGreaterThan(50)
    expect(injected.duplicated).toBeGreaterThan(100)
    expect(injected.reordered).toBeGreaterThan(50)
    expect(result.events.lost).toBe(injected.dropped)
    expect(result.events.duplicates).toBe(injected.duplicated)
    expect(result.events.outOfOrder).toBe(injected.reordered)
    expect(run.code).toBe(1)
    expect(result.warnings.join('\n')).toMatch(/acknowledged events were not seen/)
  })

  it('passes with exit 0 when the SLOs hold, fails with exit 1 naming the failing check', async () => {
    const holds = await measure({
      source: { plugin: 'memory', options: { delay: '5ms' } },
      load: { rate: 500, duration: '2s' },
      slo: { 'e2e.p99': '< 500ms', lost: '== 0', throughput: '>= 400/s' },
    })
    expect(holds.run.code).toBe(0)
    expect(holds.result.slo.passed).toBe(true)
    expect(holds.run.stdout).toMatch(/✓ pass\s+e2e\.p99 < 500ms/)

    const fails = await measure({
      source: { plugin: 'memory', options: { delay: '30ms' } },
      load: { rate: 500, duration: '2s' },
      slo: { 'e2e.p50': '< 10ms', lost: '== 0' },
    })
    expect(fails.run.code).toBe(1)
    expect(fails.result.slo.checks.find((c) => c.expression === 'e2e.p50 < 10ms')).toMatchObject({
      passed: false,
    })
    expect(fails.run.stdout).toMatch(/✗ FAIL\s+e2e\.p50 < 10ms\s+actual 3\d\./)
    expect(fails.run.stdout).toMatch(/✓ pass\s+lost == 0/)
  })

  it('verifies the final state and reports mismatches when the pipeline reorders', async () => {
    const clean = await measure({
      source: { plugin: 'memory' },
      verify: { plugin: 'memory' },
      load: { rate: 1000, duration: '2s', keys: 300 },
      slo: { verified: '== 100%' },
    })
    expect(clean.result.verification?.checked).toBeGreaterThan(100)
    expect(clean.result.verification?.mismatched).toBe(0)
    expect(clean.run.code).toBe(0)

    // A change delivered after a newer one of its key leaves the older content at the target.
    const reordered = await measure({
      source: { plugin: 'memory', options: { reorder: 0.3 } },
      verify: { plugin: 'memory' },
      load: { rate: 1000, duration: '2s', keys: 100 },
      slo: { verified: '== 100%' },
    })
    expect(reordered.result.events.outOfOrder).toBeGreaterThan(0)
    expect(reordered.result.verification?.mismatched).toBeGreaterThan(0)
    expect(reordered.result.verification?.mismatches[0]).toMatchObject({
      problem: expect.stringMatching(/content|missing|unexpected/),
    })
    expect(reordered.run.code).toBe(1)
  })

  it('abortOnFail stops a run as soon as a latency SLO fails', async () => {
    const started = Date.now()
    const { run, result } = await measure({
      source: { plugin: 'memory', options: { delay: '100ms' } },
      load: { rate: 500, duration: '60s' },
      slo: { 'e2e.p50': '< 20ms' },
      abortOnFail: true,
    })
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(run.code).toBe(1)
    expect(result.status).toBe('failed')
    expect(result.reason).toMatch(/abortOnFail/)
    expect(result.measuredSeconds).toBeLessThan(10)
    expect(result.events.lost).toBe(0)
  })
})
