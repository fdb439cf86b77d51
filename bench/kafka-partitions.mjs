// Issue: end-to-end throughput with 1, 4 and 8 partitions, with as many workers
// (so as many sink consumers, one per partition; see the sink's design note).
// Closed model: `concurrency` writers as fast as acknowledgements allow, 1 KB values.
// Usage: node bench/kafka-partitions.mjs [seconds, default 10] [concurrency, default 64] [partition counts, default 1,4,8] [workers, default = partitions]
import './node24.mjs'
import { createTopic, deleteTopics, withKafka } from './kafka-lib.mjs'
import { runCdcb } from './lib.mjs'

const seconds = Number(process.argv[2] ?? 10)
const concurrency = Number(process.argv[3] ?? 64)
const counts = (process.argv[4] ?? '1,4,8').split(',').map(Number)
const fixedWorkers = process.argv[5] ? Number(process.argv[5]) : undefined

await withKafka(async (brokers) => {
  const rows = []
  for (const partitions of counts) {
    const topic = await createTopic(brokers, `bench-p${partitions}`, partitions)
    const { result } = await runCdcb({
      name: `kafka-partitions-${partitions}`,
      source: { plugin: 'kafka', options: { brokers, topic } },
      sink: { plugin: 'kafka', options: { brokers, topic } },
      workers: fixedWorkers ?? partitions,
      load: {
        concurrency,
        warmup: '2s',
        duration: `${seconds}s`,
        payloadSize: 1000,
        keys: 100_000,
        drainTimeout: '30s',
      },
    })
    const row = {
      partitions,
      workers: fixedWorkers ?? partitions,
      sent: Math.round(result.rate.sent),
      achieved: Math.round(result.rate.achieved),
      e2eP50: result.metrics.e2e.p50,
      e2eP99: result.metrics.e2e.p99,
      lost: result.events.lost,
      errors: result.events.errors,
    }
    rows.push(row)
    console.log(JSON.stringify(row))
    await deleteTopics(brokers, [topic])
  }
  console.log('')
  console.log('partitions  workers  sent/s  seen/s  e2e p50 ms  e2e p99 ms  lost')
  for (const r of rows) {
    console.log(
      `${String(r.partitions).padStart(10)}  ${String(r.workers).padStart(7)}  ${String(r.sent).padStart(6)}  ${String(r.achieved).padStart(6)}  ${r.e2eP50.toFixed(1).padStart(10)}  ${r.e2eP99.toFixed(1).padStart(10)}  ${r.lost}`,
    )
  }
})
