/**
 * The guide's broker failure on a FIFO queue: ElasticMQ is frozen (SIGSTOP,
 * then SIGCONT) for 15 s in the middle of the run. Every call in flight then
 * waits or fails and is retried by cdcb (each failure counted by its kind);
 * the FIFO queue's deduplication ids (run id + seq) keep a retried call from
 * doubling a message. Pass: nothing lost, nothing doubled, each key in order,
 * recovered within 30 s.
 *
 * The process is the ElasticMQ that `npm run services -- up sqs` started, found
 * through the pid file the services harness writes (SQS_PID_FILE to name
 * another). SQS_ENDPOINT (default http://127.0.0.1:$SQS_PORT,
 * SQS_PORT defaulting to 9324 as in `npm run services`), SQS_QUEUE (ends in
 * .fifo). SQS_TIME_SCALE (default 1) shortens the run and the fault alike.
 */
import { defineConfig } from '@cdcb/core'
import { sqs } from '@cdcb/plugin-sqs'
import { servicePaths } from '../../services/lib/paths.mjs'

const endpoint = process.env.SQS_ENDPOINT ?? `http://127.0.0.1:${process.env.SQS_PORT ?? 9324}`
// The outage is about delivery: with committedAt 'observed', e2e = intended time → received by cdcb's
// receiver (with the default 'sent' it ends when SQS accepted the message, before it waited in the queue).
const queue = sqs({ endpoint, queue: process.env.SQS_QUEUE ?? 'cdcb-example.fifo', committedAt: 'observed' })
const time = Number(process.env.SQS_TIME_SCALE ?? 1)
const seconds = (s: number) => `${Math.max(1, Math.round(s * time))}s`

export default defineConfig({
  name: 'sqs-fifo-broker-failure',
  source: queue,
  sink: queue,
  verify: queue,
  load: { rate: 200, duration: seconds(90), drainTimeout: '120s' },
  faults: [
    {
      at: seconds(30),
      for: seconds(15),
      action: { signal: 'SIGSTOP', pidFile: process.env.SQS_PID_FILE ?? servicePaths('sqs').pidFile },
    },
  ],
  recovery: { baseline: seconds(20), latencyFactor: 2 },
  slo: {
    lost: '== 0',
    duplicates: '== 0',
    outOfOrder: '== 0',
    'recovery.time': '< 30s',
  },
})
