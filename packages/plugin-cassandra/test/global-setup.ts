/**
 * Global setup of the `integration-cassandra` project: one real Cassandra node
 * for every test file. Uses the user's node when CASSANDRA_CONTACT_POINTS is
 * set; otherwise starts one through the services harness (and stops it
 * afterwards only if it started it). Without Java or Maven the tests are
 * skipped with one loud line, except under CI=true, where that is a failure.
 */
import type { TestProject } from 'vitest/node'
import { down, ServiceError, up } from '../../../services/index.mjs'

export interface CassandraTestEnv {
  /** `host:port` of the node; undefined when the tests are skipped. */
  contactPoint?: string
  /** Why the tests are skipped. */
  skip?: string
  /** True when the node is the harness's own (so a test may freeze it). */
  harness: boolean
}

declare module 'vitest' {
  export interface ProvidedContext {
    cassandra: CassandraTestEnv
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.CASSANDRA_CONTACT_POINTS
  if (external) {
    project.provide('cassandra', { contactPoint: external, harness: false })
    return
  }
  let node: Awaited<ReturnType<typeof up>>
  try {
    node = await up('cassandra', { log: (line) => process.stderr.write(`[cassandra] ${line}\n`) })
  } catch (error) {
    // Only a missing Java or Maven skips; a taken port or a broken node is a failure to fix.
    const missingTool =
      error instanceof ServiceError && error.exitCode === 2 && /\b(java|mvn)\b.*needed/i.test(error.message)
    if (!missingTool) throw error
    const reason = (error as Error).message.split(';')[0]
    const how =
      'install Java 17+ and Maven (sudo apt-get install openjdk-17-jre-headless maven), or set CASSANDRA_CONTACT_POINTS=host:port to use your own node'
    if (process.env.CI === 'true') {
      throw new Error(`Cassandra integration tests cannot run under CI=true: ${reason}; ${how}`)
    }
    const why = `Cassandra integration tests SKIPPED: ${reason}. To run them, ${how}.`
    process.stderr.write(`\n!!! ${why}\n\n`)
    project.provide('cassandra', { skip: why, harness: false })
    return
  }
  project.provide('cassandra', { contactPoint: node.address, harness: true })
  return async () => {
    if (node.startedByUs) await down('cassandra')
  }
}
