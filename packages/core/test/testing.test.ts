import { memory } from '@cdcb/core'
import { checkPlugin } from '@cdcb/core/testing'
import { describe, expect, it } from 'vitest'

// checkPlugin runs real worker threads, which load the built runtime: npm test builds first.
describe('checkPlugin (the plugin conformance check)', () => {
  it('passes a clean pipeline and names each fault of a faulty one', async () => {
    const clean = await checkPlugin({
      source: memory({ delay: '2ms' }),
      sink: memory(),
      verify: memory(),
      duration: '1s',
      keys: 200,
    })
    expect(clean.failures).toEqual([])
    expect(clean.result.events.observed).toBe(300)

    const faulty = await checkPlugin({
      source: memory({ loss: 0.05, duplicate: 0.05 }),
      sink: memory(),
      duration: '1s',
      drainTimeout: '1s',
    })
    expect(faulty.passed).toBe(false)
    expect(faulty.failures.join('\n')).toMatch(/acknowledged events were never observed/)
    expect(faulty.failures.join('\n')).toMatch(/observed more than once/)
  }, 60_000)
})

describe('checkPlugin on a sink whose stamps cannot be latencies', () => {
  const plugin = new URL('./fixtures/millisecond-stamps-plugin.mjs', import.meta.url).pathname

  it('fails stamps in the wrong unit (milliseconds for microseconds), naming what it saw', async () => {
    const report = await checkPlugin({
      source: { plugin },
      sink: { plugin },
      duration: '1s',
      keys: 200,
    })
    expect(report.passed).toBe(false)
    expect(report.failures.join('\n')).toMatch(/300 end-to-end samples were below zero.*wrong unit/)
  }, 60_000)

  it("fails stamps from a clock 5 ms behind cdcb's, that the sink did not declare as that coarse", async () => {
    const report = await checkPlugin({
      source: { plugin },
      sink: { plugin, options: { behindMs: 5 } },
      duration: '1s',
      keys: 200,
    })
    expect(report.failures.join('\n')).toMatch(/end-to-end samples were below zero/)
  }, 60_000)
})
