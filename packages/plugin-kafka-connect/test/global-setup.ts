/**
 * Global setup of the `integration-connect` project: a real Kafka broker and
 * Kafka Connect worker (with the Debezium connectors), started once for every
 * test file through the services harness and stopped afterwards only if this
 * run started them. KAFKA_BROKERS + CONNECT_URL use your own instead. Without
 * Java or Maven the tests are skipped with one loud line, except under CI=true.
 */
import type { TestProject } from 'vitest/node'
import { down, ServiceError, up } from '../../../services/index.mjs'

export interface ConnectTestEnv {
  brokers?: string
  connectUrl?: string
  /** Why the tests are skipped. */
  skip?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    connect: ConnectTestEnv
  }
}

export default async function setup(project: TestProject) {
  if (process.env.KAFKA_BROKERS && process.env.CONNECT_URL) {
    project.provide('connect', { brokers: process.env.KAFKA_BROKERS, connectUrl: process.env.CONNECT_URL })
    return
  }
  const log = (name: string) => (line: string) => process.stderr.write(`[${name}] ${line}\n`)
  const started: string[] = []
  try {
    const kafka = await up('kafka', { log: log('kafka') })
    if (kafka.startedByUs) started.push('kafka')
    const connect = await up('connect', { log: log('connect') })
    if (connect.startedByUs) started.push('connect')
    project.provide('connect', { brokers: kafka.address, connectUrl: `http://${connect.address}` })
  } catch (error) {
    for (const name of started.reverse()) await down(name)
    const missingTool =
      error instanceof ServiceError && error.exitCode === 2 && /\b(java|mvn)\b.*needed/i.test(error.message)
    if (!missingTool) throw error
    const how = 'install Java 17+ and Maven, or set KAFKA_BROKERS and CONNECT_URL to your own'
    if (process.env.CI === 'true')
      throw new Error(`Kafka Connect tests cannot run under CI=true: ${error.message}; ${how}`)
    const why = `Kafka Connect integration tests SKIPPED: ${error.message.split(';')[0]}. To run them, ${how}.`
    process.stderr.write(`\n!!! ${why}\n\n`)
    project.provide('connect', { skip: why })
    return
  }
  return async () => {
    for (const name of started.reverse()) await down(name)
  }
}
