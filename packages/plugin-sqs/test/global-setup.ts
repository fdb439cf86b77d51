/**
 * Global setup of the `integration-sqs` project: a real ElasticMQ for the
 * tests, started once for every test file. Uses the user's endpoint when
 * SQS_ENDPOINT is set; otherwise starts one through the services harness (and
 * stops it afterwards only if it started it). Without Java or Maven the tests
 * are skipped with one loud line, except under CI=true, where that is a failure.
 */
import type { TestProject } from 'vitest/node'
import { down, ServiceError, up } from '../../../services/index.mjs'

export interface SqsTestEnv {
  /** Endpoint URL; undefined when the tests are skipped. */
  endpoint?: string
  /** Why the tests are skipped. */
  skip?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    sqs: SqsTestEnv
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.SQS_ENDPOINT
  if (external) {
    project.provide('sqs', { endpoint: external })
    return
  }
  let sqs: Awaited<ReturnType<typeof up>>
  try {
    sqs = await up('sqs', { log: (line) => process.stderr.write(`[sqs] ${line}\n`) })
  } catch (error) {
    // Only a missing Java or Maven skips; a taken port or a broken server is a failure to fix.
    const missingTool =
      error instanceof ServiceError && error.exitCode === 2 && /\b(java|mvn)\b.*needed/i.test(error.message)
    if (!missingTool) throw error
    const reason = (error as Error).message.split(';')[0]
    const how =
      'install Java 17+ and Maven (sudo apt-get install openjdk-17-jre-headless maven), or set SQS_ENDPOINT=http://host:port to use your own'
    if (process.env.CI === 'true') {
      throw new Error(`SQS integration tests cannot run under CI=true: ${reason}; ${how}`)
    }
    const why = `SQS integration tests SKIPPED: ${reason}. To run them, ${how}.`
    process.stderr.write(`\n!!! ${why}\n\n`)
    project.provide('sqs', { skip: why })
    return
  }
  project.provide('sqs', { endpoint: `http://${sqs.address}` })
  return async () => {
    if (sqs.startedByUs) await down('sqs')
  }
}
