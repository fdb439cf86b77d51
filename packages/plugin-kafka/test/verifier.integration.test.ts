import { checkPlugin } from '@cdcb/core/testing'
import { describe, expect, it } from 'vitest'
import { kafka } from '../src/index.js'
import { brokers, runKafka, uniqueTopic } from './helpers.js'

describe.skipIf(!brokers)('kafka verifier and conformance', () => {
  it('passes core’s conformance check with source, sink and verifier on one topic', async () => {
    const topic = uniqueTopic('conformance')
    const options = { brokers, topic, partitions: 4, deleteTopic: true }
    const report = await checkPlugin({ source: kafka(options), sink: kafka(options), verify: kafka(options) })
    expect(report.failures).toEqual([])
    expect(report.result.verification?.checked).toBeGreaterThan(0)
  })

  it('reports each key whose last change never reached the topic as missing, with its key and seq', async () => {
    const topic = uniqueTopic('verify')
    // Inserts only, on a large key space: every operation creates its own key,
    // so each skipped send leaves exactly one key without its row.
    const skipped = [10, 21, 33]
    const { result } = await runKafka({
      source: { topic, partitions: 3, deleteTopic: true, testing: { skipSeqs: skipped } },
      load: { rate: 500, duration: '2s', keys: 100_000, mix: { insert: 1 }, drainTimeout: '2s', seed: 9 },
    })
    expect(result.events.lost).toBe(3)
    const verification = result.verification!
    expect(verification.checked).toBe(1000)
    expect(verification.mismatched).toBe(3)
    expect(verification.mismatches.map((m) => m.problem)).toEqual(['missing', 'missing', 'missing'])
    const seqs = verification.mismatches.map((m) =>
      Number(/expected seq (\d+), no record/.exec(m.detail!)?.[1]),
    )
    expect(seqs.sort((a, b) => a - b)).toEqual(skipped)
  })
})
