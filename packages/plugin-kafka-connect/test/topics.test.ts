import { describe, expect, it } from 'vitest'
import { inScope, runScopes } from '../src/topics.js'

describe('run scopes: which topics and groups belong to a run', () => {
  const scopes = runScopes(
    'cdcb-{runId}-jdbc-sink',
    {
      'topic.prefix': 'cdcb_{runId}',
      topics: 'cdcb_{runId}.public.cdcb_events, orders',
      'connection.password': 'pw_{runId}',
      'slot.name': 'cdcb',
    },
    'ab12',
  )

  it('takes each name and setting holding {runId} up to the run id, never a secret', () => {
    expect(scopes).toEqual(['cdcb-ab12', 'connect-cdcb-ab12', 'cdcb_ab12'])
  })

  it('a name the config gives with {runId} belongs; a fixed one, or another run’s, does not', () => {
    expect(inScope('cdcb_ab12.public.cdcb_events', scopes)).toBe(true)
    expect(inScope('connect-cdcb-ab12-jdbc-sink', scopes)).toBe(true)
    expect(inScope('cdcb_ab12', scopes)).toBe(true)
    expect(inScope('orders', scopes)).toBe(false)
    expect(inScope('cdcb.public.cdcb_events', scopes)).toBe(false)
    // Run "ab12" must not take run "ab123"'s topics.
    expect(inScope('cdcb_ab123.public.cdcb_events', scopes)).toBe(false)
  })

  it('a run id that spells a fixed name does not make that name the run’s', () => {
    const fixed = runScopes('src-{runId}', { 'topic.prefix': 'cdcb' }, 'cdcb')
    expect(inScope('cdcb.public.cdcb_events', fixed)).toBe(false)
    expect(inScope('cdcb', [])).toBe(false)
  })
})
