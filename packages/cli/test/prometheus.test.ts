import type { RunResult, RunSnapshot } from '@cdcb/core'
import { LATENCY_METRICS } from '@cdcb/core'
import { describe, expect, it } from 'vitest'
import { startPrometheusExporter } from '../src/results/prometheus.js'
import { testPort } from './helpers.js'

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
    const exporter = await startPrometheusExporter(`127.0.0.1:${testPort()}`)
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

describe('the end of a run', () => {
  // Found by a fresh user: scraped every second, the last scrape still said phase="measure" with 15,997 of
  // 18,000 events sent; cdcb_events_lost, the lost == 0 verdict and phase done never appeared: the endpoint
  // closed as the run ended, between two scrapes.
  it('stays up after the run until a scrape has read the final state, then lets the run end', async () => {
    const exporter = await startPrometheusExporter(`127.0.0.1:${testPort()}`)
    try {
      exporter.reporter.onRunStart?.({ runId: 'p1', name: 'end' } as never)
      await exporter.reporter.onSnapshot?.(snapshot())
      const live = await (await fetch(exporter.url)).text()
      expect(live).toContain('cdcb_phase{run_id="p1",name="end",phase="measure"} 1\n')
      // The run's last snapshot and its result, as runBenchmark hands them over.
      const last = snapshot()
      const check = { ...last.slo[0]!, expression: 'lost == 0', actual: 0, unit: '', threshold: 0 }
      await exporter.reporter.onSnapshot?.({
        ...last,
        phase: 'done',
        events: { ...last.events, sent: 18_000, acked: 18_000, observed: 18_000, lost: 0 },
        slo: [check],
      })
      await exporter.reporter.onRunEnd?.({ exitCode: 0, status: 'passed' } as RunResult)

      const began = Date.now()
      const lingering = exporter.linger(10_000)
      // A scrape served before the linger timed out ends it: the final state was read.
      await new Promise((resolve) => setTimeout(resolve, 300))
      const final = await (await fetch(exporter.url)).text()
      expect(await lingering).toBe('scraped')
      expect(Date.now() - began).toBeLessThan(5_000)
      expect(final).toContain('cdcb_phase{run_id="p1",name="end",phase="done"} 1\n')
      expect(final).toContain('cdcb_phase{run_id="p1",name="end",phase="measure"} 0\n')
      expect(final).toContain('cdcb_events_sent_total{run_id="p1",name="end"} 18000\n')
      expect(final).toContain('cdcb_events_lost{run_id="p1",name="end"} 0\n')
      expect(final).toContain('cdcb_slo_passing{run_id="p1",name="end",expression="lost == 0"} 1\n')
      expect(final).toContain('cdcb_exit_code{run_id="p1",name="end"} 0\n')
    } finally {
      await exporter.close()
    }
  })

  it('gives up at the linger limit when nothing scrapes, and at once when aborted (Ctrl-C)', async () => {
    const exporter = await startPrometheusExporter(`127.0.0.1:${testPort()}`)
    try {
      exporter.reporter.onRunStart?.({ runId: 'p2', name: 'unscraped' } as never)
      await exporter.reporter.onRunEnd?.({ exitCode: 130, status: 'interrupted' } as RunResult)
      const began = Date.now()
      expect(await exporter.linger(300)).toBe('timeout')
      expect(Date.now() - began).toBeGreaterThanOrEqual(250)
      const stop = new AbortController()
      const lingering = exporter.linger(60_000, stop.signal)
      stop.abort()
      expect(await lingering).toBe('timeout')
    } finally {
      await exporter.close()
    }
  })
})
