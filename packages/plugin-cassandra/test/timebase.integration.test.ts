import { randomBytes } from 'node:crypto'
import type { RunContext } from '@cdcb/core'
import { afterAll, describe, expect, it } from 'vitest'
import plugin, { type CassandraOptions } from '../src/index.js'
import { testContext } from './context.js'
import { contactPoint, uniqueKeyspace } from './helpers.js'

const runContext = (runId: string): RunContext => ({
  runId,
  name: 'timebase',
  seed: 7,
  shards: 1,
  signal: new AbortController().signal,
  log: () => {},
})

/**
 * The sink's committedAt (WRITETIME) checked against a stamp it does not
 * come from: this process's clock read just before each write is sent and
 * just after it is acknowledged. Same host, same clock, so WRITETIME must fall
 * between the two, give or take the counter (under 1 ms) both the driver and
 * the node add to their millisecond clock to keep stamps unique.
 */
describe.skipIf(!contactPoint)('committedAt from WRITETIME', () => {
  const teardowns: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const teardown of teardowns) await teardown()
  })

  for (const timestamps of ['server', 'client'] as const) {
    it(`lies between send and acknowledgement (${timestamps}-side timestamps)`, async () => {
      const runId = `tb${randomBytes(3).toString('hex')}`
      const options: CassandraOptions = {
        contactPoints: [contactPoint],
        keyspace: uniqueKeyspace('tb'),
        changeLog: true,
        timestamps,
      }
      const preparation = await plugin.prepare!('source', options, runContext(runId))
      if (preparation?.teardown) teardowns.push(preparation.teardown)
      const context = testContext(runId)
      const source = await plugin.createSource!(options, context)
      await source.open?.()
      const bounds = new Map<number, { before: number; after: number }>()
      for (let seq = 0; seq < 40; seq++) {
        const before = Date.now() * 1000
        const kind = seq < 20 ? 'insert' : seq < 30 ? 'update' : 'delete'
        await source.write([{ seq, key: seq % 20, kind, intendedAt: before }])
        // Date.now() truncates to the millisecond: the acknowledgement came before the next one.
        bounds.set(seq, { before, after: (Date.now() + 1) * 1000 })
      }
      await source.close?.()

      const sink = await plugin.createSink!(options, context)
      const committed = new Map<number, number | undefined>()
      await sink.start({
        observe: (seq, _key, _intended, committedAt) => void committed.set(seq, committedAt),
        corrupt: (seq, reason) => {
          throw new Error(`corrupt ${seq}: ${reason}`)
        },
      })
      const deadline = Date.now() + 20_000
      while (committed.size < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      await sink.stop?.()
      expect(committed.size).toBe(40)
      expect(sink.timeBase).toMatch(/WRITETIME.*µs/)
      // Both stamps are a millisecond clock times 1000 plus a counter that keeps them unique (below 1 ms here).
      const slack = 1000
      for (const [seq, { before, after }] of bounds) {
        const at = committed.get(seq)!
        expect(at, `seq ${seq}`).toBeGreaterThanOrEqual(before - slack)
        expect(at, `seq ${seq}`).toBeLessThanOrEqual(after + slack)
      }
    })
  }
})
