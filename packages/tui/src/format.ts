/** Short number forms for narrow table cells; the summary at the end keeps full precision. */
import { formatActual, formatOffset, type SloCheck } from '@cdcb/core'

/** A latency in milliseconds in at most six characters: `0.42`, `12.3`, `412`, `12.4s`; `-` when nothing was recorded. */
export function formatMs(ms: number | null, recorded = true): string {
  if (!recorded || ms === null || !Number.isFinite(ms)) return '–'
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)}s`
  if (ms >= 100) return ms.toFixed(0)
  if (ms >= 10) return ms.toFixed(1)
  return ms.toFixed(2)
}

/** A rate in events/s with a k/M suffix: `950`, `12.3k`, `1.02M`. */
export function formatShortRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-'
  const abs = Math.abs(perSecond)
  if (abs < 1e4) return `${Math.round(perSecond)}`
  if (abs < 1e6) return `${(perSecond / 1e3).toFixed(abs < 1e5 ? 1 : 0)}k`
  return `${(perSecond / 1e6).toFixed(2)}M`
}

/** Seconds as `m:ss` (or `h:mm:ss`). */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '∞'
  const total = Math.max(0, Math.round(seconds))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = String(total % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

/** A share 0..1 as a percentage with two decimals. */
export function formatShare(share: number): string {
  return `${(share * 100).toFixed(2)}%`
}

/**
 * An SLO's value in its unit, short; when the short form would read as the
 * threshold while the verdict says otherwise, with the digits the verdict needs
 * (core's `formatActual`, as the summary prints it).
 */
export function formatSloValue(check: SloCheck): string {
  const { actual, unit, threshold } = check
  if (actual === null) return 'no data'
  const short =
    unit === 'ms'
      ? formatMs(actual)
      : unit === '/s'
        ? formatShortRate(actual)
        : Number.isInteger(actual)
          ? String(actual)
          : actual.toFixed(actual >= 100 ? 0 : 2)
  const value = Number(short.replace(/[ks]$/, ''))
  if (actual !== threshold && (value === threshold || (unit === 'ms' && short.endsWith('s')))) {
    return formatActual(actual, unit, threshold)
  }
  return `${short}${unit === 'ms' && !short.endsWith('s') ? 'ms' : unit}`
}

/**
 * A windowed check's windows in a few words: where it first failed and how
 * often (`in 2s–4s, 1 of 3 windows of 2s`), or over how many it held; '' for a
 * check without windows.
 */
export function formatWindows(check: SloCheck): string {
  const w = check.windows
  if (!w) return ''
  const length = formatOffset(w.seconds)
  const first = w.failing[0]
  if (w.failed === 0 || !first) return `worst of ${w.count} windows of ${length}`
  return `in ${formatOffset(first.start)}–${formatOffset(first.end)}, ${w.failed} of ${w.count} windows of ${length}`
}
