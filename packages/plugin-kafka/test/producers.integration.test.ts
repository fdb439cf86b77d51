import { decodeMarker } from '@cdcb/core'
import { Admin, Consumer } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { partitionOf } from '../src/partitioner.js'
import { PartitionReader } from '../src/reader.js'
import { brokers, runKafka, uniqueTopic } from './helpers.js'

const PARTITIONS = 6

/** Every record of `topic` as (partition, key, seq), in offset order per partition; waits for `count` of them. */
async function readBack(topic: string, count: number) {
  const consumer = new Consumer({ bootstrapBrokers: [brokers], clientId: 'cdcb-test', groupId: 'unused' })
  const records: { partition: number; key: string; seq: number }[] = []
  const reader = new PartitionReader(
    consumer,
    Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0n })),
    (record, _timestamp, _topic, partition) => {
      const value = String(record.value)
      const marker = decodeMarker(/^\{"cdcb":"([^"]+)"/.exec(value)![1]!)!
      records.push({ partition, key: String(record.key), seq: marker.seq })
    },
    { maxWaitMs: 100, log: () => {}, what: 'test' },
  )
  try {
    await reader.start()
    for (let i = 0; i < 400 && records.length < count; i++) await new Promise((r) => setTimeout(r, 50))
  } finally {
    reader.stop()
    await consumer.close(true)
  }
  return records
}

describe.skipIf(!brokers)('a source with several producers', () => {
  it('keeps each key in its partition and in order while its writes overlap across producers', async () => {
    const topic = uniqueTopic('producers')
    const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-test' })
    try {
      // Few keys and many writers: most writes find an earlier change of their key still in flight.
      const { result, logs } = await runKafka({
        source: { topic, partitions: PARTITIONS, producers: 3 },
        workers: 1,
        load: { concurrency: 512, duration: '3s', keys: 12, drainTimeout: '20s', seed: 11 },
      })
      const { events } = result
      expect(events.errors, logs.join('\n')).toBe(0)
      expect(events.sent).toBeGreaterThan(1000)
      expect(events.duplicates).toBe(0)
      expect(events.outOfOrder).toBe(0)
      expect(result.verification?.mismatched, JSON.stringify(result.verification?.mismatches)).toBe(0)

      const records = await readBack(topic, result.plugins.source!.records!)
      expect(records.length).toBe(result.plugins.source!.records)
      const partitionOfKey = new Map<string, number>()
      const lastSeq = new Map<string, number>()
      for (const { partition, key, seq } of records) {
        // The partition the Java producer would pick, the same for every change of the key.
        expect(partition, `key ${key}`).toBe(partitionOf(key, PARTITIONS))
        partitionOfKey.set(key, partition)
        expect(seq, `key ${key}`).toBeGreaterThan(lastSeq.get(key) ?? -1)
        lastSeq.set(key, seq)
      }
      // The keys spread over the partitions, hence over all three producers (partition % 3).
      expect(new Set([...partitionOfKey.values()].map((p) => p % 3)).size).toBe(3)
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {})
      await admin.close()
    }
  })
})
