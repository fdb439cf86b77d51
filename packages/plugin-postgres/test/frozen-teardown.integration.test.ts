/**
 * A server that freezes (SIGSTOP) just as the run tears down: cdcb must not wait for it to resume. The whole
 * teardown is bounded, the run ends with exit 3, and the result names every object left there with its SQL.
 */
import type { Reporter } from '@cdcb/core'
import { RunControl, resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { startEmbeddedPostgres } from '../src/embedded.js'
import { postgres } from '../src/index.js'
import { freezeServer } from './server.js'

describe('a server frozen during teardown', () => {
  // 3 s: each connection attempt times out by itself; the default 10 s: the target's and then the publisher's
  // attempts outlast the 15 s deadline, which cuts the second one.
  it.each([
    ['3s', { connectTimeout: '3s' }],
    ['the default 10s', {}],
  ])(
    'connectTimeout %s: ends within the teardown deadline with exit 3, naming the table, the function and the SQL left',
    async (_, timeout) => {
      const server = await startEmbeddedPostgres()
      let frozen: ReturnType<typeof freezeServer> | undefined
      let frozenAt = 0
      // Should cdcb wait for the server after all, it resumes it in the end, so the test fails instead of hanging.
      const safety = setTimeout(() => frozen?.thaw(), 90_000)
      try {
        const admin = new pg.Client({ connectionString: server.url() })
        await admin.connect()
        await admin.query('CREATE DATABASE cdcb_source')
        await admin.query('CREATE DATABASE cdcb_target')
        await admin.end()
        const sourceUrl = server.url('cdcb_source')
        const targetUrl = server.url('cdcb_target')
        const logs: string[] = []
        const config = await resolveConfig(
          {
            source: postgres({ url: sourceUrl, table: 'frozen_events', ...timeout }),
            sink: postgres({
              url: targetUrl,
              table: 'frozen_events',
              mode: 'logical',
              replicateFrom: sourceUrl,
              ...timeout,
            }),
            workers: 1,
            load: { rate: 100, duration: '2s', drainTimeout: '5s' },
          },
          { origin: 'test' },
        )
        // The report comes before teardown: freeze the postmaster and every backend right then.
        const freezer: Reporter = {
          onRunEnd: () => {
            frozen = freezeServer(server.pid!)
            frozenAt = frozen.frozenAt
          },
          onLog: (message) => {
            logs.push(message)
          },
        }
        const result = await runBenchmark(config, { reporters: [freezer], control: new RunControl() })
        const tookMs = Date.now() - frozenAt
        expect(frozenAt).toBeGreaterThan(0)
        // 15 s for every part together, 1 s for each to say what it left; never until the server resumes.
        expect(tookMs).toBeLessThan(18_000)
        expect(result.exitCode).toBe(3)
        expect(result.status).toBe('failed')
        const reason = result.reason ?? ''
        expect(reason).toMatch(/runtime failure/)
        expect(reason).toMatch(/DROP SUBSCRIPTION "cdcb_\w+_pipe"/)
        expect(reason).toMatch(/pg_drop_replication_slot\('cdcb_\w+_sink'\)/)
        expect(reason).toMatch(/DROP TABLE "public"\."frozen_events"/)
        expect(reason).toMatch(/DROP FUNCTION "public"\."frozen_events_cdcb_stamp"\(\)/)
        // Both preparations say what they left: the sink's objects at the target and the source's table.
        expect(reason).toMatch(/source "[^"]*postgres[^"]*" failed to tear down/)
        expect(reason).toMatch(/sink "[^"]*postgres[^"]*" failed to tear down/)
        expect(logs.join('\n')).toMatch(/left behind there: .*DROP TABLE/)
        expect(result.warnings.filter((w) => w.startsWith('teardown: '))).toHaveLength(2)
      } finally {
        clearTimeout(safety)
        frozen?.thaw()
        await server.stop()
      }
    },
  )
})
