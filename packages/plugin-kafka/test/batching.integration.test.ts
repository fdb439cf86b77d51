import { describe, expect, it } from 'vitest'
import { brokers, runKafka, uniqueTopic } from './helpers.js'

// Issue #9, kind 9(b): each 1 MB record fits the broker's message.max.bytes
// (1,048,588 by default), but four of them lingering together do not. The
// source must split its produce requests by bytes, not only by count.
describe.skipIf(!brokers)('source batching by bytes', () => {
  it('sends 1 MB records that linger together as requests the broker accepts', async () => {
    const topic = uniqueTopic('bytes')
    const { result, logs } = await runKafka({
      // One partition: every lingering record would share one record batch.
      source: { topic, partitions: 1, deleteTopic: true, batch: { linger: '100ms' } },
      verify: false,
      workers: 1,
      load: { rate: 40, duration: '3s', payloadSize: 1_000_000, keys: 1000, drainTimeout: '30s', seed: 4 },
    })
    const { events } = result
    // Before the fix: 120 of 120 writes failed with MESSAGE_TOO_LARGE.
    expect(events.errors, `${JSON.stringify(result.errors)}\n${logs.join('\n')}`).toBe(0)
    expect(events.acked).toBe(120)
    expect(events.observed).toBe(120)
    expect(events.lost + events.corrupt).toBe(0)
  })
})
