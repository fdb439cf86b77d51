// Issue: end-to-end latency at 10,000 events/s, cdcb Kafka source → broker →
// cdcb Kafka sink, against Kafka's own EndToEndLatency tool on the same broker.
// cdcb is run twice: committedAt = LogAppendTime (e2e = intended → broker append,
// detect = append → read) and committedAt = observed (e2e = intended → read by
// the sink, the whole trip). EndToEndLatency sends one record at a time and waits
// for it to come back (a closed loop of one): the broker's floor, not a rate.
// Targets (issue #16): at 10,000/s, observed e2e p50 <= 2 ms and p99 <= 10 ms; detect p50 <= 2 ms.
// The defaults finish in about 2 minutes.
// Usage: node bench/kafka-e2e-latency.mjs [rate, default 10000] [seconds, default 15] [workers, default 2] [source batch.linger, default 0]
import './node24.mjs'
import { createTopic, deleteTopics, kafkaTool, withKafka } from './kafka-lib.mjs'
import { runCdcb } from './lib.mjs'

const rate = Number(process.argv[2] ?? 10_000)
const seconds = Number(process.argv[3] ?? 15)
const workers = Number(process.argv[4] ?? 2)
const linger = process.argv[5] ?? '0ms'
const partitions = 6

await withKafka(async (brokers) => {
  const summary = []
  for (const committedAt of ['record', 'observed']) {
    const topic = await createTopic(brokers, 'bench-e2e', partitions)
    const { result } = await runCdcb({
      name: 'kafka-e2e',
      source: { plugin: 'kafka', options: { brokers, topic, batch: { linger } } },
      sink: { plugin: 'kafka', options: { brokers, topic, committedAt } },
      workers,
      load: { rate, warmup: '3s', duration: `${seconds}s`, keys: 100_000, drainTimeout: '30s' },
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
    const mark = (value, limit) =>
      `${value.toFixed(2)} ms (target <= ${limit} ms: ${value <= limit ? 'met' : 'NOT met'})`
    const kept = `${result.rate.achieved}/s achieved of ${rate}/s, ${(result.lateShare * 100).toFixed(1)}% sent late`
    if (committedAt === 'observed')
      summary.push(`observed e2e p50 ${mark(e2e.p50, 2)}, p99 ${mark(e2e.p99, 10)}; ${kept}`)
    else
      summary.push(
        `detect p50 ${detect.count > 0 ? mark(detect.p50, 2) : 'unknown (no detect samples)'}; ${kept}`,
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
  console.log('')
  console.log(`summary at ${rate}/s, ${workers} workers, linger ${linger}:`)
  for (const line of summary) console.log(`  ${line}`)
})
