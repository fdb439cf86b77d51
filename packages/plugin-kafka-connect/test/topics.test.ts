import { describe, expect, it } from 'vitest'
import { deleteLeftovers, inScope, runScopes } from '../src/topics.js'

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

describe('without brokers', () => {
  it('names what the run leaves at the brokers and how to delete it, and keeps quiet otherwise', async () => {
    const lines: string[] = []
    const leftovers = [
      { connector: 'cdcb-ab12-source', topics: ['cdcb_ab12.public.t'], groups: [], kept: ['shared'] },
      {
        connector: 'cdcb-ab12-sink',
        topics: ['cdcb_ab12.public.t'],
        groups: ['connect-cdcb-ab12-sink'],
        kept: [],
      },
    ]
    await deleteLeftovers([], leftovers, (line) => lines.push(line), 'ab12')
    expect(lines).toEqual([
      'kafka-connect: kept topic shared (used by cdcb-ab12-source): not named for run ab12 ({runId} is not in the name the config gives it)',
      'kafka-connect: left topic cdcb_ab12.public.t and consumer group connect-cdcb-ab12-sink of run ab12 at the brokers: set the pipeline\'s "brokers" option to have cdcb delete them; by hand: kafka-topics.sh --bootstrap-server <brokers> --delete --topic cdcb_ab12.public.t; kafka-consumer-groups.sh --bootstrap-server <brokers> --delete --group connect-cdcb-ab12-sink',
    ])
    lines.length = 0
    await deleteLeftovers(
      [],
      [{ connector: 'c', topics: [], groups: [], kept: [] }],
      (l) => lines.push(l),
      'x',
    )
    expect(lines).toEqual([])
  })
})
