// Issue 3: cdcb's single-row insert rate against pgbench on the same embedded
// PostgreSQL, 32 connections each, closed model (as fast as acknowledgements allow).
// Both insert the same row shape (cdcb's source table: marker + 100-char payload),
// one row per transaction. Runs alternate (pgbench, cdcb, pgbench, cdcb) so drift
// in the machine's load hits both. Target: cdcb >= 0.9 x pgbench.
// One cdcb worker by default: on 2 cores a second worker thread only competes with the server.
// Usage: node bench/postgres-insert-vs-pgbench.mjs [seconds per run, default 20] [rounds, default 2] [workers, default 1]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { runCdcb } from './lib.mjs'
import { startBenchDatabase } from './postgres-lib.mjs'

const seconds = Number(process.argv[2] ?? 20)
const rounds = Number(process.argv[3] ?? 2)
const workers = Number(process.argv[4] ?? 1)
const { server, url } = await startBenchDatabase()
try {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(`CREATE TABLE pgbench_events (run_id text NOT NULL, key bigint NOT NULL, seq bigint NOT NULL,
    op "char" NOT NULL, intended_at bigint NOT NULL, digest text NOT NULL, payload text NOT NULL, PRIMARY KEY (run_id, key))`)
  await client.end()

  const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-pgbench-'))
  const script = path.join(dir, 'insert.sql')
  // One prepared single-row INSERT per transaction, like cdcb's single-row mode.
  writeFileSync(
    script,
    [
      '\\set k random(1, 9000000000000000)',
      `INSERT INTO pgbench_events VALUES ('pgbench', :k, :k, 'i', 0, 'abcdef01', '${'x'.repeat(100)}');`,
      '',
    ].join('\n'),
  )
  const pgbench = () => {
    const out = execFileSync(
      '/usr/bin/pgbench',
      [
        '-n',
        '-M',
        'prepared',
        '-c',
        '32',
        '-j',
        '2',
        '-T',
        String(seconds),
        '-f',
        script,
        '-h',
        server.host,
        '-p',
        String(server.port),
        '-U',
        server.user,
        'bench',
      ],
      { env: { ...process.env, PGPASSWORD: server.password }, encoding: 'utf8' },
    )
    return Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)[1])
  }
  const cdcb = async (round) => {
    const { result } = await runCdcb({
      name: 'insert-max',
      source: { plugin: 'postgres', options: { url, pool: 32, batchSize: 1, table: `cdcb_events_${round}` } },
      sink: { plugin: 'memory' },
      workers,
      load: {
        concurrency: 32,
        mix: { insert: 100 },
        keys: 50_000_000,
        duration: `${seconds}s`,
        drainTimeout: '1ms',
      },
    })
    return result.events.acked / result.measuredSeconds
  }
  const pgbenchRates = []
  const cdcbRates = []
  for (let round = 0; round < rounds; round++) {
    pgbenchRates.push(pgbench())
    cdcbRates.push(await cdcb(round))
    console.log(
      `round ${round + 1}: pgbench ${pgbenchRates.at(-1).toFixed(0)} inserts/s, cdcb ${cdcbRates.at(-1).toFixed(0)} inserts/s`,
    )
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
  console.log(
    `mean: pgbench ${mean(pgbenchRates).toFixed(0)}/s, cdcb ${mean(cdcbRates).toFixed(0)}/s, ratio ${(mean(cdcbRates) / mean(pgbenchRates)).toFixed(3)} (target >= 0.9)`,
  )
} finally {
  await server.stop()
}
