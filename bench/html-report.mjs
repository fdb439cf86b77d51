// The HTML report for a 1-hour result: how long rendering and writing it takes
// and how big the file is, against writing the same result as JSON (--out) in
// the same run. The issue asks for under 1 s and under 2 MB.
// The result is made the way a run makes it: 3,600 one-second intervals and
// HDR histograms holding an hour of latencies at 2,000 events/s with a long tail.
// Usage: node bench/html-report.mjs [repeats, default 5]   (needs built packages)
import './node24.mjs'
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'

const require = createRequire(new URL('../packages/cli/package.json', import.meta.url))
const { createHistogram, encodeHistogram, summarize } = await import(require.resolve('@cdcb/core/runtime'))
const { renderHtml } = await import(new URL('../packages/cli/dist/results/html.js', import.meta.url).href)

const repeats = Number(process.argv[2] ?? 5)
const SECONDS = 3600
const RATE = 2000

let seed = 42
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
const histograms = {}
const metrics = {}
for (const [metric, median] of [
  ['e2e', 40_000],
  ['ack', 2_000],
  ['lag', 300],
  ['detect', 5_000],
]) {
  const h = createHistogram()
  for (let i = 0; i < SECONDS * RATE; i += 10) {
    const base = median * (0.5 + random())
    h.recordValueWithCount(Math.round(random() < 0.01 ? base * (1 + 200 * random()) : base), 10)
  }
  histograms[metric] = encodeHistogram(h)
  metrics[metric] = summarize(h)
}
const intervals = Array.from({ length: SECONDS }, (_, i) => ({
  t: i + 1.003,
  phase: i < 60 ? 'warmup' : 'measure',
  targetRate: RATE,
  sentRate: RATE + Math.round((random() - 0.5) * 40),
  achievedRate: i >= 1800 && i < 1805 ? 0 : RATE + Math.round((random() - 0.5) * 40),
  e2eP50: 40 + random() * 5,
  e2eP99: 90 + random() * 50,
  lagP99: 0.3 + random(),
  inFlight: Math.round(random() * 100),
  errors: 0,
}))
const events = {
  sent: SECONDS * RATE,
  acked: SECONDS * RATE,
  observed: SECONDS * RATE,
  inFlight: 0,
  duplicates: 0,
  outOfOrder: 0,
  late: 0,
  errors: 0,
  corrupt: 0,
  lost: 0,
}
const result = {
  schemaVersion: 1,
  runId: 'bench',
  name: 'one hour',
  status: 'passed',
  exitCode: 0,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T01:00:05.000Z',
  workers: 2,
  source: 'memory',
  sink: 'memory',
  timeBase: 'memory pipeline delivery time',
  slo: { passed: true, checks: [{ expression: 'e2e.p99 < 1s', actual: metrics.e2e.p99, passed: true }] },
  metrics,
  rate: { target: RATE, sent: RATE, achieved: RATE },
  events,
  operations: { insert: events.sent, update: 0, delete: 0 },
  lateShare: 0,
  measuredSeconds: SECONDS - 60,
  errors: [],
  verification: null,
  warnings: [],
  intervals,
  histograms,
  plugins: { source: {}, sink: {} },
}

const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-html-bench-'))
const time = (label, render) => {
  const file = path.join(dir, label)
  const ms = []
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    writeFileSync(file, render())
    ms.push(performance.now() - t0)
  }
  ms.sort((a, b) => a - b)
  return { median: ms[Math.floor(ms.length / 2)], max: ms.at(-1), bytes: statSync(file).size }
}
const json = time('result.json', () => `${JSON.stringify(result, null, 2)}\n`)
const html = time('report.html', () => renderHtml(result))
const mb = (b) => (b / 1e6).toFixed(2)
console.log(`1-hour result: ${SECONDS} intervals, ${repeats} repeats each (medians; max in brackets)`)
console.log(`  JSON (--out)   ${json.median.toFixed(1)} ms (${json.max.toFixed(1)})  ${mb(json.bytes)} MB`)
console.log(`  HTML (--html)  ${html.median.toFixed(1)} ms (${html.max.toFixed(1)})  ${mb(html.bytes)} MB`)
console.log(
  `  ratio HTML / JSON: time ${(html.median / json.median).toFixed(2)}, size ${(html.bytes / json.bytes).toFixed(2)}`,
)
console.log(
  `  target: < 1000 ms and < 2 MB → ${html.max < 1000 && html.bytes < 2e6 ? 'met' : 'NOT met'} (worst ${html.max.toFixed(0)} ms, ${mb(html.bytes)} MB)`,
)
