import { describe, expect, it } from 'vitest'
import { freezer } from '../../../services/freeze.mjs'
import { status } from '../../../services/index.mjs'
import { brokers, env, type KafkaRun, runKafka, uniqueTopic } from './helpers.js'

/**
 * Freezes the broker (SIGSTOP) for 3 s while the source writes with a 1 s
 * request timeout: the client times the requests out and sends them again on a
 * new connection, while the frozen broker still holds the first copies in its
 * socket buffers and appends them once it thaws. That is the retry that wrote
 * duplicates cdcb then blamed on the pipeline.
 */
async function frozenRun(idempotent: boolean | undefined): Promise<KafkaRun> {
  const kafka = await status('kafka')
  expect(kafka.startedByCdcb && kafka.pid).toBeTruthy()
  const pid = kafka.pid!
  // Thawed 3000 ms after the freeze really happened (a busy event loop fires its timers late).
  const freeze = freezer(pid, { afterMs: 2000, forMs: 3000 })
  try {
    const run = await runKafka({
      source: {
        topic: uniqueTopic(`idempotence-${idempotent ?? 'default'}`),
        partitions: 4,
        deleteTopic: true,
        requestTimeout: '1s',
        // Enough retries to outlast the freeze: every write is acknowledged in the end.
        retries: 20,
        ...(idempotent === undefined ? {} : { idempotent }),
      },
      verify: false,
      load: { rate: 300, duration: '7s', keys: 500, drainTimeout: '30s', seed: 5 },
      onStart: () => freeze.start(),
    })
    expect(freeze.frozenMs).toBeGreaterThanOrEqual(2900)
    return run
  } finally {
    freeze.thaw()
  }
}

describe.skipIf(!brokers || !env.harness)(
  'a produce request retried while the broker holds the first copy',
  () => {
    it('writes no duplicate by default (idempotent producer, acks all); without idempotence the same run does', async () => {
      // The default: idempotent.
      const { result, logs } = await frozenRun(undefined)
      const { events } = result
      const source = result.plugins.source
      // The freeze really made the client send requests again.
      expect(source.produceRetries, logs.join('\n')).toBeGreaterThan(0)
      expect(events.errors, logs.join('\n')).toBe(0)
      expect(events.sent).toBe(2100)
      expect(events.acked).toBe(2100)
      expect(events.observed).toBe(2100)
      expect(events.lost).toBe(0)
      expect(events.duplicates).toBe(0)
      expect(events.outOfOrder).toBe(0)
      expect(source.records).toBe(2100)

      // The control: the same run without idempotence shows what the default prevents, so this
      // test would fail if the freeze stopped provoking the retry that duplicates.
      const control = (await frozenRun(false)).result
      expect(control.plugins.source.produceRetries).toBeGreaterThan(0)
      expect(control.events.lost).toBe(0)
      expect(control.events.duplicates).toBeGreaterThan(0)
    })
  },
)
