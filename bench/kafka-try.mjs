// Scratch driver for one Kafka run (development aid): node bench/kafka-try.mjs '<json load>' '<json source opts>'
import { resolveConfig, runBenchmark } from '@cdcb/core/runtime'

const load = JSON.parse(process.argv[2] ?? '{"rate":1500,"duration":"4s","keys":2000}')
const extra = JSON.parse(process.argv[3] ?? '{}')
const topic = `cdcb-try-${Date.now()}`
const t0 = Date.now()
const config = await resolveConfig({
  source: {
    plugin: 'kafka',
    options: { brokers: '127.0.0.1:9092', topic, partitions: 6, deleteTopic: true, ...extra },
  },
  sink: { plugin: 'kafka', options: { brokers: '127.0.0.1:9092', topic } },
  workers: 2,
  load,
})
const result = await runBenchmark(config, {
  reporters: [
    {
      onLog: (m) => console.log(`${Date.now() - t0}ms log: ${m}`),
      onRunStart: () => console.log(`${Date.now() - t0}ms start`),
      onSnapshot: (s) => console.log(`${Date.now() - t0}ms ${s.phase} ${JSON.stringify(s.events)}`),
    },
  ],
})
console.log(`${Date.now() - t0}ms end`)
for (const [k, v] of Object.entries(result.metrics)) console.log(k, JSON.stringify(v))
console.log(JSON.stringify(result.events), JSON.stringify(result.plugins), result.warnings)
