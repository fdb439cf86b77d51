// Issue #12: single-row write throughput of the Cassandra source against a bare
// cassandra-driver loop writing identical rows (bench/cassandra-raw-writer.mjs),
// closed model, `concurrency` writers, on the node services/ starts (or the one
// already up). cassandra-stress is not on Maven Central for 5.0, so the driver
// loop is the peer. Runs alternate (raw, cdcb, cdcb, raw …) so drift in the
// machine's load hits both about equally.
// Usage: node bench/cassandra-source-throughput.mjs [seconds per run, default 10] [rounds, default 2] [concurrency, default 64]
import './node24.mjs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { down, up } from '../services/index.mjs'
import { median } from './kafka-lib.mjs'
import { runCdcb } from './lib.mjs'

const seconds = Number(process.argv[2] ?? 10)
const rounds = Number(process.argv[3] ?? 2)
const concurrency = Number(process.argv[4] ?? 64)
const warmup = 2
const size = 200

const node = await up('cassandra')
const contactPoint = node.address
try {
  const raw = []
  const cdcb = []
  const ratios = []
  const runRaw = async (round) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        new URL('./cassandra-raw-writer.mjs', import.meta.url).pathname,
        contactPoint,
        `bench_raw_${process.pid}`,
        String(concurrency),
        String(warmup),
        String(seconds),
        String(size),
      ],
      { cwd: new URL('..', import.meta.url).pathname },
    )
    raw.push(JSON.parse(stdout).rate)
    console.log(`round ${round + 1}: bare cassandra-driver loop ${Math.round(raw.at(-1))}/s`)
  }
  const runSource = async (round) => {
    const { result } = await runCdcb({
      name: 'cassandra-source-throughput',
      source: {
        plugin: 'cassandra',
        options: { contactPoints: [contactPoint], keyspace: `bench_cdcb_${process.pid}` },
      },
      // The memory sink sees nothing of Cassandra: only the source is measured.
      sink: { plugin: 'memory' },
      workers: 1,
      load: {
        concurrency,
        warmup: `${warmup}s`,
        duration: `${seconds}s`,
        payloadSize: size,
        keys: 100_000,
        drainTimeout: '100ms',
      },
    })
    cdcb.push(result.rate.sent)
    console.log(
      `round ${round + 1}: cdcb cassandra source ${Math.round(result.rate.sent)}/s (ack p50 ${result.metrics.ack.p50}ms, errors ${result.events.errors})`,
    )
  }
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await runRaw(round)
      await runSource(round)
    } else {
      await runSource(round)
      await runRaw(round)
    }
    ratios.push(cdcb.at(-1) / raw.at(-1))
  }
  console.log('')
  console.log(
    `cdcb cassandra source: ${Math.round(median(cdcb))}/s, bare driver loop: ${Math.round(median(raw))}/s (medians of ${rounds}; 1 worker, ${concurrency} writers, ${size} B payload, LOCAL_QUORUM, single-row prepared INSERT/DELETE)`,
  )
  console.log(
    `ratio cdcb/raw per round: ${ratios.map((r) => r.toFixed(3)).join(', ')}; median ${median(ratios).toFixed(3)}`,
  )
} finally {
  if (node.startedByUs) await down('cassandra')
}
