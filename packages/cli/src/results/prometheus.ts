/**
 * `cdcb run --prometheus HOST:PORT`: a live /metrics endpoint (prom-client) for
 * a Prometheus server to scrape while the run goes. Values are updated once per
 * interval from the snapshot reporters receive, so serving them costs nothing
 * per event. Every series carries `run_id` and `name`.
 *
 * Latency is exported as quantile gauges (`cdcb_latency_seconds{metric,
 * quantile, window}`), read from cdcb's own HDR histograms: a Prometheus
 * histogram would need every event observed a second time.
 *
 * Prometheus pulls, and a run ends between two scrapes: closing at once would
 * leave the last scrape in `measure` or `drain`, never showing `done`, the
 * final counters, loss or the SLO verdicts. So the final state is published
 * when the run ends and the endpoint lingers (`--prometheus-linger`) until one
 * scrape has read it, as a short-lived job must for a pull-based server.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Reporter, RunResult, RunSnapshot } from '@cdcb/core'
import { ConfigError, LATENCY_METRICS } from '@cdcb/core'
import { Counter, Gauge, Registry } from 'prom-client'

/** A running /metrics endpoint and the reporter that feeds it. */
export interface PrometheusExporter {
  /** `http://host:port/metrics`, with the port the system chose when 0 was asked for. */
  readonly url: string
  readonly reporter: Reporter
  /**
   * Called once the run ended (its final state published by `onRunEnd`): keeps serving until a scrape has
   * read that state or `maxMs` passed or `signal` aborts. Resolves `scraped` or `timeout` (an abort counts as one).
   */
  linger(maxMs: number, signal?: AbortSignal): Promise<'scraped' | 'timeout'>
  close(): Promise<void>
}

const QUANTILES = [
  ['p50', '0.5'],
  ['p95', '0.95'],
  ['p99', '0.99'],
  ['p999', '0.999'],
  ['max', '1'],
] as const
const COUNTED = [
  'sent',
  'acked',
  'observed',
  'duplicates',
  'outOfOrder',
  'late',
  'errors',
  'corrupt',
] as const

/**
 * Milliseconds (µs precision, as the histograms give them) in seconds: µs
 * rounded, then divided, so 0.042 ms reads 0.000042, not the binary float
 * noise of 0.042 / 1000 (0.000042000000000000004).
 */
export function msToSeconds(ms: number): number {
  return Math.round(ms * 1e3) / 1e6
}

/** A computed figure (a rate, a share) without the float noise of its arithmetic: 12 significant digits. */
function tidy(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(12)) : value
}

/** Parses HOST:PORT (IPv6 in brackets); throws ConfigError (exit 2) naming the flag. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text)
  const port = match ? Number(match[2]) : Number.NaN
  if (!match || port > 65535) {
    throw new ConfigError(`--prometheus: expected HOST:PORT such as 127.0.0.1:9464, got "${text}"`)
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port }
}

/** Starts listening before the run, so a taken port fails fast (exit 2) and nothing is written. */
export async function startPrometheusExporter(address: string): Promise<PrometheusExporter> {
  const { host, port } = parseListenAddress(address)
  const registry = new Registry()
  const labels = ['run_id', 'name'] as const
  const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
  const counters = Object.fromEntries(
    COUNTED.map((key) => [
      key,
      new Counter({
        name: `cdcb_events_${snake(key)}_total`,
        help: `Events ${key === 'observed' ? 'observed (distinct) at the sink' : key}, cumulative over the run.`,
        labelNames: labels,
        registers: [registry],
      }),
    ]),
  ) as Record<(typeof COUNTED)[number], Counter<(typeof labels)[number]>>
  const gauge = (name: string, help: string, extra: string[] = []) =>
    new Gauge({ name, help, labelNames: [...labels, ...extra], registers: [registry] })
  const inFlight = gauge('cdcb_in_flight', 'Operations written but not yet acknowledged by the source.')
  const backlog = gauge(
    'cdcb_backlog',
    'Events sent, not failed, and not yet observed at the sink (sent − errors − observed), as recovery measures it.',
  )
  const lost = gauge(
    'cdcb_events_lost',
    'Acknowledged but never observed, after a drain that ended quiet; absent while unknown (before the drain ends, or when it was cut short or ended with deliveries still arriving).',
  )
  const rate = gauge(
    'cdcb_rate_events_per_second',
    'Events per second over the last interval: target (the schedule), sent, achieved (distinct at the sink).',
    ['kind'],
  )
  const latency = gauge(
    'cdcb_latency_seconds',
    "Latency quantiles from cdcb's HDR histograms; window=interval (the last one) or run (measured window so far).",
    ['metric', 'quantile', 'window'],
  )
  const phase = gauge('cdcb_phase', 'The run phase: 1 for the current one, 0 for the others.', ['phase'])
  const exitCode = gauge(
    'cdcb_exit_code',
    "The run's exit code once it ended: 0 passed, 1 an SLO failed, 3 runtime failure, 130 interrupted; absent while it runs.",
  )
  const sloPassing = gauge(
    'cdcb_slo_passing',
    'Whether an SLO check holds now: 1 yes, 0 no; absent while it cannot be judged yet (loss and verification after the drain, rates of a shard at merge).',
    ['expression'],
  )
  const sloActual = gauge(
    'cdcb_slo_actual',
    "An SLO check's measured value in the expression's unit, named by the unit label: ms for latencies (cdcb_latency_seconds is in seconds), /s for throughput, % for shares, empty for counts.",
    ['expression', 'unit'],
  )

  let base: { run_id: string; name: string } = { run_id: '', name: '' }
  let last: Record<string, number> = {}
  const update = (s: RunSnapshot) => {
    for (const key of COUNTED) {
      const delta = s.events[key] - (last[key] ?? 0)
      if (delta > 0) counters[key].inc(base, delta)
      last[key] = s.events[key]
    }
    inFlight.set(base, s.events.inFlight)
    backlog.set(base, Math.max(0, s.events.sent - s.events.errors - s.events.observed))
    // Unknown until the drain ended quiet (null): not exported rather than 0.
    if (s.events.lost === null) lost.remove(base)
    else lost.set(base, s.events.lost)
    // A closed model has no target (null): not exported rather than 0.
    if (s.rate.target === null) rate.remove({ ...base, kind: 'target' })
    else rate.set({ ...base, kind: 'target' }, tidy(s.rate.target))
    rate.set({ ...base, kind: 'sent' }, tidy(s.rate.sent))
    rate.set({ ...base, kind: 'achieved' }, tidy(s.rate.achieved))
    for (const p of ['starting', 'warmup', 'measure', 'drain', 'verify', 'done']) {
      phase.set({ ...base, phase: p }, p === s.phase ? 1 : 0)
    }
    for (const metric of LATENCY_METRICS) {
      for (const [window, summaries] of [
        ['interval', s.interval],
        ['run', s.total],
      ] as const) {
        const summary = summaries[metric]
        for (const [key, quantile] of QUANTILES) {
          const labelSet = { ...base, metric, quantile, window }
          // No samples: no value rather than a 0 ms latency.
          const value = summary[key]
          if (summary.count > 0 && value !== null) latency.set(labelSet, msToSeconds(value))
          else latency.remove(labelSet)
        }
      }
    }
    for (const check of s.slo) {
      const labels = { ...base, expression: check.expression }
      // Not measurable yet is unknown, not failing: the series is absent until the check is judged.
      if (check.status === 'skipped') sloPassing.remove(labels)
      else sloPassing.set(labels, check.passed ? 1 : 0)
      const withUnit = { ...labels, unit: check.unit }
      if (check.actual !== null && check.status !== 'skipped') sloActual.set(withUnit, tidy(check.actual))
      else sloActual.remove(withUnit)
    }
  }

  // The run's final state, published by onRunEnd; a scrape served after it ends the linger.
  let ended = false
  let scrapedFinal = false
  let onFinalScrape: (() => void) | undefined
  const finish = (result: RunResult) => {
    ended = true
    // An amended verdict (a teardown that failed) is news: a scrape before it did not read the final state.
    scrapedFinal = false
    for (const p of ['starting', 'warmup', 'measure', 'drain', 'verify', 'done'])
      phase.set({ ...base, phase: p }, p === 'done' ? 1 : 0)
    exitCode.set(base, result.exitCode)
  }

  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || !request.url?.startsWith('/metrics')) {
      response.writeHead(404).end('cdcb serves /metrics only\n')
      return
    }
    const final = ended
    registry.metrics().then(
      (text) =>
        response.writeHead(200, { 'Content-Type': registry.contentType }).end(text, () => {
          if (!final || !ended) return
          scrapedFinal = true
          onFinalScrape?.()
        }),
      (error: Error) => response.writeHead(500).end(`${error.message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          `--prometheus: cannot listen on ${address} (${error.code ?? error.message}) — choose a free port, e.g. --prometheus 127.0.0.1:0`,
        ),
      ),
    )
    server.listen(port, host, resolve)
  })
  const bound = server.address() as AddressInfo
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address
  return {
    url: `http://${shownHost}:${bound.port}/metrics`,
    reporter: {
      onRunStart(info) {
        base = { run_id: info.runId, name: info.name }
        last = {}
        // Present from the first scrape: a counter that never moved reads 0, not "no data".
        for (const key of COUNTED) counters[key].inc(base, 0)
      },
      onSnapshot: update,
      // The last snapshot (phase done, final counters, loss, SLO verdicts) came just before; add the verdict.
      onRunEnd: finish,
      onRunAmended: finish,
    },
    linger: (maxMs, signal) =>
      new Promise((resolve) => {
        const done = (how: 'scraped' | 'timeout') => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', aborted)
          onFinalScrape = undefined
          resolve(how)
        }
        const aborted = () => done('timeout')
        const timer = setTimeout(aborted, maxMs)
        onFinalScrape = () => done('scraped')
        if (scrapedFinal) done('scraped')
        else if (signal?.aborted) aborted()
        else signal?.addEventListener('abort', aborted, { once: true })
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
