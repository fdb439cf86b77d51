import type { Reporter } from '../plugin.js'
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
          `target ${formatRate(s.rate.target)}`,
          `sent ${formatRate(s.rate.sent)}`,
          `seen ${formatRate(s.rate.achieved)}`,
          e2e,
          `unacked ${formatCount(e.inFlight)}`,
          `backlog ${formatCount(Math.max(0, e.sent - e.errors - e.observed))}`,
          `errors ${formatCount(e.errors)}`,
        ].join(' | '),
      )
    },
    onLog(message) {
      write(`cdcb: ${message}`)
    },
  }
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(value < 10 ? 2 : 1)}ms`
}
