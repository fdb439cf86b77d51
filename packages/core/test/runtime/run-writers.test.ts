import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { runWriters } from '../../src/runtime/worker.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

describe('runWriters (the closed model)', () => {
  it('keeps no memory per operation while the run has not stopped', async () => {
    let stop = () => {}
    const stopped = new Promise<void>((resolve) => {
      stop = resolve
    })
    let left = 400_000
    const writeNext = async () => left-- > 0
    gc()
    const before = process.memoryUsage().heapUsed
    await runWriters(64, writeNext, stopped)
    gc()
    const grown = process.memoryUsage().heapUsed - before
    stop()
    // A race against `stopped` per operation kept ~300 bytes each: 120 MB here.
    expect(grown).toBeLessThan(20e6)
  })

  it('ends when stopped, though a write never settles', async () => {
    let stop = () => {}
    const stopped = new Promise<void>((resolve) => {
      stop = resolve
    })
    let calls = 0
    const writeNext = () => {
      calls++
      return new Promise<boolean>(() => {})
    }
    const ended = runWriters(3, writeNext, stopped)
    stop()
    await ended
    expect(calls).toBe(3)
  })
})
