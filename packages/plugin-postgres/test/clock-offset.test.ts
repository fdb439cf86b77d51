import { describe, expect, it } from 'vitest'
import { appliedOffsetMicros } from '../src/sink.js'

describe("Cristian's offset correction", () => {
  it('is applied only when the offset exceeds its own uncertainty', () => {
    // On one host the estimate was +0.13 ms ± 0.2 ms: correcting by it only shifted every value.
    expect(appliedOffsetMicros({ offsetMicros: 130, uncertaintyMicros: 200 })).toBe(0)
    expect(appliedOffsetMicros({ offsetMicros: -130, uncertaintyMicros: 200 })).toBe(0)
    expect(appliedOffsetMicros({ offsetMicros: 5000, uncertaintyMicros: 200 })).toBe(5000)
    expect(appliedOffsetMicros({ offsetMicros: -5000, uncertaintyMicros: 200 })).toBe(-5000)
  })
})
