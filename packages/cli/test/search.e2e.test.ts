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
  }, 240_000)

  it('refuses a bad flag in one line with exit 2, before any trial', async () => {
    const config = writeConfig({ source: { plugin: 'memory' }, sink: { plugin: 'memory' } })
    const run = await runCli(['search', '--config', config, '--precision', '150%'])
    expect(run.code).toBe(2)
    expect(run.stderr.trim()).toBe('cdcb: --precision: expected a share such as 5% or 0.05, got "150%"')
    expect(run.stdout).toBe('')
    const zeroTrial = await runCli(['search', '--config', config, '--trial', '0s'])
    expect(zeroTrial.code).toBe(2)
    expect(zeroTrial.stderr.trim()).toBe('cdcb: --trial: expected a duration above 0 such as "20s", got "0s"')
    const unwritable = await runCli(['search', '--config', config, '--out', '/proc/x/search.json'])
    expect(unwritable.code).toBe(2)
    expect(unwritable.stderr).toContain('--out /proc/x/search.json: cannot write there')
    expect(unwritable.stdout).toBe('')
  })

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
