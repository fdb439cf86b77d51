import { describe, expect, it } from 'vitest'
import { writeNumber } from '../src/prepared-pipeline.js'

function asText(value: number): string {
  const out = Buffer.alloc(40)
  const written = writeNumber(out, 3, value)
  return out.toString('latin1', 3, 3 + written)
}

describe('writeNumber', () => {
  it('writes integers as PostgreSQL reads them, across the 1e8 split and up to 2^53', () => {
    for (const value of [
      0,
      7,
      10,
      99_999_999,
      100_000_000,
      100_000_001,
      1_763_789_000_123_456,
      2 ** 53 - 1,
    ]) {
      expect(asText(value)).toBe(String(value))
    }
  })

  it('falls back to String() for negatives, fractions and unsafe integers', () => {
    for (const value of [-42, 1.5, 2 ** 53 + 2]) expect(asText(value)).toBe(String(value))
  })
})
