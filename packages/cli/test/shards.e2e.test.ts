/**
 * `cdcb run --shard` refuses what would make a wrong run, before anything is
 * prepared or written: one line naming the flag, exit 2. (Three shards against
 * one PostgreSQL, merged: packages/plugin-postgres/test/shards.integration.test.ts.)
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, tempDir, writeConfig } from './helpers.js'

const config = writeConfig({
  source: { plugin: 'memory' },
  sink: { plugin: 'memory' },
  workers: 1,
  load: { rate: 100, duration: '1s' },
})

/** `cdcb run --config FILE --shard i/N --run-id ID --start-at T --no-tui …more`. */
function shardRun(file: string, shard: string, runId: string, startAt: string, ...more: string[]): string[] {
  return [
    'run',
    '--config',
    file,
    '--shard',
    shard,
    '--run-id',
    runId,
    '--start-at',
    startAt,
    '--no-tui',
    ...more,
  ]
}

async function refused(args: string[], message: RegExp) {
  const out = path.join(tempDir(), 'result.json')
  const cli = await runCli(['run', '--config', config, '--out', out, '--no-tui', ...args])
  expect(cli.code).toBe(2)
  expect(cli.stderr.trim()).toMatch(message)
  expect(cli.stderr.trim().split('\n')).toHaveLength(1)
  expect(cli.stdout).toBe('')
  expect(existsSync(out)).toBe(false)
}

describe('cdcb run --shard: bad input is one line and exit 2', () => {
  const soon = () => String(Math.round(Date.now() / 1000) + 60)

  it('a start time already past', async () => {
    const past = new Date(Date.now() - 10_000).toISOString()
    await refused(
      ['--shard', '1/3', '--run-id', 'r1', '--start-at', past],
      /^cdcb: --start-at: .* is \d+\.\ds in the past \(at most 2s is allowed\) — give a later start time$/,
    )
  })

  it('a shard without a run id, an index out of range, a run id that cannot name objects', async () => {
    await refused(['--shard', '1/3', '--start-at', soon()], /^cdcb: --shard: shard 1\/3 needs a run id/)
    await refused(
      ['--shard', '3/3', '--run-id', 'r1', '--start-at', soon()],
      /^cdcb: --shard: expected an index from 0 to 2 \(indexes are 0-based\), got "3\/3"$/,
    )
    await refused(
      ['--shard', '0/2', '--run-id', 'my_run', '--start-at', soon()],
      /^cdcb: --run-id: expected 1 to 24 lowercase letters and digits/,
    )
  })

  it('a plugin whose run-owned objects shards cannot share refuses before it makes any', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { plugin: 'kafka', options: { brokers: '127.0.0.1:9', topic: 't', deleteTopic: true } },
        /source\.options\.deleteTopic: the first shard of a run \(--shard\) to finish would delete the topic/,
      ],
      [
        { plugin: 'sqs', options: { endpoint: 'http://127.0.0.1:9', queue: 'q' } },
        /SQS hands each message to one receiver/,
      ],
      [
        { plugin: 'cdcb-plugin-redis-streams', options: { url: 'redis://127.0.0.1:9' } },
        /shards \(--shard\) of one run cannot share them/,
      ],
      [
        { plugin: 'cassandra', options: { contactPoints: ['127.0.0.1:9'], localDataCenter: 'dc1' } },
        /the Cassandra plugin cannot share a run's tables across shards/,
      ],
    ]
    for (const [source, message] of cases) {
      const file = writeConfig({
        source,
        sink: { plugin: 'memory' },
        workers: 1,
        load: { rate: 10, duration: '1s' },
      })
      const cli = await runCli(shardRun(file, '0/2', 'r1', soon(), '-q'))
      expect(cli.stderr.trim()).toMatch(message)
      expect(cli.stderr.trim().split('\n')).toHaveLength(1)
      expect(cli.code).toBe(2)
    }
  })

  it('a pipeline part, which each shard would set up again', async () => {
    const file = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      pipeline: { plugin: 'kafka-connect', options: { url: 'http://127.0.0.1:9', connectors: [] } },
      workers: 1,
    })
    const cli = await runCli(shardRun(file, '0/2', 'r1', soon()))
    expect(cli.stderr.trim()).toMatch(
      /^cdcb: --shard: the config's pipeline part is set up and torn down by the process that runs it/,
    )
    expect(cli.code).toBe(2)
  })

  it('cdcb search, whose trials are runs of their own, refuses a config naming one run', async () => {
    const file = writeConfig({ source: { plugin: 'memory' }, sink: { plugin: 'memory' }, runId: 'fixed1' })
    const cli = await runCli(['search', '--config', file])
    expect(cli.stderr.trim()).toMatch(
      /^cdcb: bench\.config\.json: runId: names one run, and cdcb search runs a trial after another/,
    )
    expect(cli.code).toBe(2)
  })

  it('says how long it waits for the start, and Ctrl-C while it waits ends it at once, writing nothing', async () => {
    const out = path.join(tempDir(), 'result.json')
    let interrupted = false
    const began = Date.now()
    const cli = await runCli(shardRun(config, '0/2', 'r1', soon(), '--out', out), {
      onStdout: (text, kill) => {
        if (!interrupted && /ready; waiting \d+\.\ds to start at .*Z \(--start-at\)/.test(text)) {
          interrupted = true
          kill('SIGINT')
        }
      },
    })
    expect(interrupted).toBe(true)
    expect(cli.code).toBe(130)
    expect(cli.stderr).toMatch(/interrupted before the run started; nothing was measured/)
    expect(existsSync(out)).toBe(false)
    expect(Date.now() - began).toBeLessThan(50_000)
  })

  it('a start hours away (up to the 24 h allowed) is waited for quietly, and a SIGTERM during the wait ends it as a stop before the start', async () => {
    const out = path.join(tempDir(), 'result.json')
    let waiting = false
    const startAt = String(Math.round(Date.now() / 1000) + 23 * 3600)
    const cli = await runCli(shardRun(config, '0/2', 'far1', startAt, '--out', out), {
      onStdout: (text, kill) => {
        if (!waiting && /ready; waiting \d+\.\ds to start at/.test(text)) {
          waiting = true
          // Long enough for an overflowing timer to have fired and started the run early.
          setTimeout(() => kill('SIGTERM'), 3000)
        }
      },
    })
    expect(waiting).toBe(true)
    expect(cli.stderr).not.toMatch(/TimeoutOverflowWarning/)
    expect(cli.stderr).toMatch(/interrupted before the run started; nothing was measured/)
    expect(cli.stdout).not.toMatch(/started .* from --start-at/)
    expect(cli.code).not.toBe(0)
    expect(existsSync(out)).toBe(false)
  })

  it("a shard leaves the run's throughput SLO to the merge (it sends 1/N of the rate); the merge judges the sum", async () => {
    const rated = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 200, duration: '2s', warmup: '0s' },
      slo: { throughput: '>= 150/s', lost: '== 0' },
    })
    const dir = tempDir()
    const startAt = String(Math.round(Date.now() / 1000) + 20)
    const files = [0, 1].map((i) => path.join(dir, `rate-${i}.json`))
    const ran = await Promise.all(
      files.map((out, i) => runCli(shardRun(rated, `${i}/2`, 'rate9', startAt, '--out', out))),
    )
    for (const cli of ran) {
      expect(cli.stderr).not.toMatch(/\n\s+at /)
      // Each shard sent ~100/s: judged against the whole run's 150/s it would fail every shard (every pod of a Job).
      expect(cli.stdout).toMatch(/throughput >= 150\/s.*judged at merge/)
      expect(cli.code, cli.stdout).toBe(0)
    }
    const merged = path.join(dir, 'rate-merged.json')
    const merge = await runCli(['merge', ...files, '--out', merged])
    expect(merge.code, merge.stdout + merge.stderr).toBe(0)
    const check = JSON.parse(readFileSync(merged, 'utf8')).slo.checks.find(
      (c: { expression: string }) => c.expression === 'throughput >= 150/s',
    )
    expect(check.status).toBe('passed')
    expect(check.actual).toBeGreaterThan(150)
  })

  it('no config: the embedded quickstart cannot be shared by shards', async () => {
    const cli = await runCli(['run', '--shard', '0/2', '--run-id', 'r1', '--start-at', soon(), '--no-tui'], {
      cwd: tempDir(),
    })
    expect(cli.code).toBe(2)
    expect(cli.stderr.trim()).toMatch(/^cdcb: --shard 0\/2: no config found in .* belongs to one process/)
  })
})
