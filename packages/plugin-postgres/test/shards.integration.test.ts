/**
 * One run split across three `cdcb run --shard i/3` processes against one
 * PostgreSQL, through the real CLI: every shard's sink reads the whole run's
 * change stream, each counts only its own events, the shards share the run's
 * table and publication (made once, dropped by the last shard out) with a slot
 * each, and `cdcb merge` of the three accounts for every event exactly as one
 * process with three workers does.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunResult } from '@cdcb/core'
import { addEncoded, createHistogram, summarize } from '@cdcb/core/runtime'
import { afterAll, describe, expect, it } from 'vitest'
import { useEmbeddedPostgres } from './server.js'

const CLI = fileURLToPath(new URL('../../cli/bin/run.js', import.meta.url))
const server = useEmbeddedPostgres()
const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-shards-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Cli {
  code: number | null
  stdout: string
  stderr: string
}

function cdcb(args: string[], onStdout?: (text: string) => void): Promise<Cli> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out = { stdout: '', stderr: '' }
    child.stdout.on('data', (chunk) => {
      out.stdout += chunk
      onStdout?.(out.stdout)
    })
    child.stderr.on('data', (chunk) => {
      out.stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, ...out }))
  })
}

/** Source and sink on one table: the sink follows the source table's own change stream (logical decoding). */
/** `seed`: load.seed, or none with `null`. */
function writeConfigFile(table: string, seed: number | null = 7): string {
  const file = path.join(dir, `${table}.config.json`)
  writeFileSync(
    file,
    JSON.stringify({
      name: 'shards',
      source: { plugin: 'postgres', options: { url: server.sourceUrl, table, pool: 2 } },
      sink: { plugin: 'postgres', options: { url: server.sourceUrl, table, mode: 'logical' } },
      verify: { plugin: 'postgres', options: { url: server.sourceUrl, table } },
      load: {
        rate: 300,
        duration: '4s',
        warmup: '0s',
        keys: 500,
        seed: seed ?? undefined,
        drainTimeout: '20s',
      },
      slo: { lost: '== 0', duplicates: '== 0', verified: '== 100%' },
    }),
  )
  return file
}

/** Calls `then` once, when the process says it is prepared and waiting for the start time. */
function onceWaiting(then: () => void): (stderr: string) => void {
  let said = false
  return (stdout) => {
    if (!said && /waiting [\d.]+s to start at/.test(stdout)) {
      said = true
      then()
    }
  }
}

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RunResult

async function cdcbObjects() {
  const client = await server.client(server.sourceUrl)
  const names = async (sql: string) =>
    (await client.query<{ name: string }>(sql)).rows.map((row) => row.name).sort()
  return {
    slots: await names("SELECT slot_name AS name FROM pg_replication_slots WHERE slot_name LIKE 'cdcb_%'"),
    publications: await names("SELECT pubname AS name FROM pg_publication WHERE pubname LIKE 'cdcb_%'"),
    tables: await names(
      "SELECT c.relname AS name FROM pg_class c WHERE c.relkind = 'r' AND obj_description(c.oid, 'pg_class') LIKE 'cdcb:owned:%'",
    ),
  }
}

describe('cdcb run --shard across three processes', () => {
  it('merged, the shards account for every event exactly as one process does, and leave nothing behind', async () => {
    const config = writeConfigFile('shared_orders')
    const one = path.join(dir, 'one.json')
    const single = await cdcb(['run', '--config', config, '--workers', '3', '--out', one, '--no-tui', '-q'])
    expect(single.stderr).not.toMatch(/\n\s+at /)
    expect(single.code).toBe(0)

    const runId = 'shardtest1'
    // Far enough ahead for three processes to load and prepare on a busy 2-core machine.
    const startAt = new Date(Date.now() + 20_000).toISOString()
    const files = [0, 1, 2].map((i) => path.join(dir, `shard-${i}.json`))
    let waiting = 0
    let seenWhileWaiting: Awaited<ReturnType<typeof cdcbObjects>> | undefined
    let allWaiting: () => void = () => {}
    const prepared = new Promise<void>((resolve) => {
      allWaiting = resolve
    })
    const shards = files.map((out, i) =>
      cdcb(
        [
          'run',
          '--config',
          config,
          '--workers',
          '1',
          '--shard',
          `${i}/3`,
          '--run-id',
          runId,
          '--start-at',
          startAt,
          '--out',
          out,
          '--no-tui',
        ],
        onceWaiting(() => {
          waiting++
          if (waiting === 3) allWaiting()
        }),
      ),
    )
    // Every shard is prepared and waiting: one table and one publication shared, one slot each.
    await Promise.race([prepared, Promise.all(shards)])
    if (waiting === 3) seenWhileWaiting = await cdcbObjects()
    const ran = await Promise.all(shards)
    for (const cli of ran) {
      expect(cli.stderr).not.toMatch(/\n\s+at /)
      expect(cli.stdout).toMatch(
        new RegExp(`shard \\d/3 of run ${runId}: ready; waiting [\\d.]+s to start at`),
      )
      expect(cli.stdout).toMatch(new RegExp(`shard \\d/3 of run ${runId}: its share of the run`))
      expect(cli.code).toBe(0)
    }
    expect(seenWhileWaiting).toEqual({
      slots: [`cdcb_${runId}_sink_s0`, `cdcb_${runId}_sink_s1`, `cdcb_${runId}_sink_s2`],
      publications: [`cdcb_${runId}_sink`],
      tables: ['shared_orders'],
    })
    // The last shard out dropped what they shared; each dropped its own slot.
    expect(await cdcbObjects()).toEqual({ slots: [], publications: [], tables: [] })

    const parts = files.map(read)
    const whole = read(one)
    for (const [i, part] of parts.entries()) {
      expect(part.runId).toBe(runId)
      expect(part.shard).toEqual({ index: i, count: 3 })
      expect(part.start?.requested).toBe(startAt)
      // Each shard's sink saw the whole run, but counted only its own events: none lost, none doubled.
      expect(part.events.observed).toBe(part.events.sent)
      expect(part.events.lost).toBe(0)
      expect(part.events.duplicates).toBe(0)
      // Its share of the plan: the seqs ≡ i (mod 3).
      expect(part.events.sent).toBe(Math.ceil((whole.events.sent - i) / 3))
    }

    const merged = path.join(dir, 'merged.json')
    const merge = await cdcb(['merge', ...files, '--out', merged])
    expect(merge.stderr).toBe('')
    expect(merge.code).toBe(0)
    const sum = read(merged)
    for (const key of ['sent', 'acked', 'observed', 'lost', 'duplicates', 'outOfOrder', 'errors'] as const) {
      expect(sum.events[key], key).toBe(whole.events[key])
    }
    // The same operations on the same keys: the same kinds, and the same final rows to verify.
    expect(sum.operations).toEqual(whole.operations)
    expect(sum.verification?.checked).toBe(whole.verification?.checked)
    expect(sum.verification?.mismatched).toBe(0)
    expect(sum.metrics.e2e.count).toBe(whole.metrics.e2e.count)
    // The merged percentiles are those of all three shards' samples in one histogram (lossless, to its precision).
    for (const metric of ['e2e', 'ack', 'lag'] as const) {
      const all = createHistogram()
      for (const part of parts) addEncoded(all, part.histograms[metric]!)
      const one = summarize(all)
      all.destroy()
      for (const statistic of ['p50', 'p99', 'max'] as const)
        expect(sum.metrics[metric][statistic], `${metric}.${statistic}`).toBe(one[statistic])
    }
    expect(sum.rate.target).toBeCloseTo(whole.rate.target!, 0)
    // The spread of the shards' actual starts, from their own records, in the result and the summary.
    const starts = parts.map((p) => p.start!.actualMicros)
    expect(sum.shards).toEqual({
      count: 3,
      actualStartSpreadMs: Math.round(Math.max(...starts) - Math.min(...starts)) / 1000, // µs → ms, 3 decimals
    })
    expect(sum.shards!.actualStartSpreadMs).toBeLessThan(1000)
    expect(merge.stdout).toMatch(
      /merged the 3 shards of run shardtest1; their actual starts spread over [\d.]+ ms/,
    )

    // Two of three: the missing shard is named, nothing is written.
    const partial = path.join(dir, 'partial.json')
    const missing = await cdcb(['merge', files[0]!, files[2]!, '--out', partial])
    expect(missing.code).toBe(2)
    expect(missing.stderr.trim()).toMatch(/shard: run shardtest1 has 3 shards and shard 1\/3 is missing/)
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
    expect(() => readFileSync(partial)).toThrow()
    const twice = await cdcb(['merge', files[0]!, files[1]!, files[1]!, '--out', partial])
    expect(twice.code).toBe(2)
    expect(twice.stderr).toMatch(/shard: 1\/3 is given twice/)
  })

  it('the first shard out leaves what the run shares to the shards still running; the last drops it', async () => {
    const config = writeConfigFile('shared_longer')
    const runId = 'shardtest2'
    const startAt = new Date(Date.now() + 20_000).toISOString()
    const shard = (i: number, duration: string) =>
      cdcb([
        'run',
        '--config',
        config,
        '--workers',
        '1',
        '--duration',
        duration,
        '--shard',
        `${i}/2`,
        '--run-id',
        runId,
        '--start-at',
        startAt,
        '--out',
        path.join(dir, `longer-${i}.json`),
        '--no-tui',
        '-q',
      ])
    // Shard 0 ends seconds before shard 1 stops writing.
    const longer = shard(1, '12s')
    const first = await shard(0, '2s')
    expect(first.stderr).not.toMatch(/\n\s+at /)
    expect(first.code).toBe(0)
    const meanwhile = await cdcbObjects()
    const last = await longer
    expect(last.stderr).not.toMatch(/\n\s+at /)
    expect(last.code).toBe(0)
    // Shard 1 was still running: the table, the publication and its own slot were still there.
    expect(meanwhile).toEqual({
      slots: [`cdcb_${runId}_sink_s1`],
      publications: [`cdcb_${runId}_sink`],
      tables: ['shared_longer'],
    })
    const result = read(path.join(dir, 'longer-1.json'))
    expect(result.events.errors).toBe(0)
    expect(result.events.lost).toBe(0)
    expect(result.events.observed).toBe(result.events.sent)
    expect(await cdcbObjects()).toEqual({ slots: [], publications: [], tables: [] })
  })
  it('with no seed and two workers a shard, shards check each other by one plan: no corrupt, one time base, one verified set', async () => {
    // As a user runs examples/kubernetes: no load.seed, several workers in each shard.
    const config = writeConfigFile('shared_noseed', null)
    const runId = 'shardtest3'
    // One process given the same run id runs the same plan (the seed comes from the run id).
    const one = path.join(dir, 'noseed-one.json')
    const single = await cdcb([
      'run',
      '--config',
      config,
      '--workers',
      '6',
      '--run-id',
      runId,
      '--out',
      one,
      '--no-tui',
      '-q',
    ])
    expect(single.stderr).not.toMatch(/\n\s+at /)
    expect(single.code).toBe(0)
    const whole = read(one)

    const startAt = new Date(Date.now() + 20_000).toISOString()
    const files = [0, 1, 2].map((i) => path.join(dir, `noseed-${i}.json`))
    const ran = await Promise.all(
      files.map((out, i) =>
        cdcb([
          'run',
          '--config',
          config,
          '--workers',
          '2',
          '--shard',
          `${i}/3`,
          '--run-id',
          runId,
          '--start-at',
          startAt,
          '--out',
          out,
          '--no-tui',
        ]),
      ),
    )
    const parts = files.map(read)
    for (const [i, cli] of ran.entries()) {
      expect(cli.stderr).not.toMatch(/\n\s+at /)
      // No other shard's event is judged here: nothing corrupt, and no "Corrupt" line at all.
      expect(parts[i]!.events.corrupt, `shard ${i} corrupt`).toBe(0)
      expect(cli.stdout).not.toMatch(/Corrupt/)
      expect(parts[i]!.config?.load.seed).toBe(whole.config?.load.seed)
      // Every shard measures on the time base one process uses (worker 0's sink reads; the others stand by).
      expect(parts[i]!.timeBase, `shard ${i} time base`).toBe(whole.timeBase)
      expect(cli.code, cli.stdout).toBe(0)
    }
    expect(whole.timeBase).toMatch(/^arrival in the target's logical replication stream/)
    const merged = path.join(dir, 'noseed-merged.json')
    const merge = await cdcb(['merge', ...files, '--out', merged])
    expect(merge.code).toBe(0)
    const sum = read(merged)
    for (const key of ['sent', 'observed', 'lost', 'duplicates', 'corrupt', 'errors'] as const) {
      expect(sum.events[key], key).toBe(whole.events[key])
    }
    expect(sum.operations).toEqual(whole.operations)
    // The same keys were written, so the same final rows are checked.
    expect(sum.verification?.checked).toBe(whole.verification?.checked)
  })
})
