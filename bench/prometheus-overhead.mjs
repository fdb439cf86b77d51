// Does serving /metrics slow the hot path? Runs the memory pipeline at 200,000
// events/s with 2 workers through the real CLI, with --prometheus (scraped every
// second, as a Prometheus would) and without, in alternating order, and prints
// the achieved throughput of each run (from its --out JSON) and the ratio
// with / without. The issue asks for a cost under 2 % (ratio ≥ 0.98).
// On a loaded machine whole-run throughput varies by several per cent between
// identical runs, so it also times, in process, what the exporter does per
// interval (update from a snapshot + one scrape) as a share of one core.
// Usage: node bench/prometheus-overhead.mjs [seconds per run, default 20] [pairs, default 3]
import './node24.mjs'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { CLI } from './lib.mjs'

const seconds = Number(process.argv[2] ?? 20)
const pairs = Number(process.argv[3] ?? 3)
const RATE = 200_000

const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-prom-bench-'))
const config = path.join(dir, 'bench.config.json')
writeFileSync(
  config,
  JSON.stringify({
    name: 'prometheus-overhead',
    source: { plugin: 'memory' },
    sink: { plugin: 'memory' },
    workers: 2,
    load: { rate: RATE, duration: `${seconds}s`, warmup: '2s' },
  }),
)

async function run(label, withPrometheus) {
  const out = path.join(dir, `${label}.json`)
  const args = [CLI, 'run', '--config', config, '--out', out, '--quiet']
  if (withPrometheus) args.push('--prometheus', '127.0.0.1:0')
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CI: '1' },
  })
  let stderr = ''
  let scrapes = 0
  let bytes = 0
  let scraper
  child.stderr.on('data', (chunk) => {
    stderr += chunk
    const url = /serving Prometheus metrics on (http:\S+)/.exec(stderr)?.[1]
    if (url && !scraper) {
      scraper = setInterval(() => {
        fetch(url)
          .then((r) => r.text())
          .then((text) => {
            scrapes++
            bytes = text.length
          })
          .catch(() => {})
      }, 1000)
    }
  })
  const code = await new Promise((resolve) => child.on('close', resolve))
  if (scraper) clearInterval(scraper)
  if (code !== 0) throw new Error(`${label}: cdcb exited ${code}\n${stderr}`)
  const result = JSON.parse(readFileSync(out, 'utf8'))
  return { achieved: result.rate.achieved, scrapes, bytes }
}

// In process: the exporter's work per one-second interval, with a scrape each interval.
{
  const { startPrometheusExporter } = await import(
    new URL('../packages/cli/dist/results/prometheus.js', import.meta.url).href
  )
  const exporter = await startPrometheusExporter('127.0.0.1:0')
  exporter.reporter.onRunStart({ runId: 'bench', name: 'bench' })
  const latency = { count: 1000, p50: 1, p95: 2, p99: 3, p999: 4, max: 5, mean: 1.2 }
  const summaries = { e2e: latency, ack: latency, lag: latency, detect: latency }
  const snapshot = (i) => ({
    runId: 'bench',
    phase: 'measure',
    elapsedSeconds: i,
    progress: 0.5,
    rate: { target: RATE, sent: RATE, achieved: RATE },
    interval: summaries,
    total: summaries,
    events: {
      sent: i * RATE,
      acked: i * RATE,
      observed: i * RATE,
      inFlight: 10,
      duplicates: 0,
      outOfOrder: 0,
      late: 0,
      errors: 0,
      corrupt: 0,
      lost: 0,
    },
    lateShare: 0,
    errors: [],
    slo: [{ expression: 'e2e.p99 < 1s', actual: 3, passed: true }],
  })
  const n = 500
  for (let i = 1; i <= 50; i++) {
    exporter.reporter.onSnapshot(snapshot(i))
    await (await fetch(exporter.url)).text()
  }
  const cpu0 = process.cpuUsage()
  for (let i = 51; i <= 50 + n; i++) {
    exporter.reporter.onSnapshot(snapshot(i))
    await (await fetch(exporter.url)).text()
  }
  const cpu = process.cpuUsage(cpu0)
  await exporter.close()
  const msPerInterval = (cpu.user + cpu.system) / 1000 / n
  console.log(
    `exporter in process: ${msPerInterval.toFixed(3)} ms CPU per interval (update + one scrape, client side included) = ${((msPerInterval / 1000) * 100).toFixed(3)}% of one core at 1 s intervals`,
  )
}

const rows = []
for (let i = 0; i < pairs; i++) {
  // Alternate which goes first so drift in the machine's load hits both alike.
  const order = i % 2 === 0 ? [false, true] : [true, false]
  for (const withPrometheus of order) {
    const label = `${withPrometheus ? 'prom' : 'plain'}-${i}`
    const r = await run(label, withPrometheus)
    rows.push({ withPrometheus, ...r })
    console.log(
      `${label.padEnd(8)} achieved ${Math.round(r.achieved).toLocaleString('en-US').padStart(8)}/s` +
        (withPrometheus ? `  scrapes ${r.scrapes}, /metrics ${r.bytes} bytes` : '') +
        `  load ${loadavg()[0].toFixed(2)}`,
    )
  }
}
if (rows.length === 0) process.exit(0)
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const withP = mean(rows.filter((r) => r.withPrometheus).map((r) => r.achieved))
const without = mean(rows.filter((r) => !r.withPrometheus).map((r) => r.achieved))
console.log(`target ${RATE.toLocaleString('en-US')}/s, ${pairs} pairs of ${seconds}s, 2 workers`)
console.log(`mean achieved: with --prometheus ${Math.round(withP)}/s, without ${Math.round(without)}/s`)
console.log(`ratio with / without: ${(withP / without).toFixed(4)} (issue: ≥ 0.98)`)
