import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, tempDir, writeConfig } from './helpers.js'

describe('cdcb search', () => {
  it('finds about 2,000/s for a pipeline that delivers at most 2,000/s, and writes every trial', async () => {
    const config = writeConfig({
      source: { plugin: 'memory', options: { maxThroughput: 2000 } },
      sink: { plugin: 'memory' },
      load: { rate: 500, warmup: '1s' },
      slo: { 'e2e.p99': '< 500ms', lost: '== 0', throughput: '>= 100000/s' },
    })
    const out = path.join(tempDir(), 'search.json')
    const run = await runCli(['search', '--config', config, '--trial', '2s', '--out', out])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('throughput SLOs are judged by the keep-up share instead')
    const { search } = JSON.parse(readFileSync(out, 'utf8'))
    expect(search.end).toBe('precision')
    expect(search.maxRate).toBeGreaterThanOrEqual(1800)
    expect(search.maxRate).toBeLessThanOrEqual(2065)
    expect(search.minFailingRate).toBeGreaterThan(2000)
    expect(search.trials.map((t: { rate: number }) => t.rate).slice(0, 4)).toEqual([500, 1000, 2000, 4000])
    expect(search.trials[3].verdict).toBe('fails')
    expect(run.stdout).toMatch(/highest rate that holds: \d+\/s/)
    // The knee: printed under the table with its definition, and written.
    expect(run.stdout).toMatch(
      /\nknee: \d+\/s \(e2e p99 [\d.]+(?:us|ms|s)\) — the highest rate that held before e2e p99 rose above 2× its [\d.]+(?:us|ms|s) at 500\/s, the lowest-rate trial: [\d.]+(?:us|ms|s) at \d+\/s\n/,
    )
    expect(search.knee.definition).toContain('twice its value at the lowest-rate trial')
    expect(search.knee.baseline.rate).toBe(500)
    expect(search.knee.rate).toBeGreaterThanOrEqual(500)
    expect(search.knee.rate).toBeLessThanOrEqual(search.maxRate)
    expect(search.knee.beyond.e2eP99).toBeGreaterThan(2 * search.knee.baseline.e2eP99)
  }, 240_000)

  it('stops as the generator ceiling when cdcb sent the measured window late, even at the planned send rate', async () => {
    // Every operation counts as late here (load.lateAfter 1us), as at 1.28M/s on a machine whose
    // generator catches up on warmup operations: sent looks planned, the schedule was not kept.
    const config = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      load: { rate: 200, warmup: '1s', lateAfter: '1us' },
      slo: { 'e2e.p99': '< 5s', lost: '== 0' },
    })
    const out = path.join(tempDir(), 'search.json')
    const run = await runCli(['search', '--config', config, '--trial', '2s', '--out', out])
    expect(run.stderr).toBe('')
    const { search } = JSON.parse(readFileSync(out, 'utf8'))
    expect(search.end).toBe('generator')
    expect(search.trials).toHaveLength(1)
    expect(search.trials[0].verdict).toBe('generator')
    expect(search.trials[0].lateShare).toBeGreaterThan(0.9)
    expect(run.stdout).toMatch(
      /generator: cdcb fell behind its schedule: \d+(\.\d)?% of the measured window's operations were sent late/,
    )
    expect(run.code).toBe(1)
  }, 120_000)

  it('refuses a second search writing the --out of one still running, in one line with exit 2', async () => {
    const config = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      load: { rate: 100, warmup: '1s' },
    })
    const out = path.join(tempDir(), 'search.json')
    let second: Promise<Awaited<ReturnType<typeof runCli>>> | undefined
    const first = runCli(['search', '--config', config, '--trial', '30s', '--out', out], {
      onStdout: (text, kill) => {
        if (second || !text.includes('trial planned')) return
        second = runCli(['search', '--config', config, '--trial', '1s', '--out', out])
        void second.then(() => kill('SIGINT'))
      },
    })
    const firstRun = await first
    const secondRun = await second!
    expect(secondRun.code).toBe(2)
    expect(secondRun.stdout).toBe('')
    expect(secondRun.stderr.trim()).toMatch(
      /^cdcb: --out \S+search\.json: another cdcb run on this host is writing this report \(pid \d+, run search, since [^)]+\) — wait for it to end, or choose another path$/,
    )
    // The first search is the one that wrote it (interrupted, with its trials so far).
    expect(firstRun.code).toBe(130)
    expect(JSON.parse(readFileSync(out, 'utf8')).search.end).toBe('stopped')
  }, 120_000)

  it('states what it does with stages, faults and recovery SLOs, and a held trial names what it did not judge', async () => {
    const burst = {
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      load: {
        rate: 100,
        stages: [
          { duration: '2s', rate: 100 },
          { duration: '2s', rate: 400 },
        ],
      },
      slo: { 'recovery.time': '< 30s', lost: '== 0' },
    }
    const out = path.join(tempDir(), 'search.json')
    const run = await runCli([
      'search',
      '--config',
      writeConfig(burst),
      '--trial',
      '2s',
      '--warmup',
      '1s',
      '--max',
      '100',
      '--out',
      out,
    ])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(
      'cdcb search: load.stages (2) are replaced by one steady rate per trial — the search finds the highest steady rate; run the stages with cdcb run',
    )
    expect(run.stdout).toContain(
      'cdcb search: recovery.time < 30s: not judged — a trial at a steady rate without a fault has nothing to recover from',
    )
    expect(run.stdout).toMatch(/\n1 +100\/s .*holds; not judged: recovery\.time < 30s\n/)
    expect(JSON.parse(readFileSync(out, 'utf8')).search.trials[0].unjudgedSlos).toEqual([
      'recovery.time < 30s',
    ])

    const withFault = writeConfig({
      ...burst,
      faults: [{ name: 'flag', at: '1s', for: '1s', action: { exec: 'true', undo: 'true' } }],
    })
    const faulted = await runCli(['search', '--config', withFault, '--trial', '2s', '--warmup', '1s'], {
      onStdout: (text, kill) => {
        if (text.includes('trial planned')) kill('SIGINT')
      },
    })
    expect(faulted.stdout).toContain(
      'cdcb search: the faults (flag) run in every trial at their planned times, so a trial holds only if the SLOs hold through them',
    )
    expect(faulted.stdout).not.toContain('not judged —')
  }, 120_000)

  it('refuses a bad flag in one line with exit 2, before any trial', async () => {
    const config = writeConfig({ source: { plugin: 'memory' }, sink: { plugin: 'memory' } })
    const run = await runCli(['search', '--config', config, '--precision', '150%'])
    expect(run.code).toBe(2)
    expect(run.stderr.trim()).toBe('cdcb: --precision: expected a share such as 5% or 0.05, got "150%"')
    expect(run.stdout).toBe('')
    const zeroTrial = await runCli(['search', '--config', config, '--trial', '0s'])
    expect(zeroTrial.code).toBe(2)
    expect(zeroTrial.stderr.trim()).toBe('cdcb: --trial: expected a duration above 0 such as "20s", got "0s"')
    // Each flag's error names the flag and what it expects (a count is not a rate; --warmup is not load.warmup).
    const zeroTrials = await runCli(['search', '--config', config, '--max-trials', '0'])
    expect(zeroTrials.code).toBe(2)
    expect(zeroTrials.stderr.trim()).toBe(
      'cdcb: --max-trials: expected a whole number of trials above 0 such as 12, got "0"',
    )
    const badWarmup = await runCli(['search', '--config', config, '--warmup=-1s'])
    expect(badWarmup.code).toBe(2)
    expect(badWarmup.stderr.trim()).toBe(
      'cdcb: --warmup: expected a duration of 0 or more such as "5s", got "-1s"',
    )
    expect(badWarmup.stdout).toBe('')
    const unwritable = await runCli(['search', '--config', config, '--out', '/proc/x/search.json'])
    expect(unwritable.code).toBe(2)
    expect(unwritable.stderr).toContain('--out /proc/x/search.json: cannot write there')
    expect(unwritable.stdout).toBe('')
  })

  it('states the real start when --max caps it', async () => {
    const config = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      load: { rate: 1000 },
    })
    const out = path.join(tempDir(), 'search.json')
    const run = await runCli([
      'search',
      '--config',
      config,
      '--max',
      '500',
      '--trial',
      '1s',
      '--warmup',
      '0s',
      '--out',
      out,
    ])
    expect(run.stdout).toContain('doubling from 500/s (--max caps the start of 1000/s)')
    expect(JSON.parse(readFileSync(out, 'utf8')).search.trials[0].rate).toBe(500)
  }, 60_000)

  it('refuses trials shorter than a windowed SLO before any trial, naming the SLO and the --trial that fits', async () => {
    const config = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      load: { rate: 100, duration: '1m' },
      slo: ['e2e.p99[30s] < 1s'],
    })
    const run = await runCli(['search', '--config', config, '--trial', '20s'])
    expect(run.code).toBe(2)
    expect(run.stderr.trim()).toBe(
      'cdcb: --trial: 20s is shorter than the window of the SLO "e2e.p99[30s] < 1s" — use --trial 30s or longer',
    )
    expect(run.stdout).toBe('')
  })
})
