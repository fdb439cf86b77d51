// Issue #16: the Kafka source's throughput (closed model, `concurrency` writers,
// 1 KB values, acks=all, one broker) against
//   - Kafka's own ProducerPerformance on the same broker (target: cdcb >= 1.0x),
//   - a raw @platformatic/kafka producer loop writing the records cdcb writes
//     (the client cdcb uses; see kafka-raw-producer.mjs), and
//   - extras named in the 6th argument (comma-separated): `kafkajs`, the same raw loop on
//     kafkajs (the client cdcb used before), to compare clients; `cdcb-not-idempotent`,
//     cdcb's source with `idempotent: false` (5 requests in flight), to see what the
//     default's duplicate-free retries cost; `cdcb-3-producers`, cdcb's source with three
//     producers per worker instead of one (three idempotent requests in flight, not one).
// The run order rotates each round so drift in the machine's load hits all alike;
// every run writes its own topic, deleted right after it.
// Concurrency defaults to 4096 writers: ProducerPerformance sends asynchronously with
// up to 32 MB (buffer.memory) of records outstanding, so a small closed-loop window
// would measure the window, not the producer.
// The defaults finish in about 2 minutes on a quiet machine.
// Usage: node bench/kafka-source-throughput.mjs [seconds per run, default 5] [rounds, default 3] [concurrency, default 4096] [workers, default 1] [extras: kafkajs,cdcb-not-idempotent,cdcb-3-producers]
import './node24.mjs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createTopic, deleteTopics, kafkaTool, median, withKafka } from './kafka-lib.mjs'
import { runCdcb } from './lib.mjs'

const seconds = Number(process.argv[2] ?? 5)
const rounds = Number(process.argv[3] ?? 3)
const concurrency = Number(process.argv[4] ?? 4096)
const workers = Number(process.argv[5] ?? 1)
const extras = new Set((process.argv[6] ?? '').split(',').filter(Boolean))
const withKafkajs = extras.has('kafkajs')
const notIdempotent = extras.has('cdcb-not-idempotent')
const threeProducers = extras.has('cdcb-3-producers')
const warmup = 2
const size = 1000
const partitions = 6

await withKafka(async (brokers) => {
  const rates = {
    cdcb: [],
    java: [],
    platformatic: [],
    ...(withKafkajs ? { kafkajs: [] } : {}),
    ...(notIdempotent ? { 'cdcb-not-idempotent': [] } : {}),
    ...(threeProducers ? { 'cdcb-3-producers': [] } : {}),
  }
  /** cdcb's source writing `topic` as fast as it can; resolves with records/s. */
  const source = async (topic, idempotent, producers) => {
    const { result } = await runCdcb({
      name: 'kafka-source-throughput',
      source: { plugin: 'kafka', options: { brokers, topic, acks: 'all', idempotent, producers } },
      // The memory sink sees nothing of Kafka: only the source is measured.
      sink: { plugin: 'memory' },
      workers,
      load: {
        concurrency,
        warmup: `${warmup}s`,
        duration: `${seconds}s`,
        payloadSize: size,
        keys: 100_000,
        drainTimeout: '100ms',
      },
    })
    if (result.events.errors > 0) console.log(`  cdcb: ${result.events.errors} errors`)
    return result.rate.sent
  }
  const contenders = {
    cdcb: (topic) => source(topic, true),
    ...(notIdempotent ? { 'cdcb-not-idempotent': (topic) => source(topic, false) } : {}),
    ...(threeProducers ? { 'cdcb-3-producers': (topic) => source(topic, true, 3) } : {}),
    async java(topic) {
      // About as many records as the others write in a run, at full speed.
      const records = Math.round(
        Math.max(median(rates.cdcb.length ? rates.cdcb : [100_000]), 50_000) * seconds,
      )
      const out = await kafkaTool('org.apache.kafka.tools.ProducerPerformance', [
        '--topic',
        topic,
        '--num-records',
        String(records),
        '--record-size',
        String(size),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${brokers}`,
        'acks=all',
      ])
      return Number(/([\d.]+) records\/sec/.exec(out.trim().split('\n').at(-1))?.[1])
    },
    platformatic: (topic) => raw(topic, 'platformatic'),
    ...(withKafkajs ? { kafkajs: (topic) => raw(topic, 'kafkajs') } : {}),
  }
  const raw = async (topic, client) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        new URL('./kafka-raw-producer.mjs', import.meta.url).pathname,
        brokers,
        topic,
        String(concurrency),
        String(warmup),
        String(seconds),
        String(size),
        'identical',
        client,
      ],
      { cwd: new URL('..', import.meta.url).pathname },
    )
    return JSON.parse(stdout).rate
  }
  const names = Object.keys(contenders)
  const ratios = []
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length])
    const line = []
    for (const name of order) {
      const topic = await createTopic(brokers, `bench-${name}`, partitions)
      try {
        rates[name].push(await contenders[name](topic))
      } finally {
        await deleteTopics(brokers, [topic])
      }
      line.push(`${name} ${Math.round(rates[name].at(-1))}/s`)
    }
    ratios.push(rates.cdcb.at(-1) / rates.java.at(-1))
    console.log(`round ${round + 1}: ${line.join(', ')}; cdcb/java ${ratios.at(-1).toFixed(3)}`)
  }
  const m = Object.fromEntries(names.map((n) => [n, median(rates[n])]))
  console.log('')
  console.log(
    `medians of ${rounds} rounds (${workers} cdcb worker, ${concurrency} writers, ${size} B, acks=all, ${partitions} partitions):`,
  )
  for (const n of names) console.log(`  ${n.padEnd(20)} ${Math.round(m[n])}/s`)
  console.log(
    `cdcb / ProducerPerformance: per round ${ratios.map((r) => r.toFixed(3)).join(', ')}; median ${median(ratios).toFixed(3)} (target >= 1.0: ${median(ratios) >= 1 ? 'met' : 'NOT met'})`,
  )
  console.log(`cdcb / raw @platformatic/kafka loop: ${(m.cdcb / m.platformatic).toFixed(3)}`)
  if (withKafkajs)
    console.log(`raw @platformatic/kafka / raw kafkajs: ${(m.platformatic / m.kafkajs).toFixed(3)}`)
  if (threeProducers)
    console.log(`cdcb three producers / one (the default): ${(m['cdcb-3-producers'] / m.cdcb).toFixed(3)}`)
  if (notIdempotent)
    console.log(`cdcb idempotent / not idempotent: ${(m.cdcb / m['cdcb-not-idempotent']).toFixed(3)}`)
})
