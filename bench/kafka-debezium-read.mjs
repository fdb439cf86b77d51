import './node24.mjs'
// Issue 11, cdcb's own share of a Debezium pipeline: how fast the Kafka sink's
// Debezium format reads JSON-converter records with schemas (Debezium's default
// envelope, ~2 KB each), against a bare consumer loop of the same client on the
// same topic that only counts records. Same consumer settings for both; runs
// alternate (bare, cdcb, bare, cdcb …) so drift in the machine's load hits both.
// Target: ≥ 50,000 records/s per worker.
// Usage: node bench/kafka-debezium-read.mjs [records, default 200000] [rounds, default 2]
import { digestOf, payloadFor } from '@cdcb/core'
import plugin, { createDecoder, createEncoder } from '@cdcb/plugin-kafka'
import kafkajs from 'kafkajs'
import { up } from '../services/index.mjs'
import { createTopic, median } from './kafka-lib.mjs'

const records = Number(process.argv[2] ?? 200_000)
const rounds = Number(process.argv[3] ?? 2)
const { Kafka, logLevel } = kafkajs
const runId = 'benchrun'

const kafka = await up('kafka')
const brokers = kafka.address
const topic = await createTopic(brokers, 'bench-dbz-read', 1)
const parsed = await plugin.options['~standard'].validate({
  brokers,
  topic,
  format: 'debezium',
  debezium: { schema: true },
})
if (parsed.issues) throw new Error(parsed.issues[0].message)
const options = parsed.value
const context = { runId, shard: 0, shards: 1, parseMarker: () => undefined }

// Fill the topic once with what Debezium's JSON converter writes for cdcb's table.
const client = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING })
const producer = client.producer()
await producer.connect()
const encode = createEncoder(options, context)
let size = 0
for (let seq = 0; seq < records; ) {
  const batch = []
  for (let i = 0; i < 200 && seq < records; i++, seq++) {
    const payload = payloadFor(1, seq, 100)
    const message = encode(
      { seq, key: seq, kind: 'insert', intendedAt: 1.7e15 + seq },
      payload,
      digestOf(payload),
      0,
    )
    size = message.value.length
    batch.push(message)
  }
  await producer.send({ topic, messages: batch, acks: 1 })
}
await producer.disconnect()
console.log(`topic ${topic}: ${records} Debezium records with schema, ${size} bytes each`)

/** Reads the whole topic once; `each` sees every record. Returns records/s. */
async function readAll(label, each) {
  const consumer = client.consumer({ groupId: `bench-${label}-${Math.random()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let seen = 0
  let started = 0
  const done = new Promise((resolve) => {
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (started === 0) started = performance.now()
        for (const message of batch.messages) each(message)
        seen += batch.messages.length
        if (seen >= records) resolve(performance.now())
      },
    })
  })
  const ended = await done
  await consumer.disconnect()
  return (records / (ended - started)) * 1000
}

const decode = createDecoder(options, context)
let decoded = 0
const bare = []
const cdcb = []
for (let round = 0; round < rounds; round++) {
  bare.push(await readAll('bare', () => {}))
  cdcb.push(
    await readAll('cdcb', (message) => {
      if (decode(message)?.seq !== undefined) decoded++
    }),
  )
}
const admin = client.admin()
await admin.connect()
await admin.deleteTopics({ topics: [topic] })
await admin.disconnect()
if (decoded !== records * rounds) throw new Error(`decoded ${decoded} of ${records * rounds} records`)
const b = median(bare)
const c = median(cdcb)
console.log(`bare consumer loop: ${Math.round(b)} records/s (runs: ${bare.map(Math.round).join(', ')})`)
console.log(`cdcb Debezium sink: ${Math.round(c)} records/s (runs: ${cdcb.map(Math.round).join(', ')})`)
console.log(
  `ratio cdcb / bare: ${(c / b).toFixed(2)}; target ≥ 50,000 records/s: ${c >= 50_000 ? 'met' : 'NOT met'}`,
)
