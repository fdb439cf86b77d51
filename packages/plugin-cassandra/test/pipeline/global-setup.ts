/**
 * Global setup of the `integration-cassandra-connect` project: Kafka, one
 * Cassandra node and the Kafka Connect worker (Debezium's Cassandra connector
 * and JDBC sink), each started once for every file of the project through the
 * services harness, and stopped afterwards only if this run started it. The
 * connector reads the node's commit log from disk, so the node must be the
 * harness's own (there is no "your own servers" mode here). Without Java or
 * Maven the tests are skipped with one loud line, except under CI=true.
 */
import type { TestProject } from 'vitest/node'
import { cassandraConnectorFiles, down, ServiceError, up } from '../../../../services/index.mjs'

export interface CassandraPipelineTestEnv {
  /** host:port of the node's CQL port. */
  contactPoint?: string
  connectUrl?: string
  brokers?: string
  /** The node's cdc_raw folder. */
  cdcRawDir?: string
  /** Why the tests are skipped. */
  skip?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    cassandraPipeline: CassandraPipelineTestEnv
  }
}

export default async function setup(project: TestProject) {
  const log = (name: string) => (line: string) => process.stderr.write(`[${name}] ${line}\n`)
  const started: string[] = []
  try {
    const kafka = await up('kafka', { log: log('kafka') })
    if (kafka.startedByUs) started.push('kafka')
    const node = await up('cassandra', { log: log('cassandra') })
    if (node.startedByUs) started.push('cassandra')
    const connect = await up('connect', { log: log('connect') })
    if (connect.startedByUs) started.push('connect')
    project.provide('cassandraPipeline', {
      contactPoint: node.address,
      connectUrl: `http://${connect.address}`,
      brokers: kafka.address,
      cdcRawDir: cassandraConnectorFiles().cdcRawDir,
    })
  } catch (error) {
    for (const name of started.reverse()) await down(name)
    const missingTool =
      error instanceof ServiceError && error.exitCode === 2 && /\b(java|mvn)\b.*needed/i.test(error.message)
    if (!missingTool) throw error
    const how = 'install Java 17+ and Maven (sudo apt-get install openjdk-17-jre-headless maven)'
    if (process.env.CI === 'true')
      throw new Error(`Cassandra pipeline tests cannot run under CI=true: ${error.message}; ${how}`)
    const why = `Cassandra pipeline integration tests SKIPPED: ${error.message.split(';')[0]}. To run them, ${how}.`
    process.stderr.write(`\n!!! ${why}\n\n`)
    project.provide('cassandraPipeline', { skip: why })
    return
  }
  return async () => {
    for (const name of started.reverse()) await down(name)
  }
}
