// The baseline for bench/kafka-source-throughput.mjs: a plain producer loop of
// one client (@platformatic/kafka, which cdcb uses, or kafkajs, which it used)
// with the settings the cdcb Kafka source uses (acks=all, no compression,
// Java-compatible partitioner), `concurrency` writers each sending
// one keyed record and waiting for its acknowledgement, like cdcb's closed model.
// Modes: "identical" writes the very records the cdcb source writes (cdcb
// format: marker + a payload derived from (seed, seq) with core's payloadFor and
// digestOf) and batches as the source does (at most `inFlight` produce requests
// outstanding, records that arrive meanwhile share the next request);
// "constant" batches the same way but sends one preallocated value (no payload
// generation); "naive" sends the constant value, one produce request per record.
// With @platformatic/kafka, `producers` > 1 spreads keys over that many producers (key % producers,
// so a key always goes through one of them), each on its own connection with its own batching;
// `idempotent` makes them idempotent, which the client limits to one request in flight each.
// Usage: node bench/kafka-raw-producer.mjs <brokers> <topic> <concurrency> <warmup s> <seconds> <value bytes> <mode> [client: platformatic | kafkajs] [producers, default 1] [idempotent: true | false, default false]
// Prints one JSON line: { acked, seconds, rate }.
import './node24.mjs'
import { digestOf, payloadFor } from '@cdcb/core'

const [
  brokers,
  topic,
  concurrencyArg,
  warmupArg,
  secondsArg,
  sizeArg,
  mode = 'identical',
  client = 'platformatic',
  producersArg = '1',
  idempotentArg = 'false',
] = process.argv.slice(2)
const producers = Number(producersArg)
const idempotent = idempotentArg === 'true'
const concurrency = Number(concurrencyArg)
const warmupMs = Number(warmupArg) * 1000
const measureMs = Number(secondsArg) * 1000
const value = Buffer.alloc(Number(sizeArg), 'x')
const constant = client === 'kafkajs' ? value : value.toString()
const inFlight = idempotent ? 1 : 5

/** `send(messages)` resolves when the batch is acknowledged; `close()` disconnects. */
async function connect() {
  if (client === 'kafkajs') {
    const { default: kafkajs } = await import('kafkajs')
    const { Kafka, Partitioners, logLevel, CompressionTypes } = kafkajs
    const kafka = new Kafka({
      clientId: 'raw',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 3 },
    })
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 5 },
    })
    await producer.connect()
    return {
      send: (messages) =>
        producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None, timeout: 30_000 }),
      close: () => producer.disconnect(),
    }
  }
  const { Producer, compatibilityPartitioner, stringSerializers } = await import('@platformatic/kafka')
  const producer = new Producer({
    clientId: 'raw',
    idempotent,
    bootstrapBrokers: brokers.split(','),
    serializers: stringSerializers,
    partitioner: compatibilityPartitioner,
    acks: -1,
    retries: 5,
    retryDelay: 100,
    timeout: 30_000,
  })
  await producer.metadata({ topics: [topic] })
  return {
    send: (messages) =>
      new Promise((resolve, reject) => producer.send({ messages }, (e) => (e ? reject(e) : resolve()))),
    close: () => producer.close(),
  }
}

/** One producer with its own queue: records that arrive while `inFlight` requests are out share the next one. */
function createLane(producer) {
  const lane = { producer, queue: [], sending: 0, pump }
  function pump() {
    while (lane.queue.length > 0 && lane.sending < inFlight) {
      const batch = lane.queue.splice(0, 10_000)
      lane.sending++
      producer.send(batch.map((b) => b.message)).then(
        () => {
          lane.sending--
          for (const b of batch) b.resolve()
          pump()
        },
        (error) => {
          lane.sending--
          for (const b of batch) b.reject(error)
          pump()
        },
      )
    }
  }
  return lane
}
const lanes = []
for (let i = 0; i < (client === 'kafkajs' ? 1 : producers); i++) lanes.push(createLane(await connect()))
const sendOne =
  mode === 'naive'
    ? (message, k) => lanes[k % lanes.length].producer.send([message])
    : (message, k) =>
        new Promise((resolve, reject) => {
          const lane = lanes[k % lanes.length]
          lane.queue.push({ message, resolve, reject })
          lane.pump()
        })

const start = Date.now()
const measureFrom = start + warmupMs
const end = measureFrom + measureMs
let acked = 0
let key = 0
async function writer() {
  while (Date.now() < end) {
    const seq = key++
    const k = seq % 100_000
    if (mode === 'identical') {
      const payload = payloadFor(1, seq, value.length)
      const marker = `cdcb1:raw00000:${seq}:${Math.round(Date.now() * 1000)}:${digestOf(payload)}`
      await sendOne(
        {
          topic,
          key: String(k),
          value: `{"cdcb":"${marker}","op":"update","key":${k},"payload":"${payload}"}`,
        },
        k,
      )
    } else await sendOne({ topic, key: String(k), value: constant }, k)
    const now = Date.now()
    if (now >= measureFrom && now <= end) acked++
  }
}
await Promise.all(Array.from({ length: concurrency }, writer))
for (const lane of lanes) {
  await lane.producer.close()
  lane.queue = []
}
console.log(JSON.stringify({ acked, seconds: measureMs / 1000, rate: acked / (measureMs / 1000) }))
