/**
 * Global setup of the `integration-sqs-kafka` project: the whole SQS → Kafka
 * pipeline on loopback, each part started once through the services harness
 * (ElasticMQ, Kafka, the Camel bridge) and stopped afterwards only if this
 * setup started it. Without Java or Maven the tests are skipped with one loud
 * line, except under CI=true, where that is a failure.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'
import { down, ServiceError, up } from '../../../services/index.mjs'
import { cacheRoot } from '../../../services/lib/paths.mjs'
import { requireJava } from '../../../services/lib/tools.mjs'

/**
 * A fresh broker creates its offsets topic on the first group join and answers
 * "coordinator is loading" meanwhile; the Kafka plugin's sink fails its run on
 * that (exit 3) instead of waiting. Kafka's own console consumer joins a group
 * once, so the coordinator is ready before the test's run starts.
 */
async function warmGroupCoordinator(brokers: string): Promise<void> {
  const java = await requireJava(17)
  await promisify(execFile)(
    java,
    [
      '-Xmx256m',
      '-Dlog4j2.level=warn',
      '-cp',
      path.join(cacheRoot(), 'kafka', 'lib', '*'),
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server',
      brokers,
      '--topic',
      'cdcb-bridge',
      '--group',
      'cdcb-test-warmup',
      // One message is enough to have joined: a topic kept from earlier runs (MBs of 10 KB records)
      // would otherwise overflow execFile's output buffer and fail the setup.
      '--max-messages',
      '1',
      '--timeout-ms',
      '5000',
    ],
    { timeout: 120_000 },
  ).catch((error: { stderr?: string }) => {
    // The console consumer ends with an error when its timeout passes without a message: expected.
    if (!/TimeoutException|Processed a total/.test(String(error.stderr ?? ''))) throw error
  })
}

export interface BridgeTestEnv {
  endpoint?: string
  brokers?: string
  skip?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    bridge: BridgeTestEnv
  }
}

export default async function setup(project: TestProject) {
  const started: string[] = []
  const log = (name: string) => (line: string) => process.stderr.write(`[${name}] ${line}\n`)
  const addresses: Record<string, string> = {}
  try {
    for (const name of ['sqs', 'kafka', 'sqs-bridge']) {
      const service = await up(name, { log: log(name) })
      addresses[name] = service.address
      if (service.startedByUs) started.push(name)
    }
  } catch (error) {
    for (const name of started.reverse()) await down(name)
    const missingTool =
      error instanceof ServiceError && error.exitCode === 2 && /\b(java|mvn)\b.*needed/i.test(error.message)
    if (!missingTool) throw error
    const reason = (error as Error).message.split(';')[0]
    if (process.env.CI === 'true') throw new Error(`SQS → Kafka tests cannot run under CI=true: ${reason}`)
    const why = `SQS → Kafka tests SKIPPED: ${reason}. Install Java 17+ and Maven to run them.`
    process.stderr.write(`\n!!! ${why}\n\n`)
    project.provide('bridge', { skip: why })
    return
  }
  if (started.includes('kafka')) await warmGroupCoordinator(addresses.kafka!)
  project.provide('bridge', { endpoint: `http://${addresses.sqs}`, brokers: addresses.kafka })
  return async () => {
    for (const name of started.reverse()) await down(name)
  }
}
