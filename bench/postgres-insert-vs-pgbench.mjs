// Issue 3: cdcb's single-row insert rate against pgbench on the same embedded
// PostgreSQL, 32 connections each, closed model (as fast as acknowledgements allow).
// Both insert the same row shape (cdcb's source table: marker + 100-char payload),
// one row per transaction. The run order rotates each round (pgbench first, then
// the pg loop first, then cdcb first …) so drift in the machine's load hits all
// alike, and every run starts equal: its own empty table,
// after a CHECKPOINT, so no run inherits a bigger index or the previous run's
// checkpoint. A bare node-postgres loop (32 clients, prepared, in this process)
// runs too, as the baseline a user would write by hand. Also prints each client's
// CPU per insert (user + system), the cost that competes with the server on a
// small machine. Target: cdcb >= 0.9 x pgbench.
// One cdcb worker by default: on 2 cores a second worker thread only competes with the server.
// Single runs swing by ±15 % on a shared 2-core machine, so the default is five rounds.
// Usage: node bench/postgres-insert-vs-pgbench.mjs [seconds per run, default 15] [rounds, default 5] [workers, default 1]
import './node24.mjs'
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
  /** A second baseline: the bare node-postgres loop a user would write by hand, in this process. */
  const pgLoop = async () => {
    const table = await freshTable()
    const clients = []
    for (let i = 0; i < 32; i++) {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      clients.push(client)
    }
    const text = `INSERT INTO ${table} VALUES ($1, $2, $3, 'i', $4, $5, $6)`
    const payload = 'x'.repeat(100)
    let key = 0
    let inserts = 0
    const endAt = Date.now() + seconds * 1000
    const cpu = process.cpuUsage()
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < endAt) {
          const k = key++
          await client.query({ name: 'ins', text, values: ['pg', k, k, 0, 'abcdef01', payload] })
          inserts++
        }
      }),
    )
    const used = process.cpuUsage(cpu)
    await Promise.all(clients.map((client) => client.end()))
    return { rate: inserts / seconds, cpuMicros: (used.user + used.system) / inserts }
  }
  const contenders = { pgbench, 'pg loop': pgLoop, cdcb }
  const runs = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
  const describe = (name, r) => `${name} ${r.rate.toFixed(0)}/s (${r.cpuMicros.toFixed(1)} µs CPU each)`
  const names = Object.keys(contenders)
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first each round, so no contender always runs on a fresher (or more loaded) machine.
    const order = names.map((_, i) => names[(i + round) % names.length])
    for (const name of order) runs[name].push(await contenders[name]())
    const last = (name) => runs[name].at(-1)
    console.log(
      `round ${round + 1} (order: ${order.join(', ')}): ${names
        .map((name) => describe(name, last(name)))
        .join(', ')}; cdcb / pgbench ${(last('cdcb').rate / last('pgbench').rate).toFixed(2)}`,
    )
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
  const means = Object.fromEntries(
    Object.keys(contenders).map((name) => [
      name,
      { rate: mean(runs[name].map((r) => r.rate)), cpuMicros: mean(runs[name].map((r) => r.cpuMicros)) },
    ]),
  )
  console.log(
    `mean: ${Object.entries(means)
      .map(([name, r]) => describe(name, r))
      .join(', ')}\n` +
      `cdcb / pgbench ${(means.cdcb.rate / means.pgbench.rate).toFixed(3)} (target >= 0.9), ` +
      `cdcb / pg loop ${(means.cdcb.rate / means['pg loop'].rate).toFixed(3)}`,
  )
} finally {
  await admin.end().catch(() => {})
  await server.stop()
}
