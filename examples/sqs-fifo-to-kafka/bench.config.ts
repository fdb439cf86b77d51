/**
 * SQS FIFO → Apache Camel → Kafka: as examples/sqs-to-kafka, on the FIFO queue
 * the bridge reads (services/sqs-bridge's second route). Each key is a message
 * group; the bridge keys each Kafka record by the key, so a key's records land
 * in one partition. The guide's FIFO criteria: no duplicates, each key in order.
 *
 * SQS_ENDPOINT (default http://127.0.0.1:$SQS_PORT,
 * SQS_PORT defaulting to 9324 as in `npm run services`), KAFKA_BROKERS (default
 * 127.0.0.1:$KAFKA_PORT, 9092 when KAFKA_PORT is unset), SQS_BRIDGE_FIFO_QUEUE (default cdcb-bridge.fifo) and
 * SQS_BRIDGE_FIFO_TOPIC (default cdcb-bridge-fifo), as the bridge service uses them.
 */
import { defineConfig } from '@cdcb/core'
import { kafka } from '@cdcb/plugin-kafka'
import { sqs } from '@cdcb/plugin-sqs'

const endpoint = process.env.SQS_ENDPOINT ?? `http://127.0.0.1:${process.env.SQS_PORT ?? 9324}`
const brokers = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`
const queue = process.env.SQS_BRIDGE_FIFO_QUEUE ?? 'cdcb-bridge.fifo'
const topic = process.env.SQS_BRIDGE_FIFO_TOPIC ?? 'cdcb-bridge-fifo'

export default defineConfig({
  name: 'sqs-fifo-to-kafka',
  // The bridge created the queue and reads it: cdcb only sends, and leaves the queue in place.
  source: sqs({ endpoint, queue, createQueue: false }),
  sink: kafka({ brokers, topic }),
  verify: kafka({ brokers, topic }),
  // 100 keys: every key changes many times, so per-key order is really put to the test.
  // As many inserts as deletes: on 100 keys a 70% insert share finds every key present within a
  // second and turns into updates; with inserts and deletes even, the present keys wander, never fill.
  load: {
    rate: 500,
    duration: '10m',
    keys: 100,
    mix: { insert: 10, update: 80, delete: 10 },
    payloadSize: 10_000,
    drainTimeout: '60s',
  },
  slo: {
    'e2e.p50': '< 500ms',
    'e2e.p95': '< 2s',
    'e2e.p99': '< 5s',
    errors: '< 0.1%',
    lost: '== 0',
    duplicates: '== 0',
    outOfOrder: '== 0',
  },
})
