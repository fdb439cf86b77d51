import { describe, expect, it } from 'vitest'
import { freezer } from '../../../services/freeze.mjs'
import { status } from '../../../services/index.mjs'
import { contactPoint, env, runCassandra, uniqueKeyspace } from './helpers.js'

/**
 * Issue 12, trial item 2: under load the driver refused requests with
 * BusyConnectionError ("2048 requests are in-flight on a single connection"),
 * and one refused group failed the whole batch core handed the source, so
 * writes the node applied were counted as errors (observed > acked, and the
 * verifier skipped their keys). Freezing the node piles more than 2048 writes
 * up on the worker's one connection, as a slow node under load does.
 */
describe.skipIf(!contactPoint || !env.harness)('more writes in flight than a connection takes', () => {
  it('queues them instead of failing them, and counts every applied write as acknowledged, per kind', async () => {
    const node = await status('cassandra')
    expect(node.startedByCdcb && node.pid).toBeTruthy()
    const pid = node.pid!
    // Thawed 3000 ms after the freeze really happened (a busy event loop fires its timers late).
    const freeze = freezer(pid, { afterMs: 2000, forMs: 3000 })
    try {
      const { result } = await runCassandra({
        options: { keyspace: uniqueKeyspace('busy'), consistency: 'ONE', requestTimeout: '30s' },
        source: { timestamps: 'server' },
        workers: 1,
        // 1,500/s into a node frozen for 3 s: about 4,500 writes in flight on one connection.
        load: { rate: 1500, duration: '8s', keys: 3000, drainTimeout: '60s', seed: 12 },
        onStart: () => freeze.start(),
      })
      expect(freeze.frozenMs).toBeGreaterThanOrEqual(2900)
      const { events } = result
      // The pile-up happened (acks waited out the freeze) and the driver refused nothing.
      expect(result.metrics.ack.max).toBeGreaterThan(2000)
      expect(result.errors.filter((e) => /Busy|NoHostAvailable/.test(`${e.kind} ${e.lastMessage}`))).toEqual(
        [],
      )
      const src = result.plugins.source as Record<string, number>
      const sink = result.plugins.sink as Record<string, number>
      // What the source saw applied, per kind, is what core counts as acknowledged: none of it as an error.
      expect(src.inserts! + src.updates! + src.deletes!).toBe(events.acked)
      expect(events.acked + events.errors).toBe(events.sent)
      // A write the frozen node held past its write_request_timeout may come back as a WriteTimeout (an error
      // that may have been applied); anything else observed was acknowledged.
      expect(events.errors).toBeLessThan(events.sent * 0.01)
      expect(events.lost).toBe(0)
      expect(sink.insert).toBeGreaterThanOrEqual(src.inserts!)
      expect(sink.update).toBeGreaterThanOrEqual(src.updates!)
      expect(sink.delete).toBeGreaterThanOrEqual(src.deletes!)
      expect(sink.insert! + sink.update! + sink.delete!).toBeLessThanOrEqual(events.acked + events.errors)
      expect(events.observed).toBeLessThanOrEqual(events.acked + events.errors)
      // Only keys with a failed write are left unverified.
      expect(result.verification?.skipped).toBeLessThanOrEqual(events.errors)
      expect(result.verification?.mismatched).toBe(0)
    } finally {
      freeze.thaw()
    }
  })
})
