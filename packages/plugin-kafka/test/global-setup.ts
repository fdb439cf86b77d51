/**
 * Global setup of the `integration-kafka` project: a real Kafka broker for the
 * tests. Uses the user's cluster when KAFKA_BROKERS is set; otherwise starts
 * one through the services harness (and stops it afterwards only if it started
 * it). Without Java or Maven the tests are skipped with one loud line, except
 * under CI=true, where that is a failure.
 */
import type { TestProject } from 'vitest/node'
import { down, ServiceError, up } from '../../../services/index.mjs'

export interface KafkaTestEnv {
  /** Bootstrap address; undefined when the tests are skipped. */
  brokers?: string
  /** Why the tests are skipped. */
  skip?: string
  /** True when the broker is the harness's own (so a test may freeze it). */
  harness: boolean
}

declare module 'vitest' {
  export interface ProvidedContext {
    kafka: KafkaTestEnv
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.KAFKA_BROKERS
  if (external) {
    project.provide('kafka', { brokers: external, harness: false })
    return
  }
  let kafka: Awaited<ReturnType<typeof up>>
  try {
    kafka = await up('kafka', { log: (line) => process.stderr.write(`[kafka] ${line}\n`) })
  } catch (error) {
    // Only a missing Java or Maven skips; a taken port or a broken broker is a failure to fix.
    const missingTool =
      error instanceof ServiceError && error.exitCode === 2 && /\b(java|mvn)\b.*needed/i.test(error.message)
    if (!missingTool) throw error
    const reason = (error as Error).message.split(';')[0]
    const how =
      'install Java 17+ and Maven (sudo apt-get install openjdk-17-jre-headless maven), or set KAFKA_BROKERS=host:port to use your own cluster'
    if (process.env.CI === 'true') {
      throw new Error(`Kafka integration tests cannot run under CI=true: ${reason}; ${how}`)
    }
    const why = `Kafka integration tests SKIPPED: ${reason}. To run them, ${how}.`
    process.stderr.write(`\n!!! ${why}\n\n`)
    project.provide('kafka', { skip: why, harness: false })
    return
  }
  project.provide('kafka', { brokers: kafka.address, harness: true })
  return async () => {
    if (kafka.startedByUs) await down('kafka')
  }
}
