/**
 * An SQS standard queue alone: cdcb sends, receives and deletes, as the first
 * scenario of a Kafka Connect SQS source connector's benchmarking guide loads
 * its queue: 500 messages/s of 10 KB for 10 minutes (300,000 messages), against the guide's KPIs.
 * The queue is created for the run and deleted after it.
 *
 * SQS_ENDPOINT (default ElasticMQ's http://127.0.0.1:$SQS_PORT, 9324 when
 * SQS_PORT is unset, as `npm run services` uses it; set it empty for
 * AWS, with AWS_REGION and credentials in the environment), SQS_QUEUE.
 */
import { defineConfig } from '@cdcb/core'
import { sqs } from '@cdcb/plugin-sqs'

const endpoint = process.env.SQS_ENDPOINT ?? `http://127.0.0.1:${process.env.SQS_PORT ?? 9324}`
// The guide's latency KPIs are about delivery to a consumer: with committedAt 'observed',
// e2e = intended time → received by cdcb's receiver (not → SentTimestamp, when SQS accepted it).
const queue = sqs({
  endpoint: endpoint || undefined,
  queue: process.env.SQS_QUEUE ?? 'cdcb-example',
  committedAt: 'observed',
})

export default defineConfig({
  name: 'sqs-standard',
  source: queue,
  sink: queue,
  verify: queue,
  // 300,000 changes, 70% inserts and 10% deletes leave ~180,000 keys present: fewer turned inserts into updates.
  load: { rate: 500, duration: '10m', keys: 200_000, payloadSize: 10_000, drainTimeout: '60s' },
  slo: {
    'e2e.p50': '< 500ms',
    'e2e.p95': '< 2s',
    'e2e.p99': '< 5s',
    errors: '< 0.1%',
    lost: '== 0',
  },
})
