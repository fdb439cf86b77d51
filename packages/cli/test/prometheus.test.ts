import type { RunSnapshot } from '@cdcb/core'
import { LATENCY_METRICS } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { startPrometheusExporter } from '../src/results/prometheus.js'

/** One live snapshot whose latencies are those of a fast pipeline: tens of microseconds. */
function snapshot(): RunSnapshot {
  const latency = {
    count: 10,
    p50: 0.042,
    p95: 0.07,
    p99: 0.123,
    p999: 0.3,
    max: 0.3,
    mean: 0.05,
    belowZero: 0,
    aboveRange: 0,
  }
  const summaries = Object.fromEntries(LATENCY_METRICS.map((m) => [m, latency])) as RunSnapshot['interval']
  return {
    runId: 'p1',
    phase: 'measure',
    elapsedSeconds: 3,
    progress: 0.3,
    rate: { target: 100, sent: 100.1 + 0.2, achieved: 99.7 },
    interval: summaries,
    total: summaries,
    events: {
      sent: 300,
      acked: 300,
      observed: 300,
      inFlight: 0,
      foreign: 0,
      duplicates: 0,
      outOfOrder: 0,
      late: 0,
      errors: 0,
      corrupt: 0,
      lost: null,
      unresolved: 0,
    },
    lateShare: 0,
    errors: [],
    slo: [
      {
        expression: 'late < 1%',
        actual: 0.1 + 0.2,
        unit: '%',
        threshold: 1,
        passed: true,
        status: 'passed',
      },
    ],
  }
}

describe('the /metrics endpoint', () => {
  it('serves latencies and computed figures without float noise', async () => {
    // Found by a fresh user: cdcb_latency_seconds read 0.000042000000000000004 for 0.042 ms.
    const exporter = await startPrometheusExporter('127.0.0.1:0')
    try {
      exporter.reporter.onRunStart?.({ runId: 'p1', name: 'noise' } as never)
      await exporter.reporter.onSnapshot?.(snapshot())
      const text = await (await fetch(exporter.url)).text()
      expect(text).toContain(
        'cdcb_latency_seconds{run_id="p1",name="noise",metric="e2e",quantile="0.5",window="interval"} 0.000042\n',
      )
      expect(text).toContain('quantile="0.99",window="run"} 0.000123\n')
      expect(text).toContain('cdcb_rate_events_per_second{run_id="p1",name="noise",kind="sent"} 100.3\n')
      expect(text).toContain(
        'cdcb_slo_actual{run_id="p1",name="noise",expression="late < 1%",unit="%"} 0.3\n',
      )
      // Every sample value is written in at most 12 significant digits: no 0000000000004 tails.
      expect(text).not.toMatch(/\d{13,}/)
    } finally {
      await exporter.close()
    }
  })
})
