// Issue: end-to-end latency at 10,000 events/s, cdcb Kafka source → broker →
// cdcb Kafka sink, against Kafka's own EndToEndLatency tool on the same broker.
// cdcb is run twice: committedAt = LogAppendTime (e2e = intended → broker append,
// detect = append → read) and committedAt = observed (e2e = intended → read by
// the sink, the whole trip). EndToEndLatency sends one record at a time and waits
// for it to come back (a closed loop of one): the broker's floor, not a rate.
// Usage: node bench/kafka-e2e-latency.mjs [rate, default 10000] [seconds, default 20] [workers, default 2] [source batch.linger, default 0]
import { createTopic, deleteTopics, kafkaTool, withKafka } from './kafka-lib.mjs'
import { runCdcb } from './lib.mjs'

const rate = Number(process.argv[2] ?? 10_000)
const seconds = Number(process.argv[3] ?? 20)
const workers = Number(process.argv[4] ?? 2)
const linger = process.argv[5] ?? '0ms'
const partitions = 6

await withKafka(async (brokers) => {
  for (const committedAt of ['record', 'observed']) {
    const topic = await createTopic(brokers, 'bench-e2e', partitions)
    const { result } = await runCdcb({
      name: 'kafka-e2e',
      source: { plugin: 'kafka', options: { brokers, topic, batch: { linger } } },
      sink: { plugin: 'kafka', options: { brokers, topic, committedAt } },
      workers,
      load: { rate, warmup: '5s', duration: `${seconds}s`, keys: 100_000, drainTimeout: '30s' },
    })
    const { e2e, ack, lag, detect } = result.metrics
    const f = (m) => `p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, max ${m.max.toFixed(1)} ms`
    console.log(`cdcb (committedAt: ${committedAt}, linger ${linger}, timeBase: ${result.timeBase})`)
    console.log(
      `  rate target ${result.rate.target}/s sent ${result.rate.sent}/s achieved ${result.rate.achieved}/s; lost ${result.events.lost}, errors ${result.events.errors}, late ${(result.lateShare * 100).toFixed(1)}%`,
    )
    console.log(`  e2e    ${f(e2e)}`)
    console.log(`  ack    ${f(ack)}`)
    console.log(`  lag    ${f(lag)}`)
    if (detect.count > 0) console.log(`  detect ${f(detect)}`)
    console.log(
      `  targets (committedAt observed): e2e p50 <= 2 ms, p99 <= 10 ms; (record) detect p50 <= 2 ms`,
    )
    await deleteTopics(brokers, [topic])
  }
  const topic = await createTopic(brokers, 'bench-e2e-tool', 1)
  const out = await kafkaTool('org.apache.kafka.tools.EndToEndLatency', [
    brokers,
    topic,
    '10000',
    'all',
    '100',
  ])
  console.log('Kafka EndToEndLatency (10000 records of 100 B, acks=all, one at a time):')
  for (const line of out.trim().split('\n').slice(-2)) console.log(`  ${line}`)
})
