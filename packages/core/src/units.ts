/** A duration as written in a config: `"50ms"`, `"1.5s"`, `"2m"`, `"1h"`, or a number of milliseconds. */
export type Duration = string | number

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)\s*$/
const MICROS_PER_UNIT: Record<string, number> = { us: 1, µs: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 }

/** Parses a duration into microseconds, or returns undefined when it is not one. */
export function parseDurationMicros(value: Duration): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1e3 : undefined
  const match = DURATION.exec(value)
  if (!match) return undefined
  return Number(match[1]) * MICROS_PER_UNIT[match[2]!]!
}

/** Human form of a duration given in microseconds: `850us`, `12.3ms`, `4.20s`, `3m05s`. */
export function formatMicros(micros: number): string {
  if (!Number.isFinite(micros)) return '-'
  const abs = Math.abs(micros)
  if (abs < 1e3) return `${Math.round(micros)}us`
  if (abs < 1e6) return `${(micros / 1e3).toFixed(abs < 1e4 ? 2 : 1)}ms`
  if (abs < 60e6) return `${(micros / 1e6).toFixed(2)}s`
  const totalSeconds = Math.round(micros / 1e6)
  return `${Math.floor(totalSeconds / 60)}m${String(totalSeconds % 60).padStart(2, '0')}s`
}

/** Human form of a rate: `0.67/s`, `950/s`, `12.3k/s`, `1.02M/s`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-'
  // Below 100/s rounding to a whole event would misstate the rate (0.5/s is not 1/s).
  // Below 0.01/s two decimals would print 0/s for a rate that is not 0: two significant digits instead.
  if (perSecond > 0 && perSecond < 0.01) return `${Number(perSecond.toPrecision(2))}/s`
  if (perSecond < 100 && !Number.isInteger(perSecond)) return `${Number(perSecond.toFixed(2))}/s`
  if (perSecond < 1e4) return `${Math.round(perSecond)}/s`
  if (perSecond < 1e6) return `${(perSecond / 1e3).toFixed(1)}k/s`
  return `${(perSecond / 1e6).toFixed(2)}M/s`
}

/** Thousands separators for counts. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** A window's offsets as people write them: 0s, 45s, 1m, 1m30s, 1h2m. */
export function formatOffset(seconds: number): string {
  const s = Math.round(seconds * 1000) / 1000
  if (s < 60) return `${s}s`
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = Math.round((s % 60) * 1000) / 1000
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${rest > 0 ? `${rest}s` : ''}`
}

/** `1 operation`, `2 operations`: a count and its noun, plural unless the count is 1. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
