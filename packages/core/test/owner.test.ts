import { spawn } from 'node:child_process'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { ownerStateOf, processOwner } from '../src/owner.js'

describe('ownerStateOf', () => {
  it('this process is live; a pid that just exited on this host is dead; another host is unknown', async () => {
    expect(processOwner()).toBe(`${hostname()} ${process.pid}`)
    expect(ownerStateOf(processOwner())).toEqual({
      state: 'live',
      why: `its cdcb process ${process.pid} is running`,
    })
    const child = spawn('true')
    await new Promise((resolve) => child.on('exit', resolve))
    expect(ownerStateOf(`${hostname()} ${child.pid}`)).toEqual({
      state: 'dead',
      why: `its cdcb process ${child.pid} on this host is gone`,
    })
    expect(ownerStateOf(`elsewhere-xyz ${child.pid}`)).toEqual({
      state: 'unknown',
      why: 'its cdcb ran on host elsewhere-xyz',
    })
    expect(ownerStateOf(undefined).state).toBe('unknown')
    expect(ownerStateOf('garbage').state).toBe('unknown')
  })
})
