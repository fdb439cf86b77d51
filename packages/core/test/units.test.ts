import { describe, expect, it } from 'vitest'
import { formatRate } from '../src/units.js'

describe('formatRate', () => {
  it('never prints a rate above zero as 0/s (load.rate 0.001 printed "target 0/s")', () => {
    expect(formatRate(0.001)).toBe('0.001/s')
    expect(formatRate(0.0042)).toBe('0.0042/s')
    expect(formatRate(0.5)).toBe('0.5/s')
    expect(formatRate(0)).toBe('0/s')
    expect(formatRate(2000)).toBe('2000/s')
  })
})
