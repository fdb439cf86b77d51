import './node24.mjs'
// Issue 11: the highest rate each Debezium example sustains with e2e p99 < 1 s,
// nothing lost and every key verified, and where the CPU goes at that rate
// (Debezium, the rest of Connect, Kafka, PostgreSQL, cdcb); the baseline in the
// same run is PostgreSQL's native logical replication (the quickstart pipeline)
// on the same embedded server and ladder of rates.
//
// Needs `npm run services -- up kafka connect` (KAFKA_PORT / CONNECT_PORT as for it).
// Usage: node bench/connect-debezium.mjs [measured seconds per trial, default 15] [first rate, default 250]
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmbeddedDatabases } from '../packages/plugin-postgres/dist/quickstart.js'
import { CLI } from './lib.mjs'
import { postgresTicks, servicePid, TICKS_PER_SECOND, threadTicksById, treeTicks } from './proc.mjs'

const seconds = Number(process.argv[2] ?? 15)
const firstRate = Number(process.argv[3] ?? 250)
const root = fileURLToPath(new URL('..', import.meta.url))

const PIPELINES = {
  'postgres-logical-replication (baseline)': 'examples/postgres-logical-replication/bench.config.ts',
  'postgres-debezium-kafka': 'examples/postgres-debezium-kafka/bench.config.ts',
  'postgres-debezium-jdbc-postgres': 'examples/postgres-debezium-jdbc-postgres/bench.config.ts',
}

/**
 * CPU ticks so far of each process of the pipeline. Connect's total is its
 * process's (monotonic: it keeps the time of threads that ended); its Debezium
 * threads are read per thread id, so a thread that ends between two samples
 * never makes a share negative.
 */
function sample(cdcbPid, port) {
  const connect = servicePid('connect')
  return {
    connectTotal: treeTicks(connect),
    debeziumThreads: threadTicksById(connect, (name) => name.startsWith('debezium')),
    Kafka: treeTicks(servicePid('kafka')),
    PostgreSQL: postgresTicks(port),
    cdcb: treeTicks(cdcbPid),
  }
}

/** Cores used per process between two samples `seconds` apart. */
function coresBetween(before, after, seconds) {
  const cores = (ticks) => ticks / TICKS_PER_SECOND / seconds
  let debezium = 0
  for (const [tid, ticks] of after.debeziumThreads) debezium += ticks - (before.debeziumThreads.get(tid) ?? 0)
  const connect = after.connectTotal - before.connectTotal
  return {
    Debezium: cores(debezium),
    'Connect (worker, JDBC sink, JVM)': cores(connect - debezium),
    Kafka: cores(after.Kafka - before.Kafka),
    PostgreSQL: cores(after.PostgreSQL - before.PostgreSQL),
    cdcb: cores(after.cdcb - before.cdcb),
  }
}

async function trial(configPath, rate, databases) {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'cdcb-bench-')), 'result.json')
  const child = spawn(
    process.execPath,
    [
      CLI,
      'run',
      '--config',
      configPath,
      '--rate',
      String(rate),
      '--duration',
      `${seconds}s`,
      '--out',
      out,
      '--quiet',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CI: '1', SOURCE_URL: databases.sourceUrl, TARGET_URL: databases.targetUrl },
    },
  )
  // Samples every half second; the CPU figure is taken over the run's own load phase (from its result), less
  // its first second, so setup, connectors, warmup's start, drain and teardown stay out of it.
  const samples = []
  const sampler = setInterval(
    () => samples.push({ at: Date.now(), ticks: sample(child.pid, databases.port) }),
    500,
  )
  await new Promise((resolve) => child.on('close', resolve))
  clearInterval(sampler)
  let result
  try {
    result = JSON.parse(readFileSync(out, 'utf8'))
  } finally {
    // One folder per trial: removed once read (runs of this bench had left dozens in the temp dir).
    rmSync(path.dirname(out), { recursive: true, force: true })
  }
  // The schedule's start (epoch µs) and the load phase's length bound the window.
  const loadFrom = result.start.actualMicros / 1000
  const loadTo = loadFrom + (result.phases.find((p) => p.name === 'load')?.seconds ?? 0) * 1000
  const inside = samples.filter((s) => s.at >= loadFrom + 1000 && s.at <= loadTo)
  let cpu = {}
  if (inside.length >= 2) {
    const [first, last] = [inside[0], inside[inside.length - 1]]
    cpu = coresBetween(first.ticks, last.ticks, (last.at - first.at) / 1000)
  }
  return { result, cpu }
}

function describe(rate, { result, cpu }) {
  const e2e = result.metrics.e2e
  const hops = result.hops.map((h) => `${h.name} p50 ${h.latency.p50} p99 ${h.latency.p99}`).join(', ')
  const shares = Object.entries(cpu)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
    .join(', ')
  return (
    `  rate ${rate}/s: sent ${result.rate.sent}/s, at sink ${result.rate.achieved}/s, e2e p50 ${e2e.p50} p99 ${e2e.p99} ms, ` +
    `lost ${result.events.lost}, verified ${result.verification ? `${result.verification.checked - result.verification.mismatched}/${result.verification.checked}` : '–'}` +
    (hops ? `\n    hops (ms): ${hops}` : '') +
    (shares ? `\n    CPU (cores): ${shares}` : '')
  )
}

const holds = (rate, { result }) =>
  result.metrics.e2e.count > 0 &&
  result.metrics.e2e.p99 < 1000 &&
  result.events.lost === 0 &&
  result.events.errors === 0 &&
  result.rate.sent >= rate * 0.99 &&
  (result.verification?.mismatched ?? 1) === 0

const databases = await startEmbeddedDatabases()
const best = {}
try {
  console.log(
    `load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (2 cores)`,
  )
  for (const [name, config] of Object.entries(PIPELINES)) {
    console.log(
      `${name}: trials of ${seconds}s (after the example's warmup), doubling from ${firstRate}/s until e2e p99 ≥ 1s or a loss`,
    )
    best[name] = null
    for (let rate = firstRate; rate <= 64_000; rate *= 2) {
      const outcome = await trial(config, rate, databases)
      console.log(describe(rate, outcome))
      if (!holds(rate, outcome)) break
      best[name] = { rate, cpu: outcome.cpu }
    }
  }
} finally {
  await databases.stop()
}
const baseline = best['postgres-logical-replication (baseline)']?.rate
console.log(
  '\nhighest rate held (e2e p99 < 1s, nothing lost, all verified), ratio to native logical replication:',
)
for (const [name, b] of Object.entries(best)) {
  const ratio = b && baseline ? ` (${(b.rate / baseline).toFixed(2)}× baseline)` : ''
  const limit = b ? Object.entries(b.cpu).sort((x, y) => y[1] - x[1])[0] : undefined
  console.log(
    `  ${name}: ${b ? `${b.rate}/s${ratio}; busiest at that rate: ${limit ? `${limit[0]} ${limit[1].toFixed(2)} cores` : '–'}` : `none (failed at ${firstRate}/s)`}`,
  )
}
