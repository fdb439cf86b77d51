import { RunControl, resolveConfig, runBenchmark, toJunit } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'

// Found by a fresh user: Ctrl-C 3 s into a 20 s run (exit 130) left slo.passed: true in the JSON and
// tests="3" failures="0" in the JUnit file, so a CI reader saw a green run that never finished.
describe('an interrupted run', () => {
  it('never reads as passed: slo.passed is false with the reason, and JUnit has an error for the run', async () => {
    const config = await resolveConfig({
      name: 'cut',
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 200, duration: '20s', warmup: '0s' },
      slo: { 'e2e.p99': '< 10s', lost: '== 0', observed: '> 0' },
    })
    const control = new RunControl()
    const timer = setTimeout(() => control.stop('interrupted', 'SIGINT'), 1500)
    const result = await runBenchmark(config, { reporters: [], control }).finally(() => clearTimeout(timer))
    expect(result.status).toBe('interrupted')
    expect(result.exitCode).toBe(130)
    // What it measured is still judged; the run as a whole did not pass.
    expect(result.slo.checks.find((c) => c.expression === 'e2e.p99 < 10s')?.status).toBe('passed')
    expect(result.slo.passed).toBe(false)
    expect(result.slo.note).toMatch(/^interrupted \(Ctrl-C\) after [\d.]+s of 20s: the run did not finish/)

    const xml = toJunit(result)
    const judged = result.slo.checks.length
    const skipped = result.slo.checks.filter((c) => c.status === 'skipped').length
    expect(xml).toContain(
      `<testsuite name="cut" tests="${judged + 1}" failures="0" errors="1" skipped="${skipped}"`,
    )
    expect(xml).toContain(
      '<testcase classname="cdcb.run" name="the run completed">\n      <error message="interrupted (Ctrl-C): partial results"/>',
    )
  })
})
