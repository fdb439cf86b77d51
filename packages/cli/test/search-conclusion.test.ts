import { describe, expect, it } from 'vitest'
import { conclusion } from '../src/search-benchmark.js'

describe("cdcb search's verdict line", () => {
  it('an interrupted search does not read as an answer (trial15)', () => {
    const line = conclusion({ maxRate: 2000, minFailingRate: null, end: 'stopped' })
    expect(line).toBe(
      "stopped before an answer; highest rate that held so far: 2000/s (the pipeline's limit may be higher)",
    )
    expect(conclusion({ maxRate: null, minFailingRate: null, end: 'stopped' })).toBe(
      'stopped before an answer: no trial held before the interrupt',
    )
  })
})
