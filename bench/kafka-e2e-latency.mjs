// Issue #16: end-to-end latency at 10,000 events/s, cdcb Kafka source → broker → cdcb Kafka sink,
// against baselines on the same broker in the same run:
//   - the client cdcb uses with nothing of cdcb around it (kafka-raw-e2e.mjs: the same open loop,
//     producer settings and 1 KB records, a consumer in one process; latency from the planned time),
//   - Kafka's ProducerPerformance at the same rate (1 KB, acks=all): Java's producer's own
//     send → acknowledgement latency, to set beside cdcb's `ack`,
//   - Kafka's EndToEndLatency: one 100 B record at a time, each waited for (a closed loop of one):
//     the broker's floor, not a rate.
// cdcb runs with committedAt = LogAppendTime (e2e = intended → broker append, detect = append →
// read) and with committedAt = observed (e2e = intended → read by the sink, the whole trip), the
// latter once per worker count given (cdcb's default is one worker per core: on this 2-core machine
// two workers share the cores with the broker).
// Targets (issue #16): at 10,000/s, observed e2e p50 <= 2 ms and p99 <= 10 ms; detect p50 <= 2 ms.
// The defaults finish in about 3 minutes.
// Usage: node bench/kafka-e2e-latency.mjs [rate, default 10000] [seconds, default 15] [worker counts, default 1,2] [source batch.linger, default 0]
import './node24.mjs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createTopic, deleteTopics, kafkaTool, withKafka } from './kafka-lib.mjs'
import { runCdcb } from './lib.mjs'

const rate = Number(process.argv[2] ?? 10_000)
const seconds = Number(process.argv[3] ?? 15)
const workerCounts = (process.argv[4] ?? '1,2').split(',').map(Number)
const linger = process.argv[5] ?? '0ms'
const partitions = 6
const warmup = 3

await withKafka(async (brokers) => {
  const summary = []
  const f = (m) => `p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, max ${m.max.toFixed(1)} ms`
  const mark = (value, limit) =>
    `${value.toFixed(2)} ms (target <= ${limit} ms: ${value <= limit ? 'met' : 'NOT met'})`
  const observed = []
  const runs = [
    { committedAt: 'record', workers: workerCounts[0] },
    ...workerCounts.map((workers) => ({ committedAt: 'observed', workers })),
  ]
  for (const { committedAt, workers } of runs) {
    const topic = await createTopic(brokers, 'bench-e2e', partitions)
    const { result } = await runCdcb({
      name: 'kafka-e2e',
      source: { plugin: 'kafka', options: { brokers, topic, batch: { linger } } },
      sink: { plugin: 'kafka', options: { brokers, topic, committedAt } },
      workers,
      load: { rate, warmup: `${warmup}s`, duration: `${seconds}s`, keys: 100_000, drainTimeout: '30s' },
    })
    await deleteTopics(brokers, [topic])
    const { e2e, ack, lag, detect } = result.metrics
    console.log(
      `cdcb (committedAt: ${committedAt}, ${workers} workers, linger ${linger}, timeBase: ${result.timeBase})`,
    )
    console.log(
      `  rate target ${result.rate.target}/s sent ${result.rate.sent}/s achieved ${result.rate.achieved}/s; lost ${result.events.lost}, errors ${result.events.errors}, late ${(result.lateShare * 100).toFixed(1)}%`,
    )
    console.log(`  e2e    ${f(e2e)}`)
    console.log(`  ack    ${f(ack)}`)
    console.log(`  lag    ${f(lag)}`)
    if (detect.count > 0) console.log(`  detect ${f(detect)}`)
    const kept = `${result.rate.achieved}/s achieved of ${rate}/s, ${(result.lateShare * 100).toFixed(1)}% sent late`
    if (committedAt === 'observed') {
      observed.push({ workers, e2e, ack })
      summary.push(
        `${workers} workers: observed e2e p50 ${mark(e2e.p50, 2)}, p99 ${mark(e2e.p99, 10)}; ${kept}`,
      )
    } else
      summary.push(
        `${workers} workers: detect p50 ${detect.count > 0 ? mark(detect.p50, 2) : 'unknown (no detect samples)'}; ${kept}`,
      )
  }

  const rawTopic = await createTopic(brokers, 'bench-e2e-raw', partitions)
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      new URL('./kafka-raw-e2e.mjs', import.meta.url).pathname,
      brokers,
      rawTopic,
      String(rate),
      String(warmup),
      String(seconds),
    ],
    { cwd: new URL('..', import.meta.url).pathname },
  )
  await deleteTopics(brokers, [rawTopic])
  const raw = JSON.parse(stdout)
  console.log(`raw @platformatic/kafka producer → consumer (${rate}/s, 1 KB, acks=all, one process):`)
  console.log(`  sent ${raw.sent}, acknowledged ${raw.acked}, received ${raw.received}`)
  console.log(`  e2e    ${f(raw.e2e)}`)
  console.log(`  ack    ${f(raw.ack)}`)

  const ppTopic = await createTopic(brokers, 'bench-e2e-pp', partitions)
  const pp = await kafkaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic',
    ppTopic,
    '--num-records',
    String(rate * (seconds + warmup)),
    '--record-size',
    '1000',
    '--throughput',
    String(rate),
    '--producer-props',
    `bootstrap.servers=${brokers}`,
    'acks=all',
    'linger.ms=0',
  ])
  await deleteTopics(brokers, [ppTopic])
  const ppLine = pp.trim().split('\n').at(-1)
  const ppP50 = Number(/([\d.]+) ms 50th/.exec(ppLine)?.[1])
  const ppP99 = Number(/([\d.]+) ms 99th/.exec(ppLine)?.[1])
  console.log(
    `Kafka ProducerPerformance (${rate}/s, 1000 B, acks=all, linger.ms=0; send → acknowledgement, whole ms):`,
  )
  console.log(`  ${ppLine}`)

  const tool = await createTopic(brokers, 'bench-e2e-tool', 1)
  const out = await kafkaTool('org.apache.kafka.tools.EndToEndLatency', [
    brokers,
    tool,
    '10000',
    'all',
    '100',
  ])
  await deleteTopics(brokers, [tool])
  console.log('Kafka EndToEndLatency (10000 records of 100 B, acks=all, one at a time):')
  for (const line of out.trim().split('\n').slice(-2)) console.log(`  ${line}`)

  console.log('')
  console.log(`summary at ${rate}/s, linger ${linger}:`)
  for (const line of summary) console.log(`  ${line}`)
  for (const { workers, e2e, ack } of observed) {
    console.log(
      `  ${workers} workers / raw client: e2e p50 ${(e2e.p50 / raw.e2e.p50).toFixed(2)}x, p99 ${(e2e.p99 / raw.e2e.p99).toFixed(2)}x; ack p99 ${(ack.p99 / raw.ack.p99).toFixed(2)}x` +
        (ppP99 > 0
          ? `; ack p99 ${ack.p99.toFixed(1)} ms vs ProducerPerformance p99 ${ppP99} ms (p50 ${ppP50} ms)`
          : ''),
    )
  }
})
