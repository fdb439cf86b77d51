/**
 * The guide's burst on one SQS standard queue: 100 → 5,000 → 100 msg/s. cdcb
 * measures the backlog the burst builds and how long the queue and its
 * receivers take to recover (backlog back to its level before the burst, e2e
 * p99 within 2× of it) — the guide's "recovery < 30 s".
 *
 * SQS_ENDPOINT (default ElasticMQ's http://127.0.0.1:$SQS_PORT, 9324 when
 * SQS_PORT is unset, as `npm run services` uses it; set it empty for
 * AWS), SQS_QUEUE. SQS_TIME_SCALE and SQS_RATE_SCALE (default 1) shrink the
 * stages' lengths and rates alike, for a quick try or a test
 * (`SQS_TIME_SCALE=0.2 SQS_RATE_SCALE=0.1`).
 */
import { defineConfig } from '@cdcb/core'
import { sqs } from '@cdcb/plugin-sqs'

const endpoint = process.env.SQS_ENDPOINT ?? `http://127.0.0.1:${process.env.SQS_PORT ?? 9324}`
// Recovery is about the queue and its receivers: with committedAt 'observed', e2e = intended time → received
// by cdcb's receiver (with the default 'sent' it ends when SQS accepted the message, before it waited in the queue).
const queue = sqs({
  endpoint: endpoint || undefined,
  queue: process.env.SQS_QUEUE ?? 'cdcb-example',
  committedAt: 'observed',
})
const time = Number(process.env.SQS_TIME_SCALE ?? 1)
const rate = Number(process.env.SQS_RATE_SCALE ?? 1)
const seconds = (s: number) => `${Math.max(1, Math.round(s * time))}s`

export default defineConfig({
  name: 'sqs-burst-100-5000-100',
  source: queue,
  sink: queue,
  verify: queue,
  load: {
    stages: [
      { duration: seconds(30), rate: Math.round(100 * rate) },
      { duration: seconds(20), rate: Math.round(5_000 * rate) }, // the burst
      { duration: seconds(60), rate: Math.round(100 * rate) },
    ],
    drainTimeout: '120s',
  },
  recovery: { baseline: seconds(20), latencyFactor: 2 },
  slo: {
    'recovery.time': '< 30s',
    errors: '< 0.1%',
    lost: '== 0',
  },
})
