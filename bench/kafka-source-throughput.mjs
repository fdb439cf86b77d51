// Issue: the Kafka source's throughput against a raw kafkajs producer loop with
// the same settings (closed model, `concurrency` writers, 1 KB values, acks=all),
// and against Kafka's own ProducerPerformance on the same workload.
// Runs alternate (raw, cdcb, raw, cdcb …) so drift in the machine's load hits both.
// Target: cdcb >= 0.95 x the raw kafkajs loop writing identical records
// ("identical"; see kafka-raw-producer.mjs); "constant" shows what generating
// deterministic payloads costs, "naive" what batching across writes gains.
// Usage: node bench/kafka-source-throughput.mjs [seconds per run, default 10] [rounds, default 2] [concurrency, default 64] [workers, default 1]
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { down, up } from '../services/index.mjs'
import { createTopic, kafkaTool, median } from './kafka-lib.mjs'
import { runCdcb } from './lib.mjs'

const seconds = Number(process.argv[2] ?? 10)
const rounds = Number(process.argv[3] ?? 2)
const concurrency = Number(process.argv[4] ?? 64)
const workers = Number(process.argv[5] ?? 1)
const warmup = 2
const size = 1000
const partitions = 6

const kafka = await up('kafka')
const brokers = kafka.address
try {
  const raw = { identical: [], constant: [], naive: [] }
  const cdcb = []
  const runRaw = async (mode, round) => {
    const topic = await createTopic(brokers, `bench-raw-${mode}`, partitions)
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
        mode,
      ],
      { cwd: new URL('..', import.meta.url).pathname },
    )
    raw[mode].push(JSON.parse(stdout).rate)
    console.log(`round ${round + 1}: raw kafkajs (${mode}) ${Math.round(raw[mode].at(-1))}/s`)
  }
  const runSource = async (round) => {
    const topic = await createTopic(brokers, 'bench-cdcb', partitions)
    const { result } = await runCdcb({
      name: 'kafka-source-throughput',
      source: { plugin: 'kafka', options: { brokers, topic, acks: 'all' } },
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
    cdcb.push(result.rate.sent)
    console.log(
      `round ${round + 1}: cdcb kafka source ${Math.round(result.rate.sent)}/s (ack p50 ${result.metrics.ack.p50}ms, errors ${result.events.errors})`,
    )
  }
  // The pair that gives the ratio runs back to back, in alternating order, so a
  // change in the machine's load between runs hits both about equally.
  const ratios = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await runRaw('identical', round)
      await runSource(round)
    } else {
      await runSource(round)
      await runRaw('identical', round)
    }
    ratios.push(cdcb.at(-1) / raw.identical.at(-1))
    await runRaw('constant', round)
    await runRaw('naive', round)
  }

  const topic = await createTopic(brokers, 'bench-perf', partitions)
  const records = Math.round(median(cdcb) * (seconds + warmup) * 1.5)
  const perf = await kafkaTool('org.apache.kafka.tools.ProducerPerformance', [
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
  const summary = perf.trim().split('\n').at(-1)
  const perfRate = Number(/([\d.]+) records\/sec/.exec(summary)?.[1])
  console.log(`ProducerPerformance (${records} records, 1 producer, Java defaults): ${summary}`)

  const c = median(cdcb)
  console.log('')
  console.log(
    `cdcb kafka source: ${Math.round(c)}/s (median of ${rounds}; ${workers} worker, ${concurrency} writers, ${size} B, acks=all)`,
  )
  console.log(
    `ratio cdcb/raw (identical records), per round: ${ratios.map((r) => r.toFixed(3)).join(', ')}; median ${median(ratios).toFixed(3)}`,
  )
  for (const mode of ['identical', 'constant', 'naive']) {
    const r = median(raw[mode])
    console.log(`raw kafkajs loop (${mode}): ${Math.round(r)}/s   ratio cdcb/raw = ${(c / r).toFixed(3)}`)
  }
  console.log(
    `Kafka ProducerPerformance: ${Math.round(perfRate)}/s   ratio cdcb/java = ${(c / perfRate).toFixed(3)}`,
  )
} finally {
  if (kafka.startedByUs) await down('kafka')
}
