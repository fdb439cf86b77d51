/**
 * The guide's "4 queues at 2,000 msg/s": one source spreads its keys over four
 * standard queues (key k → queue k mod 4, so each key stays in one queue), the
 * sink's receivers read all four, the verifier checks all four. The queues
 * `cdcb-example-1` … `cdcb-example-4` are created for the run and deleted after it.
 *
 * SQS_ENDPOINT (default ElasticMQ's http://127.0.0.1:$SQS_PORT, 9324 when
 * SQS_PORT is unset, as `npm run services` uses it; set it empty for
 * AWS), SQS_QUEUE (the names' stem).
 */
import { defineConfig } from '@cdcb/core'
import { sqs } from '@cdcb/plugin-sqs'

const endpoint = process.env.SQS_ENDPOINT ?? `http://127.0.0.1:${process.env.SQS_PORT ?? 9324}`
// The guide's latency KPIs are about delivery to a consumer: with committedAt 'observed',
// e2e = intended time → received by cdcb's receiver (not → SentTimestamp, when SQS accepted it).
const queues = sqs({
  endpoint: endpoint || undefined,
  committedAt: 'observed',
  queue: process.env.SQS_QUEUE ?? 'cdcb-example',
  queues: 4,
})

export default defineConfig({
  name: 'sqs-4-queues',
  source: queues,
  sink: queues,
  verify: queues,
  // 600,000 changes, 70% inserts and 10% deletes leave ~360,000 keys present: fewer turned inserts into updates.
  load: { rate: 2_000, duration: '5m', keys: 400_000, drainTimeout: '60s' },
  slo: {
    'e2e.p50': '< 500ms',
    'e2e.p95': '< 2s',
    'e2e.p99': '< 5s',
    errors: '< 0.1%',
    lost: '== 0',
  },
})
