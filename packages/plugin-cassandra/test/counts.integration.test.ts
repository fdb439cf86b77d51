import { checkPlugin } from '@cdcb/core/testing'
import { describe, expect, it } from 'vitest'
import { cassandra } from '../src/index.js'
import { contactPoint, driverClient, runCassandra, uniqueKeyspace } from './helpers.js'

describe.skipIf(!contactPoint)('source, sink and verifier on one node', () => {
  it('passes core’s conformance check', async () => {
    const options = {
      contactPoints: [contactPoint],
      keyspace: uniqueKeyspace('conf'),
      timestamps: 'server' as const,
    }
    const report = await checkPlugin({
      source: cassandra({ ...options, changeLog: true }),
      sink: cassandra(options),
      verify: cassandra(options),
    })
    expect(report.failures).toEqual([])
  })

  for (const variant of [
    { name: 'single-row writes, client timestamps', source: { timestamps: 'client' as const } },
    {
      name: 'unlogged batches per partition, server timestamps',
      source: { timestamps: 'server' as const, batchSize: 8 },
    },
  ]) {
    it(`counts every kind exactly: ${variant.name}`, async () => {
      const keyspace = uniqueKeyspace('counts')
      const { result } = await runCassandra({
        options: { keyspace, consistency: 'ONE' },
        source: variant.source,
        load: { rate: 600, duration: '4s', keys: 300, drainTimeout: '30s', seed: 11 },
      })
      const e = result.events
      expect(e.errors).toBe(0)
      expect(e.lost).toBe(0)
      expect(e.duplicates).toBe(0)
      expect(e.outOfOrder).toBe(0)
      expect(e.corrupt).toBe(0)
      const src = result.plugins.source as Record<string, number>
      const sink = result.plugins.sink as Record<string, number>
      // What the source acknowledged per kind is exactly what the sink read per kind.
      expect(src.inserts + src.updates + src.deletes).toBe(e.acked)
      expect(sink.insert).toBe(src.inserts)
      expect(sink.update).toBe(src.updates)
      expect(sink.delete).toBe(src.deletes)
      expect(src.deletes).toBeGreaterThan(0)
      expect(src.updates).toBeGreaterThan(0)
      expect(result.verification?.checked).toBeGreaterThan(0)
      expect(result.verification?.mismatched).toBe(0)
      if (variant.source.batchSize) expect(src.batches).toBeGreaterThan(0)
      // cdcb dropped the keyspace it created.
      const client = await driverClient()
      try {
        const left = await client.execute(
          'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
          [keyspace],
        )
        expect(left.rowLength).toBe(0)
      } finally {
        await client.shutdown()
      }
    })
  }
})
