/**
 * SQS → Apache Camel → Kafka: cdcb sends into the queue an Apache Camel route
 * reads (services/sqs-bridge: Camel Main 4.8 running aws2-sqs → kafka), and
 * observes the topic the route writes with the Kafka plugin's sink, which also
 * verifies each key's final state there. The load is the first scenario of the
 * Kafka Connect SQS source benchmarking guide (500 msg/s of 10 KB for 10
 * minutes), the SLOs its KPIs.
 *
 * SQS_ENDPOINT (default http://127.0.0.1:$SQS_PORT,
 * SQS_PORT defaulting to 9324 as in `npm run services`), KAFKA_BROKERS (default
 * 127.0.0.1:$KAFKA_PORT, 9092 when KAFKA_PORT is unset), SQS_BRIDGE_QUEUE and SQS_BRIDGE_TOPIC (default cdcb-bridge,
 * as the bridge service uses them).
 */
import { defineConfig } from '@cdcb/core'
import { kafka } from '@cdcb/plugin-kafka'
import { sqs } from '@cdcb/plugin-sqs'

const endpoint = process.env.SQS_ENDPOINT ?? `http://127.0.0.1:${process.env.SQS_PORT ?? 9324}`
const brokers = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`
const queue = process.env.SQS_BRIDGE_QUEUE ?? 'cdcb-bridge'
const topic = process.env.SQS_BRIDGE_TOPIC ?? 'cdcb-bridge'

export default defineConfig({
  name: 'sqs-to-kafka',
  // The bridge created the queue and reads it: cdcb only sends, and leaves the queue in place.
  source: sqs({ endpoint, queue, createQueue: false }),
  sink: kafka({ brokers, topic }),
  verify: kafka({ brokers, topic }),
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
