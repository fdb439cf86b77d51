/** Runs benchmarks through the public runtime API against the broker the global setup provides. */
import { randomBytes } from 'node:crypto'
import type { RunResult, UserConfig } from '@cdcb/core'
import { resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { Admin, Producer, stringSerializers } from '@platformatic/kafka'
import { inject } from 'vitest'
import { type KafkaOptions, kafka } from '../src/index.js'

export const env = inject('kafka')
export const brokers = env.brokers ?? ''

/** A topic name no other test or run uses. */
export function uniqueTopic(prefix: string): string {
  return `cdcb-test-${prefix}-${randomBytes(3).toString('hex')}`
}

/** A producer of string records, for tests that write foreign or tampered records next to a run. */
export function testProducer(
  options: { idempotent?: boolean } = {},
): Producer<string, string, string, string> {
  return new Producer({
    bootstrapBrokers: [brokers],
    clientId: 'cdcb-test',
    serializers: stringSerializers,
    ...(options.idempotent ? { idempotent: true, acks: -1, maxInflights: 1 } : {}),
  })
}

/** The topics on the broker. */
export async function listTopics(): Promise<string[]> {
  const admin = new Admin({ bootstrapBrokers: [brokers], clientId: 'cdcb-test' })
  try {
    return await admin.listTopics()
  } finally {
    await admin.close()
  }
}

export interface KafkaRun {
  result: RunResult
  logs: string[]
  /** Lines logged as notices: shown even under --quiet. */
  notices: string[]
  /** Per-kind counts the sinks logged at stop, summed over workers. */
  sinkCounts: { insert: number; update: number; delete: number; corrupt: number; foreign: number }
}

export async function runKafka(input: {
  source: Partial<KafkaOptions> & { topic: string }
  sink?: Partial<KafkaOptions>
  verify?: Partial<KafkaOptions> | false
  load: UserConfig['load']
  workers?: number
  onStart?: () => void
  /** Fixed run id, so a test can write records carrying this run's marker. */
  runId?: string
}): Promise<KafkaRun> {
  const source = kafka({ brokers, ...input.source })
  const sink = kafka({ brokers, topic: input.source.topic, ...input.sink })
  const config = await resolveConfig({
    name: 'kafka-integration',
    source,
    sink,
    verify:
      input.verify === false ? undefined : kafka({ brokers, topic: input.source.topic, ...input.verify }),
    workers: input.workers ?? 2,
    load: input.load,
    reporters: [],
  } satisfies UserConfig)
  const logs: string[] = []
  const notices: string[] = []
  const result = await runBenchmark(config, {
    runId: input.runId,
    reporters: [
      {
        onLog: (m, kind) => {
          logs.push(m)
          if (kind === 'notice') notices.push(m)
        },
        onRunStart: input.onStart,
      },
    ],
  })
  const sinkCounts = { insert: 0, update: 0, delete: 0, corrupt: 0, foreign: 0 }
  for (const line of logs) {
    const m = /^kafka sink \d+: read (.*)$/.exec(line)
    if (!m) continue
    for (const part of m[1]!.split(' ')) {
      const [k, v] = part.split('=') as [keyof typeof sinkCounts, string]
      sinkCounts[k] += Number(v)
    }
  }
  return { result, logs, notices, sinkCounts }
}
