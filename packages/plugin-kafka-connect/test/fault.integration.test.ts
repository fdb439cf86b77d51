/**
 * A `pipeline` fault from the config against real Kafka Connect:
 * examples/postgres-debezium-kafka's pipeline (embedded PostgreSQL → Debezium →
 * Kafka) with its connector paused for 4 s mid-run by `faults`, then resumed by
 * the fault's undo.
 */

import type { UserConfig } from '@cdcb/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresDebeziumKafka } from '../../../examples/postgres-debezium-kafka/pipeline.js'
import { connectorNames, type Databases, env, leftovers, run, startEmbeddedDatabases } from './helpers.js'

describe.skipIf(env.skip)('a pipeline fault on Kafka Connect', () => {
  let db: Databases
  beforeAll(async () => {
    db = await startEmbeddedDatabases()
  })
  afterAll(async () => {
    await db?.stop()
  })

  it('pauses the Debezium connector for 4 s through faults: the fault shows, recovery is measured, nothing lost', async () => {
    const servers = { sourceUrl: db.sourceUrl, brokers: env.brokers!, connectUrl: env.connectUrl! }
    const config: UserConfig = {
      ...postgresDebeziumKafka(servers, { rate: 200, duration: '14s', keys: 1000, drainTimeout: '90s' }),
      faults: [
        { name: 'connector paused', at: '5s', for: '4s', action: { pipeline: 'pause', undo: 'resume' } },
      ],
      // Baseline: the 4 s before the pause; this machine's p99 swings several-fold between seconds.
      recovery: { baseline: '4s', latencyFactor: 10 },
      slo: { lost: '== 0', errors: '== 0', verified: '== 100%', 'recovery.time': '< 60s' },
    }
    const { result, runId } = await run(config)
    const [fault] = result.faults
    expect(fault).toMatchObject({ name: 'connector paused', error: null })
    expect(fault!.endedAt! - fault!.startedAt!).toBeGreaterThanOrEqual(3.5)
    const actions = result.pipeline?.events.filter((e) => e.kind === 'action').map((e) => e.message)
    expect(actions).toEqual(['pause', 'resume'])
    const recovery = result.recovery.find((r) => r.label === 'fault connector paused')!
    // Four seconds of changes waited in the WAL while the connector was paused (at least half, on a loaded machine).
    expect(recovery.backlogMax).toBeGreaterThan(200 * 4 * 0.5)
    expect(recovery.time).not.toBeNull()
    expect(result.metrics.e2e.max).toBeGreaterThan(3000)
    expect(result.events.lost).toBe(0)
    expect(result.events.observed).toBe(result.events.sent)
    expect(result.verification?.mismatched).toBe(0)
    expect(result.status).toBe('passed')
    expect(await connectorNames()).not.toContain(`cdcb-${runId}-source`)
    expect(await leftovers(db.sourceUrl, runId)).toEqual([])
  })
})
