/**
 * Windowed SLOs through the real runtime (worker threads, memory pipeline):
 * a one-second pipeline stall inside one window fails that window, named,
 * while the same statistic over the whole run holds.
 */
import type { UserConfig } from '@cdcb/core'
import { resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'

describe('windowed SLOs', () => {
  it('a stall inside one window names that window failing while the whole run holds', async () => {
    const config = await resolveConfig({
      // Schedule time 5s–6s is measured time 4s–5s: inside the window 3s–6s.
      source: { plugin: 'memory', options: { delay: '5ms', pipelineStall: { at: '5s', for: '1s' } } },
      sink: { plugin: 'memory' },
      workers: 2,
      load: { rate: 400, duration: '12s', warmup: '1s', keys: 100, drainTimeout: '5s' },
      // Events written in the stall's first 0.75 s wait over 250 ms: a quarter of
      // the window 3s–6s, but 6 % of the run, under the 10 % a p90 lets through.
      slo: [
        'e2e.p90 < 250ms',
        'e2e.p90[3s] < 250ms',
        'errors[3s] < 1%',
        'throughput[3s] >= 350/s',
        'lost == 0',
      ],
      reporters: [],
    } satisfies UserConfig)
    const result = await runBenchmark(config)
    const check = (expression: string) => result.slo.checks.find((c) => c.expression === expression)!

    expect(check('e2e.p90 < 250ms')).toMatchObject({ status: 'passed' })
    const windowed = check('e2e.p90[3s] < 250ms')
    expect(windowed).toMatchObject({ status: 'failed', passed: false })
    expect(windowed.windows).toMatchObject({ seconds: 3, count: 4, failed: 1, lastPartial: false, noData: 0 })
    expect(windowed.windows!.failing).toEqual([{ start: 3, end: 6, actual: expect.any(Number) }])
    expect(windowed.windows!.failing[0]!.actual).toBeGreaterThan(500)
    expect(windowed.note).toMatch(/^failed in 1 of 4 windows of 3s: 3s–6s: \d/)
    expect(check('errors[3s] < 1%')).toMatchObject({ status: 'passed', note: 'held in all 4 windows of 3s' })
    // The stall's backlog clears inside its own window: every window delivered about the rate.
    const throughput = check('throughput[3s] >= 350/s')
    expect(throughput).toMatchObject({ status: 'passed', windows: { count: 4, failed: 0 } })
    expect(throughput.actual).toBeGreaterThan(350)
    expect(throughput.actual).toBeLessThan(450)
    expect(result.status).toBe('failed')
  }, 60_000)

  it('abortOnFail stops the run once a window failed, and judges the windows up to the stop', async () => {
    const config = await resolveConfig({
      source: { plugin: 'memory', options: { delay: '5ms', pipelineStall: { at: '3s', for: '1s' } } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 200, duration: '30s', warmup: '1s', keys: 100, drainTimeout: '5s' },
      slo: ['e2e.max[2s] < 500ms'],
      abortOnFail: true,
      reporters: [],
    } satisfies UserConfig)
    const result = await runBenchmark(config)
    const [check] = result.slo.checks
    // The stall is in measured 2s–3s; the window 2s–4s closes once the load ran past 4 s.
    expect(result.reason).toMatch(/abortOnFail/)
    expect(result.measuredSeconds).toBeGreaterThan(4)
    expect(result.measuredSeconds).toBeLessThan(15)
    expect(check!.windows!.failing[0]).toMatchObject({ start: 2, end: 4 })
    expect(check!.windows!.count).toBe(Math.ceil(result.measuredSeconds / 2))
  }, 60_000)
})
