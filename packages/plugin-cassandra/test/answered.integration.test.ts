/**
 * The sink tells core each time the node answers a poll round (`Observer.answered`): often while the node
 * is idle and healthy, never while it is frozen. Core calls the events a drain did not see unresolved, not
 * lost, when the sink's last answer is older than the drain's quiet period (at least 1 s).
 */
import { randomBytes } from 'node:crypto'
import type { RunContext } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { freezer } from '../../../services/freeze.mjs'
import { status } from '../../../services/index.mjs'
import plugin, { type CassandraOptions } from '../src/index.js'
import { testContext } from './context.js'
import { contactPoint, env, uniqueKeyspace } from './helpers.js'

describe.skipIf(!contactPoint || !env.harness)('the sink says when the node answers it', () => {
  it('at least 3 times a second while idle, never while the node is frozen, again after', async () => {
    const node = await status('cassandra')
    expect(node.startedByCdcb && node.pid).toBeTruthy()
    const runId = `an${randomBytes(3).toString('hex')}`
    const options: CassandraOptions = {
      contactPoints: [contactPoint],
      keyspace: uniqueKeyspace('answered'),
      changeLog: true,
      // Shorter than the freeze: rounds fail while the node is frozen, and a failed round is no answer.
      requestTimeout: '1s',
    }
    const run: RunContext = {
      runId,
      name: 'answered',
      seed: 7,
      shards: 1,
      signal: new AbortController().signal,
      log: () => {},
    }
    const prepared = await plugin.prepare!('source', options, run)
    const sink = await plugin.createSink!(options, testContext(runId))
    const answers: number[] = []
    const freeze = freezer(node.pid!, { afterMs: 3000, forMs: 2500 })
    try {
      await sink.start({
        observe: () => {},
        corrupt: () => {},
        answered: () => void answers.push(Date.now()),
      })
      const started = Date.now()
      freeze.start()
      await new Promise((r) => setTimeout(r, 3000 + 2500 + 3000))
      const { frozenAt, thawedAt } = freeze
      expect(freeze.frozenMs).toBeGreaterThanOrEqual(2400)
      // Idle, the log empty: a poll round every 100 ms (pollInterval), each answered.
      const idle = answers.filter((t) => t >= started + 500 && t < frozenAt)
      expect(idle.length).toBeGreaterThanOrEqual(3 * ((frozenAt - started - 500) / 1000))
      // A round already answered as the node froze may still arrive; none after it.
      expect(answers.filter((t) => t > frozenAt + 200 && t < thawedAt)).toEqual([])
      expect(answers.filter((t) => t >= thawedAt).length).toBeGreaterThanOrEqual(3)
    } finally {
      freeze.thaw()
      await sink.stop?.()
      await prepared?.teardown?.()
    }
  })
})
