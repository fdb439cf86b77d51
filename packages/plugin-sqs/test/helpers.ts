/** Runs benchmarks through the public runtime API against the ElasticMQ the global setup provides. */
import { randomBytes } from 'node:crypto'
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs'
import type { RunResult, UserConfig } from '@cdcb/core'
import { resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { inject } from 'vitest'
import { type SqsOptions, sqs } from '../src/index.js'

export const env = inject('sqs')
export const endpoint = env.endpoint ?? ''

/** A queue name no other test or run uses; `fifo` adds the `.fifo` suffix. */
export function uniqueQueue(prefix: string, fifo = false): string {
  return `cdcb-test-${prefix}-${randomBytes(3).toString('hex')}${fifo ? '.fifo' : ''}`
}

export function testClient(): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'cdcb', secretAccessKey: 'cdcb' },
  })
}

/** Names of the queues at the endpoint that start with `prefix`. */
export async function queuesNamed(prefix: string): Promise<string[]> {
  const client = testClient()
  try {
    const { QueueUrls = [] } = await client.send(new ListQueuesCommand({ QueueNamePrefix: prefix }))
    return QueueUrls.map((url) => url.slice(url.lastIndexOf('/') + 1))
  } finally {
    client.destroy()
  }
}

export interface SqsRun {
  result: RunResult
  logs: string[]
  /** Per-kind counts the sinks logged at stop, summed over workers. */
  sinkCounts: Record<
    'insert' | 'update' | 'delete' | 'corrupt' | 'foreign' | 'redeliveries' | 'deleteFailed',
    number
  >
}

/** The queue options of a source, for the sink and verifier that read the same queues. */
function sameQueues(source: Partial<SqsOptions>): Pick<SqsOptions, 'queue' | 'queues'> {
  const where: Partial<SqsOptions> = {}
  if (source.queue !== undefined) where.queue = source.queue
  if (source.queues !== undefined) where.queues = source.queues
  return where as Pick<SqsOptions, 'queue' | 'queues'>
}

export async function runSqs(input: {
  source: Partial<SqsOptions>
  sink?: Partial<SqsOptions>
  verify?: Partial<SqsOptions> | false
  load: UserConfig['load']
  workers?: number
  runId?: string
}): Promise<SqsRun> {
  const config = await resolveConfig({
    name: 'sqs-integration',
    source: sqs({ endpoint, ...(input.source as SqsOptions) }),
    sink: sqs({ endpoint, ...sameQueues(input.source), ...input.sink }),
    verify:
      input.verify === false ? undefined : sqs({ endpoint, ...sameQueues(input.source), ...input.verify }),
    workers: input.workers ?? 2,
    load: input.load,
    reporters: [],
  } satisfies UserConfig)
  const logs: string[] = []
  const result = await runBenchmark(config, {
    runId: input.runId,
    reporters: [{ onLog: (m) => void logs.push(m) }],
  })
  const sinkCounts = {
    insert: 0,
    update: 0,
    delete: 0,
    corrupt: 0,
    foreign: 0,
    redeliveries: 0,
    deleteFailed: 0,
  }
  for (const line of logs) {
    const m = /^sqs sink \d+: read (.*)$/.exec(line)
    if (!m) continue
    for (const part of m[1]!.split(' ')) {
      const [k, v] = part.split('=') as [keyof typeof sinkCounts, string]
      sinkCounts[k] += Number(v)
    }
  }
  return { result, logs, sinkCounts }
}
