// Issue #13: the SQS source's send rate against a bare @aws-sdk/client-sqs
// SendMessageBatch loop (bench/sqs-raw-sender.mjs) on the same ElasticMQ, in
// one run. Both keep `calls` batch calls of 10 messages in flight; cdcb runs
// closed-model with 10 × calls writers per worker, so its batches can fill.
// Runs alternate (raw, cdcb, cdcb, raw …) so drift in the machine's load hits both.
// With a queue count N > 1 (the guide's "4 queues") both spread over N queues:
// cdcb by key (`queues: N`), the bare loop call by call.
// Target: cdcb >= 0.9 x the bare loop.
// Usage: node bench/sqs-source-throughput.mjs [seconds per run, default 10] [rounds, default 2] [calls in flight, default 16] [payload bytes, default 1000] [queues, default 1]
import './node24.mjs'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { promisify } from 'node:util'
import { down, up } from '../services/index.mjs'
import { median } from './kafka-lib.mjs'
import { runCdcb } from './lib.mjs'

const seconds = Number(process.argv[2] ?? 10)
const rounds = Number(process.argv[3] ?? 2)
const calls = Number(process.argv[4] ?? 16)
const size = Number(process.argv[5] ?? 1000)
const queues = Number(process.argv[6] ?? 1)
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
console.log(`load average at start: ${load()}`)
const warmup = 2

const sqs = await up('sqs')
const endpoint = `http://${sqs.address}`
const queueName = (what) => `bench-${what}-${randomBytes(3).toString('hex')}`
try {
  const raw = []
  const cdcb = []
  const runRaw = async (round, warm = false) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        new URL('./sqs-raw-sender.mjs', import.meta.url).pathname,
        endpoint,
        queueName('raw'),
        String(calls),
        String(warmup),
        String(warm ? 2 : seconds),
        String(size),
        String(queues),
      ],
      { cwd: new URL('..', import.meta.url).pathname },
    )
    if (warm) return
    raw.push(JSON.parse(stdout).rate)
    console.log(`round ${round + 1}: bare SDK loop ${Math.round(raw.at(-1))}/s`)
  }
  const runSource = async (round) => {
    const { result } = await runCdcb({
      name: 'sqs-source-throughput',
      source: {
        plugin: 'sqs',
        options: { endpoint, queue: queueName('cdcb'), inFlight: calls, ...(queues > 1 ? { queues } : {}) },
      },
      // The memory sink sees nothing of SQS: only the source is measured.
      sink: { plugin: 'memory' },
      workers: 1,
      load: {
        concurrency: calls * 10,
        warmup: `${warmup}s`,
        duration: `${seconds}s`,
        payloadSize: size,
        keys: 100_000,
        drainTimeout: '100ms',
      },
    })
    cdcb.push(result.rate.sent)
    const s = result.plugins.source ?? {}
    console.log(
      `round ${round + 1}: cdcb sqs source ${Math.round(result.rate.sent)}/s (${(s.messages / s.calls).toFixed(1)} messages per call, ack p50 ${result.metrics.ack.p50}ms, errors ${result.events.errors}, throttled ${s.throttled})`,
    )
  }
  // A freshly started ElasticMQ is slow until its JIT warms up: one untimed run first.
  await runRaw(0, true)
  const ratios = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await runRaw(round)
      await runSource(round)
    } else {
      await runSource(round)
      await runRaw(round)
    }
    ratios.push(cdcb.at(-1) / raw.at(-1))
  }
  console.log('')
  console.log(
    `cdcb sqs source: ${Math.round(median(cdcb))}/s, bare SDK SendMessageBatch loop: ${Math.round(median(raw))}/s (medians of ${rounds}; ${calls} calls in flight, ${size} B payloads, ${queues} queue${queues > 1 ? 's' : ''}, 1 worker)`,
  )
  console.log(
    `ratio cdcb/bare per round: ${ratios.map((r) => r.toFixed(3)).join(', ')}; median ${median(ratios).toFixed(3)}`,
  )
  console.log(`load average at end: ${load()}`)
} finally {
  if (sqs.startedByUs) await down('sqs')
}
