/** Runs benchmarks through the public runtime API against the node the global setup provides. */
import { randomBytes } from 'node:crypto'
import type { RunResult, UserConfig } from '@cdcb/core'
import { resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import cassandraDriver from 'cassandra-driver'
import { inject } from 'vitest'
import { type CassandraOptions, cassandra } from '../src/index.js'

export const env = inject('cassandra')
export const contactPoint = env.contactPoint ?? ''

/** A keyspace name no other test or run uses. */
export function uniqueKeyspace(prefix: string): string {
  return `cdcb_test_${prefix}_${randomBytes(3).toString('hex')}`
}

/** A plain driver client for checks behind the plugin's back; shut it down after use. */
export async function driverClient(): Promise<InstanceType<typeof cassandraDriver.Client>> {
  const client = new cassandraDriver.Client({
    contactPoints: [contactPoint],
    localDataCenter: 'datacenter1',
    encoding: { useBigIntAsLong: true },
  })
  await client.connect()
  return client
}

export interface CassandraRun {
  result: RunResult
  logs: string[]
}

/** One benchmark with the plugin in the source and sink slots (and verify unless false). */
export async function runCassandra(input: {
  options: Partial<CassandraOptions>
  source?: Partial<CassandraOptions>
  sink?: Partial<CassandraOptions>
  verify?: Partial<CassandraOptions> | false
  load: UserConfig['load']
  workers?: number
  onStart?: () => void
}): Promise<CassandraRun> {
  const base = { contactPoints: [contactPoint], ...input.options }
  const config = await resolveConfig({
    name: 'cassandra-integration',
    source: cassandra({ changeLog: true, ...base, ...input.source }),
    sink: cassandra({ ...base, ...input.sink }),
    verify: input.verify === false ? undefined : cassandra({ ...base, ...input.verify }),
    workers: input.workers ?? 2,
    load: input.load,
    reporters: [],
  } satisfies UserConfig)
  const logs: string[] = []
  const result = await runBenchmark(config, {
    reporters: [{ onLog: (m) => void logs.push(m), onRunStart: input.onStart }],
  })
  return { result, logs }
}
