import { Admin, Consumer } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { PartitionReader } from '../src/reader.js'
import { brokers, testProducer, uniqueTopic } from './helpers.js'

describe.skipIf(!brokers)('reading partitions by assignment', () => {
  it('gives LogAppendTime (the broker’s append time), not the producer’s timestamp, and reads from the offset asked', async () => {
    const topic = uniqueTopic('reader')
    const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-test' })
    const producer = testProducer()
    const consumer = new Consumer({ bootstrapBrokers: [brokers], clientId: 'cdcb-test', groupId: 'unused' })
    try {
      await admin.createTopics({
        topics: [topic],
        partitions: 2,
        replicas: -1,
        configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
      })
      // The producer stamps its records an hour ago; the topic's LogAppendTime must win.
      const anHourAgo = BigInt(Date.now() - 3_600_000)
      const send = (from: number) =>
        producer.send({
          messages: Array.from({ length: 5 }, (_, i) => ({
            topic,
            partition: 1,
            key: `k${from + i}`,
            value: `v${from + i}`,
            timestamp: anHourAgo,
          })),
        })
      await send(0)
      const before = Date.now()
      const seen: { value: string; timestamp: number; partition: number; offset: number }[] = []
      const reader = new PartitionReader(
        consumer,
        [
          { topic, partition: 0, offset: 0n },
          { topic, partition: 1, offset: 3n },
        ],
        (record, timestamp, _topic, partition, offset) =>
          seen.push({ value: String(record.value), timestamp, partition, offset }),
        { maxWaitMs: 100, log: () => {}, what: 'test' },
      )
      await reader.start()
      await send(5)
      for (let i = 0; i < 100 && seen.length < 7; i++) await new Promise((r) => setTimeout(r, 50))
      reader.stop()
      // Offsets 3 and 4 of the first send, then the five of the second; nothing before offset 3.
      expect(seen.map((s) => s.value)).toEqual(['v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9'])
      expect(seen.map((s) => s.offset)).toEqual([3, 4, 5, 6, 7, 8, 9])
      for (const s of seen) {
        expect(s.partition).toBe(1)
        expect(s.timestamp).toBeGreaterThan(before - 60_000)
        expect(s.timestamp).toBeLessThanOrEqual(Date.now())
      }
      expect(reader.position(topic, 1)).toBe(10n)
    } finally {
      await consumer.close(true)
      await producer.close()
      await admin.deleteTopics({ topics: [topic] }).catch(() => {})
      await admin.close()
    }
  })
})
