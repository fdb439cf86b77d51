import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { RunContext } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { status } from '../../../services/index.mjs'
import plugin from '../src/index.js'
import { testContext } from './context.js'
import { driverClient, env, uniqueKeyspace } from './helpers.js'

/** The `_cdc.idx` files of the node's cdc_raw folder, each with the offset it marks as synced. */
function cdcIndexes(dir: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const file of readdirSync(dir)) {
    if (file.endsWith('_cdc.idx'))
      out.set(file, Number(readFileSync(path.join(dir, file), 'utf8').split('\n')[0]))
  }
  return out
}

/**
 * What a CDC reader (Debezium's Cassandra connector) depends on: the harness's
 * node has CDC on, and `cdc: true` makes cdcb's table one whose writes the node
 * marks in cdc_raw, synced within moments (commitlog_sync_period 100ms).
 */
describe.skipIf(!env.harness)('the source with cdc: true on the harness node', () => {
  it('creates its table WITH cdc = true, and its writes reach cdc_raw within a second or two', async () => {
    const node = await status('cassandra')
    const cdcRaw = path.join(path.dirname(node.logFile), 'data', 'cdc_raw')
    const runId = `cdc${randomBytes(3).toString('hex')}`
    const keyspace = uniqueKeyspace('cdc')
    const options = { contactPoints: [env.contactPoint!], keyspace, cdc: true }
    const run: RunContext = {
      runId,
      name: 'cdc',
      seed: 7,
      shards: 1,
      signal: new AbortController().signal,
      log: () => {},
    }
    const preparation = await plugin.prepare!('source', options, run)
    const client = await driverClient()
    try {
      const table = await client.execute(
        "SELECT cdc FROM system_schema.tables WHERE keyspace_name = ? AND table_name = 'cdcb_events'",
        [keyspace],
      )
      expect(table.first().get('cdc')).toBe(true)
      const before = cdcIndexes(cdcRaw)
      const source = await plugin.createSource!(options, testContext(runId))
      await source.open?.()
      for (let seq = 0; seq < 50; seq++)
        await source.write([{ seq, key: seq, kind: 'insert', intendedAt: Date.now() * 1000 }])
      await source.close?.()
      const grew = () => [...cdcIndexes(cdcRaw)].some(([file, offset]) => offset > (before.get(file) ?? 0))
      const deadline = Date.now() + 5000
      while (!grew() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      expect(grew()).toBe(true)
    } finally {
      await client.shutdown()
      await preparation?.teardown?.()
    }
  })
})
