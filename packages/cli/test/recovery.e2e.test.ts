import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readResult, runCli, writeConfig } from './helpers.js'

// fixW item 2b: the final interval (`done`, after the drain) was never a point of recovery's series, so a
// stall whose backlog cleared in it read "never recovered within the run" and recovery.time "no data".
describe('recovery through the CLI, memory pipeline', () => {
  it('a recovery in the final interval is one: the last interval counts', async () => {
    const file = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      pipeline: { plugin: 'memory' },
      workers: 2,
      faults: [{ at: '1s', for: '1s', action: { pipeline: 'stall' } }],
      load: { rate: 1000, duration: '3s' },
      slo: { 'recovery.time': '< 3s' },
    })
    const out = path.join(path.dirname(file), 'result.json')
    const cli = await runCli(['run', '--config', file, '--out', out])
    const result = readResult(out)
    expect(result.intervals.at(-1)!.phase).toBe('done')
    expect(result.recovery).toMatchObject([{ label: 'fault stall', time: expect.any(Number) }])
    expect(result.recovery![0]!.time!).toBeLessThan(3)
    expect(result.slo.checks[0]).toMatchObject({ status: 'passed' })
    expect(cli.stdout).toMatch(/recovery {5}fault stall: backlog max [\d,]+, recovered in \d\.\ds/)
    expect(cli.stdout + cli.stderr).not.toMatch(/never/)
  }, 30_000)
})
