// The baseline for bench/kafka-e2e-latency.mjs: the client cdcb uses (@platformatic/kafka), with
// nothing of cdcb around it, carrying records from a producer to a consumer in one process at a
// planned rate: an open loop that sends each record at its planned time (the same sub-millisecond
// wait as cdcb's generator: a timer for the long part, then short Atomics.wait sleeps), producer
// settings as cdcb's source (idempotent, acks=all, one request out, records arriving meanwhile share
// the next one, 1 KB values), a consumer in a group reading the topic from its start (minBytes 1).
// Latency is taken from each record's planned time, as cdcb takes it (no coordinated omission):
// `ack` to the producer's acknowledgement, `e2e` to the consumer handing the record over.
// Records planned in the warmup are not counted.
// Usage: node bench/kafka-raw-e2e.mjs <brokers> <topic> <rate/s> <warmup s> <seconds>
// Prints one JSON line: { sent, received, ack: {p50, p99, max}, e2e: {p50, p99, max} } (ms).
import './node24.mjs'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'

const [brokers, topic, rateArg, warmupArg, secondsArg] = process.argv.slice(2)
const rate = Number(rateArg)
const warmupMicros = Number(warmupArg) * 1e6
const measureMicros = Number(secondsArg) * 1e6
const value = 'x'.repeat(1000)
const nowMicros = () => (performance.timeOrigin + performance.now()) * 1000

const admin = new Admin({ clientId: 'raw-e2e', bootstrapBrokers: brokers.split(',') })
if (!(await admin.listTopics()).includes(topic)) {
  process.stderr.write(
    `kafka-raw-e2e: topic ${topic} does not exist at ${brokers} — create it first (bench/kafka-e2e-latency.mjs does)\n`,
  )
  await admin.close()
  process.exit(2)
}
const groupId = `raw-e2e-${process.pid}`

const consumer = new Consumer({
  clientId: 'raw-e2e',
  groupId,
  bootstrapBrokers: brokers.split(','),
  deserializers: stringDeserializers,
})
const stream = await consumer.consume({
  topics: [topic],
  mode: 'earliest',
  autocommit: false,
  minBytes: 1,
  maxWaitTime: 500,
})
const producer = new Producer({
  clientId: 'raw-e2e',
  bootstrapBrokers: brokers.split(','),
  serializers: stringSerializers,
  idempotent: true,
  acks: -1,
  maxInflights: 1,
})
await producer.metadata({ topics: [topic] })

const start = nowMicros() + 100_000
const measureFrom = start + warmupMicros
const end = measureFrom + measureMicros
const planned = Math.round(((end - start) / 1e6) * rate)
const measured = Math.round((measureMicros / 1e6) * rate)
const ack = new Float64Array(measured)
const e2e = new Float64Array(measured)
let acks = 0
let received = 0
const firstMeasured = planned - measured

stream.on('data', (message) => {
  const seq = Number(message.key)
  if (seq >= firstMeasured && received < measured)
    e2e[received++] = (nowMicros() - (start + (seq * 1e6) / rate)) / 1000
})

// One request out; what is planned meanwhile waits and goes in the next one (as cdcb's lanes do).
const MAX_RECORDS_PER_REQUEST = 900
let queue = []
let sending = false
function pump() {
  if (sending || queue.length === 0) return
  // At most about cdcb's batch.maxBytes (1 MB) per request: a backlog built while a fresh broker was slow to
  // answer the first requests went out whole, and the broker refused it (MESSAGE_TOO_LARGE).
  const batch = queue.length <= MAX_RECORDS_PER_REQUEST ? queue : queue.splice(0, MAX_RECORDS_PER_REQUEST)
  if (batch === queue) queue = []
  sending = true
  producer.send({ messages: batch }, (error) => {
    sending = false
    if (error) throw error
    const now = nowMicros()
    for (const message of batch) {
      const seq = Number(message.key)
      if (seq >= firstMeasured) ack[acks++] = (now - (start + (seq * 1e6) / rate)) / 1000
    }
    pump()
  })
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4))
function waitUntil(target) {
  const remaining = target - nowMicros()
  if (remaining > 2000) return new Promise((resolve) => setTimeout(resolve, (remaining - 1500) / 1e3))
  if (remaining > 0) Atomics.wait(sleepCell, 0, 0, Math.min(remaining, 250) / 1e3)
  return new Promise((resolve) => setImmediate(resolve))
}

let seq = 0
while (seq < planned) {
  const due = start + (seq * 1e6) / rate
  if (nowMicros() < due) {
    await waitUntil(due)
    continue
  }
  // Everything due by now goes out together.
  const now = nowMicros()
  while (seq < planned && start + (seq * 1e6) / rate <= now) {
    queue.push({ topic, key: String(seq), value })
    seq++
  }
  pump()
}
const deadline = Date.now() + 30_000
while ((acks < measured || received < measured) && Date.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 50))
await stream.close()
await consumer.close()
await producer.close()
// The group is this run's alone: left, it would sit in the broker's list until its retention ends.
await admin.deleteGroups({ groups: [groupId] }).catch((error) => {
  process.stderr.write(`kafka-raw-e2e: could not delete consumer group ${groupId}: ${error.message}\n`)
})
await admin.close()

const summary = (values, count) => {
  const sorted = values.subarray(0, count).sort()
  const at = (q) => sorted[Math.min(count - 1, Math.ceil(q * count) - 1)]
  return { p50: at(0.5), p99: at(0.99), max: sorted[count - 1] }
}
console.log(
  JSON.stringify({
    sent: measured,
    acked: acks,
    received,
    ack: summary(ack, acks),
    e2e: summary(e2e, received),
  }),
)
