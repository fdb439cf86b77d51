import { describe, expect, it } from 'vitest'
import { createSchedule, intendedOffset, plannedBetween, rateAt } from '../../src/load/schedule.js'

describe('open-model schedule', () => {
  it('spaces a constant rate evenly', () => {
    const schedule = createSchedule(1000, [{ durationMicros: 10e6, rate: 1000 }])
    expect(schedule.plannedOperations).toBe(10_000)
    expect(intendedOffset(schedule, 0)).toBe(0)
    expect(intendedOffset(schedule, 1)).toBeCloseTo(1000)
    expect(intendedOffset(schedule, 9999)).toBeCloseTo(9_999_000)
  })

  it('ramps linearly: operations get denser as the rate climbs', () => {
    const schedule = createSchedule(0, [{ durationMicros: 10e6, target: 2000 }])
    expect(schedule.plannedOperations).toBe(10_000)
    // N(t) = 100 t²: half the operations are due at t = sqrt(50) s.
    expect(intendedOffset(schedule, 5000) / 1e6).toBeCloseTo(Math.sqrt(50), 4)
    expect(rateAt(schedule, 5e6)).toBeCloseTo(1000)
  })

  it('jumps for a burst and counts each stage', () => {
    const schedule = createSchedule(100, [
      { durationMicros: 10e6, rate: 100 },
      { durationMicros: 5e6, rate: 5000 },
      { durationMicros: 10e6, rate: 100 },
    ])
    expect(schedule.plannedOperations).toBe(1000 + 25_000 + 1000)
    expect(intendedOffset(schedule, 1000)).toBeCloseTo(10e6)
    expect(intendedOffset(schedule, 1000 + 5000)).toBeCloseTo(11e6)
    expect(intendedOffset(schedule, 26_000)).toBeCloseTo(15e6)
    expect(plannedBetween(schedule, 10e6, 15e6)).toBeCloseTo(25_000)
    expect(rateAt(schedule, 12e6)).toBe(5000)
  })

  it('never schedules an operation out of order', () => {
    const schedule = createSchedule(50, [
      { durationMicros: 3e6, target: 3000 },
      { durationMicros: 2e6, rate: 10 },
      { durationMicros: 3e6, target: 800 },
    ])
    let previous = -1
    for (let seq = 0; seq < schedule.plannedOperations; seq++) {
      const offset = intendedOffset(schedule, seq)
      expect(offset).toBeGreaterThanOrEqual(previous)
      expect(offset).toBeLessThanOrEqual(schedule.totalMicros)
      previous = offset
    }
  })
})
