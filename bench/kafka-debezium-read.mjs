// Issue #16 (for the Kafka Connect/Debezium pipeline of issue #11): how fast one
// worker's Kafka sink reads Debezium change events (JSON converter WITH schemas,
// the largest layout) against a bare read loop of the same client on the same topic.
//   bare fetch loop   the plugin's partition reader (@platformatic/kafka Fetch
//                     requests), counting records and nothing else: the client's floor
//   client stream     @platformatic/kafka's own MessagesStream, counting records
//   cdcb sink         the same reader feeding the sink's per-record code (decode
//                     the envelope, check the digest, observe), as in a run
// The topic is filled first (cdcb's Debezium encoder, 100-byte payloads as the
// PostgreSQL source writes, an insert/update/delete mix); every reader then reads
// it from offset 0 to the end. Target: cdcb sink >= 50,000 records/s per worker.
// The rounds rotate the order; the topic is deleted at the end.
// The defaults finish in about a minute on a quiet machine.
// Usage: node bench/kafka-debezium-read.mjs [records, default 200000] [rounds, default 3] [partitions, default 4]
import './node24.mjs'
import { digestOf, payloadFor } from '@cdcb/core'
import { Consumer, Producer, stringSerializers } from '@platformatic/kafka'
import { createEncoder } from '../packages/plugin-kafka/dist/formats.js'
import { optionsSchema } from '../packages/plugin-kafka/dist/options.js'
import { PartitionReader } from '../packages/plugin-kafka/dist/reader.js'
import { createKafkaSink } from '../packages/plugin-kafka/dist/sink.js'
import { createTopic, median, withKafka } from './kafka-lib.mjs'

const records = Number(process.argv[2] ?? 200_000)
const rounds = Number(process.argv[3] ?? 3)
const partitions = Number(process.argv[4] ?? 4)
const payloadSize = 100
const runId = 'deb12345'

await withKafka(async (brokers) => {
  const topic = await createTopic(brokers, 'bench-debezium', partitions)
  const options = optionsSchema.parse({
    brokers,
    topic,
    format: 'debezium',
    debezium: { schema: true },
  })
  const context = {
    runId,
    shard: 0,
    shards: 1,
    seed: 1,
    payloadSize,
    keys: 100_000,
    startedAt: () => Date.now() * 1e3,
    signal: new AbortController().signal,
    payload: (seq) => payloadFor(1, seq, payloadSize),
    digest: (seq) => digestOf(payloadFor(1, seq, payloadSize)),
    log: (m) => console.log(m),
  }

  // Fill the topic.
  const encode = createEncoder(options, context)
  const producer = new Producer({
    clientId: 'bench-fill',
    bootstrapBrokers: [brokers],
    serializers: stringSerializers,
    acks: 1,
  })
  const filled = Date.now()
  let bytes = 0
  const kinds = ['insert', 'update', 'update', 'delete']
  for (let from = 0; from < records; from += 2000) {
    const batch = []
    for (let seq = from; seq < Math.min(records, from + 2000); seq++) {
      const kind = kinds[seq % kinds.length]
      const payload = kind === 'delete' ? '' : context.payload(seq)
      const record = encode(
        { seq, key: seq % 100_000, kind, intendedAt: Date.now() * 1e3 },
        payload,
        kind === 'delete' ? '' : digestOf(payload),
        Date.now() * 1e3,
      )
      bytes += record.value.length + record.key.length
      batch.push(record)
    }
    await producer.send({ messages: batch })
  }
  await producer.close()
  console.log(
    `filled ${topic}: ${records} Debezium events with schema, ${Math.round(bytes / records)} B each, in ${((Date.now() - filled) / 1000).toFixed(1)} s`,
  )

  const starts = Array.from({ length: partitions }, (_, partition) => ({ topic, partition, offset: 0n }))
  /** Reads the whole topic with `read(consumer, onRecord)`; resolves with records/s. */
  const timed = async (name, read) => {
    const consumer = new Consumer({
      clientId: 'bench-read',
      bootstrapBrokers: [brokers],
      groupId: `bench-${name}`,
    })
    await consumer.metadata({ topics: [topic] })
    let count = 0
    let done
    const finished = new Promise((resolve) => {
      done = resolve
    })
    const started = performance.now()
    const stop = await read(consumer, () => {
      if (++count === records) done()
    })
    await finished
    const rate = records / ((performance.now() - started) / 1000)
    await stop()
    await consumer.close(true)
    return rate
  }
  const contenders = {
    'bare fetch loop': () =>
      timed('bare', async (consumer, onRecord) => {
        const reader = new PartitionReader(consumer, starts, onRecord, {
          maxWaitMs: 100,
          log: console.log,
          what: 'bare',
        })
        await reader.start()
        return async () => reader.stop()
      }),
    'client stream': () =>
      timed('stream', async (consumer, onRecord) => {
        const stream = await consumer.consume({
          topics: [topic],
          mode: 'earliest',
          autocommit: false,
          maxWaitTime: 100,
        })
        stream.on('data', onRecord)
        return () => stream.close()
      }),
    'cdcb sink': () =>
      timed('sink', async (consumer, onRecord) => {
        // The sink's own per-record code (private in TypeScript, reached here on purpose):
        // decode the envelope, check the digest, observe; the observer does nothing.
        const sink = createKafkaSink(options, context)
        sink.observer = { observe() {}, corrupt() {} }
        const reader = new PartitionReader(
          consumer,
          starts,
          (record, timestamp) => {
            sink.onRecord(record, timestamp)
            onRecord()
          },
          { maxWaitMs: 100, log: console.log, what: 'sink' },
        )
        await reader.start()
        return async () => {
          reader.stop()
          const c = sink.counts
          if (c.corrupt + c.foreign > 0)
            console.log(`  sink: ${c.corrupt} corrupt, ${c.foreign} foreign (expected 0)`)
        }
      }),
  }
  const names = Object.keys(contenders)
  const rates = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length])
    const line = []
    for (const name of order) {
      rates[name].push(await contenders[name]())
      line.push(`${name} ${Math.round(rates[name].at(-1))}/s`)
    }
    console.log(`round ${round + 1}: ${line.join(', ')}`)
  }
  const m = Object.fromEntries(names.map((n) => [n, median(rates[n])]))
  console.log('')
  console.log(`medians of ${rounds} rounds, one reader (one worker), ${partitions} partitions:`)
  for (const n of names) console.log(`  ${n.padEnd(16)} ${Math.round(m[n])} records/s`)
  console.log(`cdcb sink / bare fetch loop: ${(m['cdcb sink'] / m['bare fetch loop']).toFixed(3)}`)
  const met = m['cdcb sink'] >= 50_000 ? 'met' : 'NOT met'
  console.log(`cdcb sink: ${Math.round(m['cdcb sink'])} records/s per worker (target >= 50,000: ${met})`)
})
