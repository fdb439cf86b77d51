import { decodeMarker, digestOf, type Observer, type PluginContext } from '@cdcb/core'
import { Admin } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { createEncoder } from '../src/formats.js'
import { optionsSchema } from '../src/options.js'
import { createKafkaSink } from '../src/sink.js'
import { brokers, testProducer, uniqueTopic } from './helpers.js'

const RUN = 'ab12cd34'

describe.skipIf(!brokers)('the sink on a topic the pipeline creates later', () => {
  it('starts without it, and reads it from its first record once it appears (Debezium creates topics with the first change)', async () => {
    const topic = uniqueTopic('later')
    const options = optionsSchema.parse({ brokers, topic, createTopic: false, committedAt: 'observed' })
    const logs: string[] = []
    const context = {
      runId: RUN,
      shard: 0,
      shards: 1,
      parseMarker: (text: string) => {
        const marker = decodeMarker(text)
        return marker?.runId === RUN ? marker : undefined
      },
      log: (m: string) => void logs.push(m),
    } as unknown as PluginContext
    const seen: number[] = []
    const observer = {
      observe: (seq: number) => void seen.push(seq),
      corrupt: () => {},
    } as unknown as Observer
    const sink = createKafkaSink(options, context)
    const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-test' })
    const producer = testProducer()
    try {
      await sink.start(observer)
      expect(logs.join('\n')).toMatch(/does not exist yet/)
      await admin.createTopics({ topics: [topic], partitions: 3, replicas: -1 })
      const encode = createEncoder(options, context)
      const payload = 'p-1'
      await producer.send({
        messages: Array.from({ length: 30 }, (_, seq) => {
          const r = encode(
            { seq, key: seq, kind: 'insert', intendedAt: Date.now() * 1e3 },
            payload,
            digestOf(payload),
            0,
          )
          return { topic, key: r.key, value: r.value! }
        }),
      })
      for (let i = 0; i < 200 && seen.length < 30; i++) await new Promise((r) => setTimeout(r, 50))
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i))
    } finally {
      await sink.stop?.()
      await producer.close()
      await admin.deleteTopics({ topics: [topic] }).catch(() => {})
      await admin.close()
    }
  })
})
