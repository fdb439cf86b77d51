import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { memory } from '@cdcb/core'
import { checkPlugin } from '@cdcb/core/testing'
import { describe, expect, it } from 'vitest'

// checkPlugin runs real worker threads, which load the built runtime: npm test builds first.
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')
const queue = (flaw?: string) => ({ plugin: './queue-plugin.mjs', options: flaw ? { flaw } : {} })
const check = (flaw?: string, sinkFlaw = flaw) =>
  checkPlugin({
    source: queue(flaw),
    sink: queue(sinkFlaw),
    verify: queue(flaw),
    root,
    // The late sink attaches 400ms after start(): a longer run still sees it catch up on a loaded machine.
    duration: flaw === 'late-start' ? '3s' : '1s',
    rate: 200,
    keys: 20,
    drainTimeout: '2s',
  })

describe('checkPlugin (the plugin conformance kit)', () => {
  it('passes a clean plugin, having checked everything', async () => {
    const report = await check()
    expect(report.failures).toEqual([])
    expect(report.unchecked).toEqual([])
    expect(report.result.events.observed).toBe(200)
    expect(report.result.verification?.checked).toBe(20)
  }, 60_000)

  // Each deliberately broken plugin must fail for its own reason, and for that reason only.
  it.each([
    [
      'ms-stamps',
      /^\d+ committedAt stamps are in milliseconds, not epoch microseconds, e\.g\. seq \d+: \d+$/,
    ],
    [
      'offset',
      /^\d+ committedAt stamps have an implausible offset, e\.g\. seq \d+ committed -60m00s from its intended time/,
    ],
    [
      'negative',
      /^\d+ committedAt stamps are before the change was written \(negative end-to-end samples\), e\.g\. seq \d+: -2\.00ms/,
    ],
    ['future', /^\d+ committedAt stamps are after the sink saw the change \(negative detection samples\)/],
    ['phantom', /^2 observations name seqs the run never wrote, e\.g\. seq 100000[01]/],
    [
      'reorder',
      /^\d+ events arrived after a later change of the same key: events were reordered within a key/,
    ],
    [
      'late-start',
      /^the sink was not ready when start\(\) resolved: the \d+ events written in the first \d+(\.\d+)?ms after it were never seen, every later one was/,
    ],
    ['blind-verifier', /^the verifier did not notice that key \d+ was changed behind its back \(tamper\)/],
    ['leaky', /^teardown left 1 objects of the run behind \(source\), e\.g\. cdcb-kit-fixture-\w+-source/],
  ])(
    'fails a plugin with the flaw %s, saying so',
    async (flaw, sentence) => {
      const report = await check(flaw)
      expect(report.passed).toBe(false)
      expect(report.failures[0]).toMatch(sentence)
      // A leaky plugin leaks once per slot it prepared. Besides that, the only other failure allowed is
      // the final state the flaw caused: a reordering sink applies stale changes last, a late one misses
      // the last change of a key that changed only before it caught up.
      const others = report.failures.slice(1)
      if (flaw === 'leaky') expect(others).toHaveLength(2)
      else if (flaw === 'reorder' || flaw === 'late-start')
        for (const other of others)
          expect(other).toMatch(/^\d+ of \d+ keys differ from the expected final state/)
      else expect(others, report.failures.join('\n')).toEqual([])
    },
    60_000,
  )

  it('says what it could not check when the optional hooks are missing', async () => {
    const report = await checkPlugin({
      source: memory({ delay: '2ms' }),
      sink: memory(),
      verify: memory(),
      duration: '1s',
      keys: 200,
    })
    expect(report.failures).toEqual([])
    expect(report.unchecked).toEqual([
      'could not check that the verifier notices a changed row: verifier "memory" has no tamper(key) hook',
    ])

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
    // The probe names the unit; the runtime's below-zero count would say the same less precisely.
    expect(report.failures.join('\n')).toMatch(
      /300 committedAt stamps are in milliseconds, not epoch microseconds/,
    )
  }, 60_000)

  it("fails stamps from a clock 5 ms behind cdcb's, that the sink did not declare as that coarse", async () => {
    const report = await checkPlugin({
      source: { plugin },
      sink: { plugin, options: { behindMs: 5 } },
      duration: '1s',
      keys: 200,
    })
    expect(report.failures.join('\n')).toMatch(
      /committedAt stamps are before the change was written \(negative end-to-end samples\), e\.g\. seq \d+: -[45]\.\d+ms/,
    )
  }, 60_000)
})
