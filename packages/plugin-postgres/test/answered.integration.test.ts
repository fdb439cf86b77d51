/**
 * The sink tells core each time the target answers it (`Observer.answered`): often while the target is idle
 * and healthy, never while it is frozen. Core calls the events a drain did not see unresolved, not lost, when
 * the sink's last answer is older than the drain's quiet period (at least 1 s).
 */
import { describe, expect, it } from 'vitest'
import plugin from '../src/index.js'
import { freezeServer, pluginContexts, sleep, useEmbeddedPostgres } from './server.js'

const server = useEmbeddedPostgres()

describe('the sink says when the target answers it', () => {
  it.each([
    ['logical', 'answered1'],
    ['poll', 'answered2'],
  ] as const)(
    '%s: at least 3 times a second while idle, never while the server is frozen, again after',
    async (mode, runId) => {
      const options = { url: server.targetUrl, table: `${runId}_events`, mode }
      const { run, plugin: context } = pluginContexts(runId, 'answered')
      const prepared = await plugin.prepare!('sink', options, run)
      const sink = await plugin.createSink!(options, context)
      const answers: number[] = []
      let frozen: ReturnType<typeof freezeServer> | undefined
      try {
        await sink.start({
          observe: () => {},
          corrupt: () => {},
          answered: () => void answers.push(Date.now()),
        })
        const started = Date.now()
        await sleep(3000)
        frozen = freezeServer(server.server.pid!)
        const { frozenAt } = frozen
        await sleep(2500)
        const thawedAt = frozen.thaw()
        await sleep(1500)
        // Idle, nothing to stream or poll: logical asks the walsender for a keepalive every 250 ms, poll reads every 100 ms.
        const idle = answers.filter((t) => t >= started + 500 && t < frozenAt)
        expect(idle.length).toBeGreaterThanOrEqual(3 * ((frozenAt - started - 500) / 1000))
        // An answer already on its way as the server froze may still arrive; none after it.
        expect(answers.filter((t) => t > frozenAt + 200 && t < thawedAt)).toEqual([])
        expect(answers.filter((t) => t >= thawedAt).length).toBeGreaterThanOrEqual(3)
      } finally {
        frozen?.thaw()
        await sink.stop?.()
        await prepared?.teardown?.()
      }
    },
    60_000,
  )
})
