/**
 * The open-model schedule: when each operation should start.
 *
 * The rate is piecewise linear in time (constant stages, ramps, bursts as jumps),
 * so the number of operations due by time t, N(t), is piecewise quadratic and
 * operation `seq` is intended at the t where N(t) = seq. A slow target never
 * moves these times; late operations are sent late and measured from here.
 */

/** One piece of the schedule: the rate goes linearly from `fromRate` to `toRate` over `durationMicros`. */
export interface Segment {
  readonly startMicros: number
  readonly durationMicros: number
  readonly fromRate: number
  readonly toRate: number
  /** Operations due before this segment starts (real-valued). */
  readonly startCount: number
}

export interface Schedule {
  readonly segments: readonly Segment[]
  /** Length of the whole load phase, warmup included. */
  readonly totalMicros: number
  /** Operations the schedule plans in all. */
  readonly plannedOperations: number
}

/** A stage as resolved from config: hold `rate`, or ramp to `target`, over `durationMicros`. */
export type StagePlan = { durationMicros: number; rate: number } | { durationMicros: number; target: number }

/** Builds the schedule from an initial rate and stages; a stage with `rate` jumps, one with `target` ramps. */
export function createSchedule(initialRate: number, stages: readonly StagePlan[]): Schedule {
  const segments: Segment[] = []
  let start = 0
  let count = 0
  let level = initialRate
  for (const stage of stages) {
    const fromRate = 'rate' in stage ? stage.rate : level
    const toRate = 'rate' in stage ? stage.rate : stage.target
    segments.push({
      startMicros: start,
      durationMicros: stage.durationMicros,
      fromRate,
      toRate,
      startCount: count,
    })
    count += ((fromRate + toRate) / 2) * (stage.durationMicros / 1e6)
    start += stage.durationMicros
    level = toRate
  }
  // Floating error must not invent or drop an operation at the end: round near-integers.
  const rounded = Math.round(count)
  const planned = Math.abs(count - rounded) < 1e-6 ? rounded : Math.ceil(count)
  return { segments, totalMicros: start, plannedOperations: planned }
}

/** Offset from the schedule's start, in microseconds, at which operation `seq` is intended. */
export function intendedOffset(schedule: Schedule, seq: number, hint = 0): number {
  const { segments } = schedule
  let i = Math.min(hint, segments.length - 1)
  while (i > 0 && segments[i]!.startCount > seq) i--
  while (i + 1 < segments.length && segments[i + 1]!.startCount <= seq) i++
  return offsetIn(segments[i]!, seq)
}

/** Index of the segment holding `seq`, to pass back as the next call's hint. */
export function segmentIndexOf(schedule: Schedule, seq: number, hint = 0): number {
  const { segments } = schedule
  let i = Math.min(hint, segments.length - 1)
  while (i + 1 < segments.length && segments[i + 1]!.startCount <= seq) i++
  return i
}

function offsetIn(segment: Segment, seq: number): number {
  const n = seq - segment.startCount
  const seconds = segment.durationMicros / 1e6
  const r0 = segment.fromRate
  const slope = (segment.toRate - r0) / seconds // rate change per second
  let t: number
  if (Math.abs(slope) < 1e-9) t = n / r0
  else t = (-r0 + Math.sqrt(Math.max(0, r0 * r0 + 2 * slope * n))) / slope
  return segment.startMicros + t * 1e6
}

/** The planned rate (events/s) at `offsetMicros` from the start. */
export function rateAt(schedule: Schedule, offsetMicros: number): number {
  for (const segment of schedule.segments) {
    if (offsetMicros < segment.startMicros + segment.durationMicros) {
      const into = Math.max(0, offsetMicros - segment.startMicros) / segment.durationMicros
      return segment.fromRate + (segment.toRate - segment.fromRate) * into
    }
  }
  return 0
}

/** Operations planned in [fromMicros, toMicros). */
export function plannedBetween(schedule: Schedule, fromMicros: number, toMicros: number): number {
  return countAt(schedule, toMicros) - countAt(schedule, fromMicros)
}

function countAt(schedule: Schedule, offsetMicros: number): number {
  let count = 0
  for (const s of schedule.segments) {
    const t = Math.min(Math.max(offsetMicros - s.startMicros, 0), s.durationMicros) / 1e6
    const seconds = s.durationMicros / 1e6
    count += s.fromRate * t + (((s.toRate - s.fromRate) / seconds) * (t * t)) / 2
  }
  return count
}
