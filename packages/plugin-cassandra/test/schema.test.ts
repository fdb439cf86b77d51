import { describe, expect, it } from 'vitest'
import { ownerOf } from '../src/schema.js'

describe('ownerOf', () => {
  it('reads what, run, time and the making process from an owned table’s comment', () => {
    expect(
      ownerOf(
        'cdcb:owned: change log created by cdcb run 3f2a9c1e at 2026-12-06T23:23:51.720Z by process my-host 41822; cdcb drops it after the run',
      ),
    ).toEqual({
      what: 'change log',
      runId: '3f2a9c1e',
      at: '2026-12-06T23:23:51.720Z',
      process: 'my-host 41822',
    })
  })

  it('a comment from before the process was recorded has none (its run may live: never swept)', () => {
    expect(
      ownerOf(
        'cdcb:owned: state table created by cdcb run ab12 at 2026-12-01T10:00:00.000Z; cdcb drops it after the run',
      ),
    ).toEqual({ what: 'state table', runId: 'ab12', at: '2026-12-01T10:00:00.000Z' })
    expect(ownerOf('a table someone else made')).toBeUndefined()
  })
})
