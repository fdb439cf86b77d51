import type { Reporter } from '../plugin.js'
import type { LiveHop } from '../result.js'
import { formatCount, formatRate } from '../units.js'

/** One line per interval for logs and CI: elapsed, phase, rates, e2e p50/p99, in flight, lost, errors. */
export function createPlainReporter(write: (line: string) => void): Reporter {
  return {
    onRunStart(info) {
      const planned = Number.isFinite(info.measureSeconds)
        ? `${info.warmupSeconds + info.measureSeconds}s`
        : 'open-ended'
      write(
        `cdcb run ${info.runId} "${info.name}": ${info.source} → ${info.sink}, ${info.workers} workers, ${planned}` +
          (info.slo.length ? `, SLOs: ${info.slo.join('; ')}` : ''),
      )
    },
    onSnapshot(s) {
      if (s.phase === 'done') return
      const e = s.events
      const e2e = s.interval.e2e.count
        ? `e2e p50 ${ms(s.interval.e2e.p50!)} p99 ${ms(s.interval.e2e.p99!)}`
        : 'e2e –'
      write(
        [
          `[${s.elapsedSeconds.toFixed(1).padStart(6)}s]`,
          s.phase.padEnd(7),
          `target ${s.rate.target === null ? '–' : formatRate(s.rate.target)}`,
          `sent ${formatRate(s.rate.sent)}`,
          `seen ${formatRate(s.rate.achieved)}`,
          e2e,
          `unacked ${formatCount(e.inFlight)}`,
          `backlog ${formatCount(Math.max(0, e.sent - e.errors - e.observed))}`,
          `errors ${formatCount(e.errors)}`,
          ...(s.hops?.length ? [hopsLine(s.hops)] : []),
        ].join(' | '),
      )
    },
    onLog(message) {
      write(`cdcb: ${message}`)
    },
  }
}

/** `hops p50/p99 source 1.20ms/4.50ms connector –`: the last interval's, in pipeline order. */
function hopsLine(hops: readonly LiveHop[]): string {
  const each = hops.map((h) =>
    h.interval.count > 0 ? `${h.name} ${ms(h.interval.p50!)}/${ms(h.interval.p99!)}` : `${h.name} –`,
  )
  return `hops p50/p99 ${each.join(' ')}`
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(value < 10 ? 2 : 1)}ms`
}
