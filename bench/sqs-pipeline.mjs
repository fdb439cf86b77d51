// Issue #13: the highest rate the SQS → Apache Camel → Kafka pipeline
// (services/sqs-bridge, examples/sqs-to-kafka) sustains with e2e p99 < 5 s on
// this machine, and the same search for SQS alone (cdcb's SQS source and sink
// on the same ElasticMQ) as the baseline in the same run: the ratio says what
// the bridge costs. The search doubles the rate from `start` until a step
// fails (p99 >= 5 s, a loss, or events never observed), then bisects between
// the last pass and the first failure `refine` times.
// Usage: node bench/sqs-pipeline.mjs [seconds per step, default 10] [start rate, default 10] [refine steps, default 2]
import './node24.mjs'
import { down, up } from '../services/index.mjs'
import { runCdcb } from './lib.mjs'

const seconds = Number(process.argv[2] ?? 10)
const start = Number(process.argv[3] ?? 10)
const refine = Number(process.argv[4] ?? 2)
const P99_LIMIT_MS = 5000

const started = []
const addresses = {}
for (const name of ['sqs', 'kafka', 'sqs-bridge']) {
  const service = await up(name)
  addresses[name] = service.address
  if (service.startedByUs) started.push(name)
}
const endpoint = `http://${addresses.sqs}`
const brokers = addresses.kafka

const configs = {
  pipeline: {
    // As examples/sqs-to-kafka: the bridge's queue, the bridge's topic.
    source: { plugin: 'sqs', options: { endpoint, queue: 'cdcb-bridge', createQueue: false } },
    sink: { plugin: 'kafka', options: { brokers, topic: 'cdcb-bridge' } },
  },
  'sqs alone': {
    source: { plugin: 'sqs', options: { endpoint, queue: 'bench-sqs-alone' } },
    sink: { plugin: 'sqs', options: { endpoint, queue: 'bench-sqs-alone' } },
  },
}

async function step(what, rate) {
  const { result } = await runCdcb({
    name: `sqs-pipeline-${what}`,
    ...configs[what],
    workers: 2,
    load: { rate, duration: `${seconds}s`, payloadSize: 1000, keys: 100_000, drainTimeout: '30s' },
  })
  const e = result.events
  const p99 = result.metrics.e2e.p99
  const passed =
    p99 !== null && p99 < P99_LIMIT_MS && e.lost === 0 && e.observed === e.acked && e.errors === 0
  console.log(
    `${what}: ${rate}/s → sent ${Math.round(result.rate.sent)}/s, e2e p50 ${result.metrics.e2e.p50}ms p99 ${p99}ms, observed ${e.observed}/${e.acked}, lost ${e.lost}, out of order ${e.outOfOrder} — ${passed ? 'pass' : 'FAIL'}`,
  )
  return passed
}

async function highestRate(what) {
  // Freshly started servers (JIT, Kafka's group coordinator, Camel's first polls) are slow: one untimed step first.
  console.log(`${what}: warm-up step (not counted)`)
  await step(what, start)
  let pass = 0
  let fail = 0
  for (let rate = start; ; rate *= 2) {
    if (await step(what, rate)) pass = rate
    else {
      fail = rate
      break
    }
  }
  for (let i = 0; i < refine && pass > 0 && fail - pass > 1; i++) {
    const mid = Math.round((pass + fail) / 2)
    if (await step(what, mid)) pass = mid
    else fail = mid
  }
  return pass
}

try {
  const pipeline = await highestRate('pipeline')
  const alone = await highestRate('sqs alone')
  console.log('')
  console.log(`highest rate with e2e p99 < 5 s (${seconds} s steps, 1 KB payloads, 2 workers):`)
  console.log(`  SQS → Camel 4.8 → Kafka: ${pipeline}/s`)
  console.log(`  SQS alone (baseline):    ${alone}/s`)
  console.log(`  ratio pipeline/SQS alone = ${alone > 0 ? (pipeline / alone).toFixed(3) : '–'}`)
} finally {
  for (const name of started.reverse()) await down(name)
}
