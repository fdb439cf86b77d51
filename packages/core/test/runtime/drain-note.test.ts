import { describe, expect, it } from 'vitest'
import { drainNote } from '../../src/runtime/run.js'

// Trial 910 item 9: after Ctrl-C the drain printed "draining for 10s … waiting up to 0s more".
describe('the drain progress line', () => {
  it('says how long it waited, what is left and how long it may still wait', () => {
    expect(drainNote(10e6, 512, 20e6)).toBe(
      'draining for 10s: 512 events still in the pipeline; waiting up to 20s more',
    )
    expect(drainNote(5e6, 3, 1.9e6)).toMatch(/waiting up to 1s more$/)
  })

  it('says nothing when under a second is left: the drain is ending, not waiting', () => {
    expect(drainNote(10e6, 2524, 0.4e6)).toBeUndefined()
    expect(drainNote(10e6, 2524, -3e6)).toBeUndefined()
  })
})
