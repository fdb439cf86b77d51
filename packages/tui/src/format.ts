/** Short number forms for narrow table cells; the summary at the end keeps full precision. */

/** A latency in milliseconds in at most six characters: `0.42`, `12.3`, `412`, `12.4s`; `-` when nothing was recorded. */
export function formatMs(ms: number, recorded = true): string {
  if (!recorded || !Number.isFinite(ms)) return '-'
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

/** An SLO's live value in its expression's unit (ms for latencies, /s for throughput, % for rates, else a count). */
export function formatSloValue(expression: string, actual: number | null): string {
  if (actual === null) return 'no data'
  const metric = expression.trim().split(/[\s.<>=!]/, 1)[0]
  if (metric === 'e2e' || metric === 'ack' || metric === 'lag' || metric === 'detect') {
    return `${formatMs(actual)}ms`
  }
  if (metric === 'throughput') return `${formatShortRate(actual)}/s`
  if (metric === 'errors' || metric === 'late' || metric === 'verified') return `${round(actual)}%`
  return `${round(actual)}`
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 0 : 2)
}
