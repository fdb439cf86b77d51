/** A queue's cdcb tags read as core's owner records: dead only on this host with the pid gone. */
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { runStateOf } from '../src/queues.js'

const tags = (processTag?: string) => ({
  'cdcb:owned': 'run r1',
  ...(processTag === undefined ? {} : { 'cdcb:process': processTag }),
})

describe('runStateOf', () => {
  it('tells a queue not cdcb made, one without a process tag, a live, a dead and another host’s run', () => {
    expect(runStateOf({ other: 'x' })).toEqual({ state: 'not-cdcb' })
    expect(runStateOf(tags())).toEqual({
      state: 'unknown',
      runId: 'r1',
      why: 'it carries no cdcb:process tag',
    })
    expect(runStateOf(tags(`${hostname()} ${process.pid}`))).toMatchObject({ state: 'live', runId: 'r1' })
    // Pids stop at 2^22 on Linux: this one is never running.
    expect(runStateOf(tags(`${hostname()} 99999999`))).toMatchObject({ state: 'dead', runId: 'r1' })
    expect(runStateOf(tags('elsewhere-host 1'))).toEqual({
      state: 'unknown',
      runId: 'r1',
      why: 'its cdcb ran on host elsewhere-host',
    })
  })
})
