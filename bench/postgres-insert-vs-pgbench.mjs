// Issue 3: cdcb's single-row insert rate against pgbench on the same embedded
// PostgreSQL, 32 connections each, closed model (as fast as acknowledgements allow).
// Both insert the same row shape (cdcb's source table: marker + 100-char payload),
// one row per transaction. Runs alternate (pgbench, cdcb, pgbench, cdcb) so drift
// in the machine's load hits both, and every run starts equal: its own empty table,
// after a CHECKPOINT, so no run inherits a bigger index or the previous run's
// checkpoint. Also prints each client's CPU per insert (user + system), the cost
// that competes with the server on a small machine. Target: cdcb >= 0.9 x pgbench.
// One cdcb worker by default: on 2 cores a second worker thread only competes with the server.
// Single runs swing by ±15 % on a shared 2-core machine, so the default is five rounds.
// Usage: node bench/postgres-insert-vs-pgbench.mjs [seconds per run, default 15] [rounds, default 5] [workers, default 1]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { CLI } from './lib.mjs'
import { startBenchDatabase } from './postgres-lib.mjs'

const seconds = Number(process.argv[2] ?? 15)
const rounds = Number(process.argv[3] ?? 5)
const workers = Number(process.argv[4] ?? 1)
const { server, url } = await startBenchDatabase()
const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-pgbench-'))
const admin = new pg.Client({ connectionString: url })
try {
  await admin.connect()
  let tables = 0
  /** A new empty table with cdcb's row shape, and a checkpoint, so the next run starts like the last. */
  const freshTable = async () => {
    const table = `events_${tables++}`
    await admin.query(`CREATE TABLE ${table} (run_id text NOT NULL, key bigint NOT NULL, seq bigint NOT NULL,
      op "char" NOT NULL, intended_at bigint NOT NULL, digest text NOT NULL, payload text NOT NULL, PRIMARY KEY (run_id, key))`)
    await admin.query(`COMMENT ON TABLE ${table} IS 'cdcb:owned'`)
    await admin.query('CHECKPOINT')
    return table
  }
  /** Runs a command under /usr/bin/time; returns its stdout and CPU seconds (user + system). */
  const timed = (command, args, env) => {
    const run = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', command, ...args], { env, encoding: 'utf8' })
    const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(run.stderr)
    if (run.status !== 0 || !cpu) throw new Error(`${command} failed (${run.status}):\n${run.stderr}`)
    return { stdout: run.stdout, cpuSeconds: Number(cpu[1]) + Number(cpu[2]) }
  }
  const pgbench = async () => {
    const table = await freshTable()
    const script = path.join(dir, 'insert.sql')
    // One prepared single-row INSERT per transaction, like cdcb's single-row mode.
    writeFileSync(
      script,
      [
        '\\set k random(1, 9000000000000000)',
        `INSERT INTO ${table} VALUES ('pgbench', :k, :k, 'i', 0, 'abcdef01', '${'x'.repeat(100)}');`,
        '',
      ].join('\n'),
    )
    const { stdout, cpuSeconds } = timed(
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
      { ...process.env, PGPASSWORD: server.password },
    )
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)[1])
    return { rate: tps, cpuMicros: (cpuSeconds * 1e6) / (tps * seconds) }
  }
  const cdcb = async () => {
    const table = await freshTable()
    const config = path.join(dir, 'bench.config.json')
    const out = path.join(dir, 'result.json')
    writeFileSync(
      config,
      JSON.stringify({
        name: 'insert-max',
        // The table exists and carries cdcb's ownership mark, so cdcb writes into it as it is.
        source: { plugin: 'postgres', options: { url, pool: 32, batchSize: 1, table } },
        // A sink is required; the memory sink sees nothing of a postgres source and costs nothing. Only acks count here.
        sink: { plugin: 'memory' },
        workers,
        load: {
          concurrency: 32,
          mix: { insert: 100 },
          keys: 50_000_000,
          duration: `${seconds}s`,
          drainTimeout: '1ms',
        },
      }),
    )
    // CPU includes start-up (about 0.8 s of CPU), so it overstates cdcb's cost per insert a little.
    const { cpuSeconds } = timed(
      process.execPath,
      [CLI, 'run', '--config', config, '--out', out, '--quiet'],
      { ...process.env, CI: '1' },
    )
    const result = JSON.parse(readFileSync(out, 'utf8'))
    return {
      rate: result.events.acked / result.measuredSeconds,
      cpuMicros: (cpuSeconds * 1e6) / result.events.sent,
    }
  }
  const runs = { pgbench: [], cdcb: [] }
  for (let round = 0; round < rounds; round++) {
    runs.pgbench.push(await pgbench())
    runs.cdcb.push(await cdcb())
    const [p, c] = [runs.pgbench.at(-1), runs.cdcb.at(-1)]
    console.log(
      `round ${round + 1}: pgbench ${p.rate.toFixed(0)} inserts/s (${p.cpuMicros.toFixed(1)} µs CPU each), ` +
        `cdcb ${c.rate.toFixed(0)} inserts/s (${c.cpuMicros.toFixed(1)} µs CPU each), ratio ${(c.rate / p.rate).toFixed(2)}`,
    )
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
  const [p, c] = [mean(runs.pgbench.map((r) => r.rate)), mean(runs.cdcb.map((r) => r.rate))]
  console.log(
    `mean: pgbench ${p.toFixed(0)}/s, cdcb ${c.toFixed(0)}/s, ratio ${(c / p).toFixed(3)} (target >= 0.9); ` +
      `CPU per insert: pgbench ${mean(runs.pgbench.map((r) => r.cpuMicros)).toFixed(1)} µs, cdcb ${mean(runs.cdcb.map((r) => r.cpuMicros)).toFixed(1)} µs`,
  )
} finally {
  await admin.end().catch(() => {})
  await server.stop()
}
