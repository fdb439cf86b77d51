/** Several queues per source (`queues`): keys spread over them, every queue read, owned queues removed. */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { endpoint, queuesNamed, runSqs } from './helpers.js'

/** A prefix no other test uses: every queue of the test starts with it. */
function prefix(what: string): string {
  return `cdcb-test-mq-${what}-${randomBytes(3).toString('hex')}`
}

describe.skipIf(!endpoint)('sqs source over several queues → ElasticMQ → sqs sink', () => {
  it('queues: 4 on standard queues: every operation delivered once, spread over all four, all four deleted after', async () => {
    const base = prefix('std')
    const { result, logs } = await runSqs({
      source: { queue: base, queues: 4 },
      load: { rate: 400, duration: '3s', keys: 2000, drainTimeout: '30s', seed: 7 },
    })
    const { events } = result
    expect(events.errors, logs.join('\n')).toBe(0)
    expect(events.sent).toBe(1200)
    expect(events.observed).toBe(1200)
    expect(events.lost).toBe(0)
    expect(events.duplicates).toBe(0)
    const names = [1, 2, 3, 4].map((i) => `${base}-${i}`)
    for (const name of names) expect(logs).toContain(`sqs: created queue ${name}`)
    const source = result.plugins.source!
    // The run's queues, not one count per worker (core sums stats over the 2 workers).
    expect(source.queues).toBe(4)
    expect(result.plugins.sink?.queues).toBe(4)
    const perQueue = names.map((name) => source[`sent.${name}`] ?? -1)
    expect(perQueue.reduce((a, b) => a + b, 0)).toBe(1200)
    // 2,000 keys by key mod 4: each queue carries about a quarter.
    for (const n of perQueue) expect(n).toBeGreaterThan(1200 * 0.15)
    expect(result.plugins.sink?.deleted).toBe(1200)
    expect(result.verification?.mismatched).toBe(0)
    expect(await queuesNamed(base)).toEqual([])
  })

  it('a list of FIFO queues: each key stays in one queue and in order across workers and receivers', async () => {
    const base = prefix('fifo')
    const names = ['a', 'b', 'c'].map((q) => `${base}-${q}.fifo`)
    const { result, logs } = await runSqs({
      source: { queues: names },
      sink: { receivers: 2 },
      // Few keys at a high rate: many changes of one key are in a queue at once.
      load: { rate: 300, duration: '3s', keys: 20, drainTimeout: '30s', seed: 5 },
    })
    const { events } = result
    expect(events.errors, logs.join('\n')).toBe(0)
    expect(events.observed).toBe(900)
    expect(events.lost).toBe(0)
    expect(events.duplicates).toBe(0)
    expect(events.outOfOrder).toBe(0)
    for (const name of names) expect(result.plugins.source?.[`sent.${name}`]).toBeGreaterThan(0)
    expect(result.verification?.mismatched).toBe(0)
    expect(await queuesNamed(base)).toEqual([])
  })

  it('one key goes to one queue only; the verifier finds what was left in any of the queues', async () => {
    const base = prefix('onekey')
    const { result } = await runSqs({
      source: { queue: base, queues: 3 },
      sink: { visibilityTimeout: '2s', testing: { sinkIgnoreSeqs: [5, 25] } },
      load: { rate: 50, duration: '1s', keys: 1, drainTimeout: '3s', seed: 1 },
      workers: 1,
    })
    const sent = [1, 2, 3].map((i) => result.plugins.source?.[`sent.${base}-${i}`])
    // Every change of the single key went to the same queue, the others got none.
    expect(sent.filter((n) => n === 50)).toHaveLength(1)
    expect(sent.filter((n) => n === 0)).toHaveLength(2)
    expect(result.events.lost).toBe(2)
    expect(result.verification?.mismatched).toBe(1)
    expect(await queuesNamed(base)).toEqual([])
  })
})
