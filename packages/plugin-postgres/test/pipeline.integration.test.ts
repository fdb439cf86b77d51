import { describe, expect, it } from 'vitest'
import { postgres } from '../src/index.js'
import { run, useEmbeddedPostgres } from './server.js'

const pg = useEmbeddedPostgres()

describe('a native logical-replication pipeline', () => {
  it('writes the planned operations and the logical sink observes every one', async () => {
    const logs: string[] = []
    const result = await run(
      {
        source: postgres({ url: pg.sourceUrl, pool: 4 }),
        sink: postgres({ url: pg.targetUrl, mode: 'logical', replicateFrom: pg.sourceUrl }),
        verify: postgres({ url: pg.targetUrl }),
        workers: 2,
        load: { rate: 300, duration: '3s', keys: 500, seed: 7 },
        slo: { lost: '== 0' },
      },
      { logs },
    )
    console.log(
      JSON.stringify(
        {
          events: result.events,
          e2e: result.metrics,
          tb: result.timeBase,
          v: result.verification,
          err: result.errors,
          w: result.warnings,
          logs,
        },
        null,
        1,
      ),
    )
    expect(result.events.sent).toBe(900)
    expect(result.events.lost).toBe(0)
  })
})
