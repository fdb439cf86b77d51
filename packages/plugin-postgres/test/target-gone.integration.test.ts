/** A server that goes away in the middle of a run: a runtime failure (exit 3), never "an SLO failed". */
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { startEmbeddedPostgres } from '../src/embedded.js'
import { postgres } from '../src/index.js'
import { run, sleep } from './server.js'

describe('a target that goes away mid-run', () => {
  it('ends with exit 3, honest counts, and the SQL still to run there', async () => {
    const server = await startEmbeddedPostgres()
    try {
      const admin = new pg.Client({ connectionString: server.url() })
      await admin.connect()
      await admin.query('CREATE DATABASE cdcb_source')
      await admin.query('CREATE DATABASE cdcb_target')
      await admin.end()
      const sourceUrl = server.url('cdcb_source')
      const targetUrl = server.url('cdcb_target')
      const logs: string[] = []
      const result = await run(
        {
          source: postgres({ url: sourceUrl, table: 'gone_events', connectTimeout: '1s' }),
          sink: postgres({
            url: targetUrl,
            table: 'gone_events',
            mode: 'logical',
            replicateFrom: sourceUrl,
            connectTimeout: '1s',
          }),
          workers: 1,
          load: { rate: 200, duration: '6s', drainTimeout: '2s' },
          slo: { lost: '== 0' },
        },
        {
          logs,
          onStart: async () => {
            await sleep(2500)
            await server.stop()
          },
        },
      )
      expect(result.exitCode).toBe(3)
      expect(result.status).toBe('failed')
      expect(result.reason).toMatch(/runtime failure/)
      expect(result.events.sent).toBeGreaterThan(0)
      expect(result.events.errors).toBeGreaterThan(0)
      // What cdcb could not drop there, as SQL to run by hand.
      expect(logs.join('\n')).toMatch(/left behind there: .*DROP PUBLICATION/)
    } finally {
      await server.stop()
    }
  })
})
