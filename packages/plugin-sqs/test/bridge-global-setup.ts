/**
 * Global setup of the `integration-sqs-kafka` project: the whole SQS → Kafka
 * pipeline on loopback, each part started once through the services harness
 * (ElasticMQ, Kafka, the Camel bridge) and stopped afterwards only if this
 * setup started it. Without Java or Maven the tests are skipped with one loud
 * line, except under CI=true, where that is a failure.
 */
import type { TestProject } from 'vitest/node'
import { down, ServiceError, up } from '../../../services/index.mjs'

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
  project.provide('bridge', { endpoint: `http://${addresses.sqs}`, brokers: addresses.kafka })
  return async () => {
    for (const name of started.reverse()) await down(name)
  }
}
