/**
 * The json and junit reporters a config names are made by core, so a run
 * through the public API writes them as `cdcb run` does (before, only the CLI
 * made them and an API run wrote nothing), checked before anything runs.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { UserConfig } from '@cdcb/core'
import { resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'

const memory = (reporters: UserConfig['reporters']): UserConfig => ({
  source: { plugin: 'memory' },
  sink: { plugin: 'memory' },
  workers: 1,
  load: { rate: 200, duration: '1s' },
  reporters,
})

describe('report files named in config.reporters', () => {
  it('are written by runBenchmark: the JSON result and the JUnit checks', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-reporter-files-'))
    const json = path.join(dir, 'out', 'result.json')
    const junit = path.join(dir, 'slo.xml')
    const config = await resolveConfig(
      memory([
        ['json', { file: json }],
        ['junit', { file: junit }],
      ]),
    )
    const result = await runBenchmark(config)
    expect(result.exitCode).toBe(0)
    const written = JSON.parse(readFileSync(json, 'utf8'))
    expect(written).toMatchObject({ runId: result.runId, status: 'passed', exitCode: 0 })
    expect(written.events.observed).toBe(result.events.observed)
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuite [^>]*tests="3"/)
  })

  it('refuses a file that cannot be written before anything runs, naming the entry', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-reporter-files-'))
    const config = await resolveConfig(memory([['json', { file: dir }]]))
    await expect(runBenchmark(config)).rejects.toThrow(
      /^config: reporters\.0: cannot write the report to .*: .* is a folder — choose another file$/,
    )
    expect(existsSync(path.join(dir, 'result.json'))).toBe(false)
  })
})
