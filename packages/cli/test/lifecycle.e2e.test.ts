import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readResult, runCli, tempDir, writeConfig } from './helpers.js'

const longRun = {
  source: { plugin: 'memory', options: { delay: '10ms' } },
  sink: { plugin: 'memory' },
  verify: { plugin: 'memory' },
  workers: 2,
  load: { rate: 1000, duration: '60s' },
  slo: { 'e2e.p99': '< 1s', verified: '== 100%' },
}

describe('interrupting a run', () => {
  it('first Ctrl-C stops the schedule, drains, writes the partial report and exits 130', async () => {
    const file = writeConfig(longRun)
    const out = path.join(path.dirname(file), 'result.json')
    const junit = path.join(path.dirname(file), 'slo.xml')
    let signalled = false
    const started = Date.now()
    const run = await runCli(['run', '--config', file, '--out', out, '--junit', junit], {
      onStdout: (text, kill) => {
        if (!signalled && (text.match(/\| measure/g) ?? []).length >= 2) {
          signalled = true
          kill('SIGINT')
        }
      },
    })
    expect(run.code).toBe(130)
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(run.stderr).toMatch(/stopping — draining for up to 5s/)
    const result = readResult(out)
    expect(result.status).toBe('interrupted')
    expect(result.exitCode).toBe(130)
    expect(result.events.sent).toBeGreaterThan(1000)
    expect(result.events.sent).toBeLessThan(20_000)
    expect(result.events.lost).toBe(0)
    expect(run.stdout).toMatch(/INTERRUPTED/)
    // Verification runs only at the end, so the partial report skips its SLO rather than failing it.
    expect(run.stdout).toMatch(/✓ pass\s+e2e\.p99 < 1s/)
    expect(run.stdout).toMatch(
      /– skip\s+verified == 100%\s+not measured: the interrupt \(Ctrl-C\) ended the run before verification/,
    )
    // The run as a whole did not pass: neither the JSON nor the JUnit file may read green.
    expect(result.slo.passed).toBe(false)
    expect(result.slo.note).toMatch(/^interrupted \(Ctrl-C\) after [\d.]+s of 60s: the run did not finish/)
    const xml = readFileSync(junit, 'utf8')
    expect(xml).toMatch(/tests="3" failures="0" errors="1" skipped="1"/)
    expect(xml).toMatch(
      /<testcase classname="cdcb.run" name="the run completed">\s*<error message="interrupted \(Ctrl-C\): partial results"\/>/,
    )
    expect(xml).toMatch(
      /<skipped message="not measured: the interrupt \(Ctrl-C\) ended the run before verification"\/>/,
    )
  })

  it('names the signal that stopped the run (SIGHUP, SIGTERM), not Ctrl-C', async () => {
    for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
      const file = writeConfig({ ...longRun, slo: { verified: '== 100%' } })
      const out = path.join(path.dirname(file), 'result.json')
      let signalled = false
      const run = await runCli(['run', '--config', file, '--out', out], {
        onStdout: (text, kill) => {
          if (!signalled && text.includes('| measure')) {
            signalled = true
            kill(signal)
          }
        },
      })
      expect(run.code).toBe(130)
      const result = readResult(out)
      expect(result.reason).toBe(`interrupted (${signal}): partial results`)
      expect(run.stdout).toMatch(new RegExp(`INTERRUPTED \\(interrupted \\(${signal}\\)`))
      expect(run.stdout).toMatch(new RegExp(`not measured: the interrupt \\(${signal}\\) ended the run`))
      expect(run.stdout).not.toMatch(/Ctrl-C/)
    }
  })

  it('a second Ctrl-C exits at once', async () => {
    const file = writeConfig({
      ...longRun,
      load: { ...longRun.load, drainTimeout: '60s' },
      source: { plugin: 'memory', options: { pipelineStall: { at: '0s', for: '60s' } } },
    })
    let signals = 0
    const run = await runCli(['run', '--config', file], {
      onStdout: (text, kill) => {
        if (signals === 0 && text.includes('| measure')) {
          signals++
          kill('SIGINT')
          setTimeout(() => kill('SIGINT'), 300)
        }
      },
    })
    expect(run.code).toBe(130)
    expect(run.stderr).toMatch(/interrupted again — exiting now/)
    // Nothing is torn down: the line says so and names the clean that finds what is left (trialA: it said neither).
    expect(run.stderr).toMatch(
      /without teardown: what this run made on its servers .* stays until you run cdcb clean --config \S*bench\.config\.json/,
    )
  })
})

describe('cdcb init', () => {
  it('writes a config that runs as it is, and refuses to overwrite it', async () => {
    const cwd = tempDir()
    const init = await runCli(['init'], { cwd })
    expect(init.code).toBe(0)
    const config = readFileSync(path.join(cwd, 'bench.config.ts'), 'utf8')
    expect(config).toMatch(/defineConfig/)
    const again = await runCli(['init'], { cwd })
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already exists — pass --force/)

    const run = await runCli(['run', '--duration', '2s', '--rate', '2000'], { cwd })
    expect(run.stderr).toBe('')
    expect(run.stdout).toMatch(/cdcb run \w+ "my-pipeline"/)
    expect(run.stdout).toMatch(/✓ pass\s+e2e\.p95 < 2s/)
    expect(existsSync(path.join(cwd, 'cdcb-result.json'))).toBe(true)
    // The template's throughput SLO assumes its own 5,000/s rate, so at 2,000/s it fails: exit 1, named.
    expect(run.stdout).toMatch(/✗ FAIL\s+throughput >= 4900\/s/)
    expect(run.code).toBe(1)
  })

  it('--version and --help work', async () => {
    const version = await runCli(['--version'])
    expect(version.stdout).toMatch(/^cdcb\/\d+\.\d+\.\d+ /)
    const help = await runCli(['run', '--help'])
    expect(help.stdout).toMatch(/--no-tui/)
    expect(help.stdout).toMatch(/130\s+interrupted/)
  })
})

describe('a generator that cannot keep up', () => {
  // Writes stall from 1 s to 9 s, so the generator, 100 operations in flight at most, falls behind a 2 s load.
  it('says it is catching up, stops within the stated bound, and counts what it never sent', async () => {
    const file = writeConfig({
      source: { plugin: 'memory', options: { writeStall: { at: '1s', for: '8s' } } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 1000, duration: '2s', maxInFlight: 100 },
    })
    const out = path.join(path.dirname(file), 'result.json')
    const run = await runCli(['run', '--config', file, '--out', out])
    const said = run.stdout + run.stderr
    expect(said).toMatch(
      /the generator is behind: catching up on \d+ operations still unsent, for at most 5s more/,
    )
    const stopped =
      /could not keep up: stopped ([\d.]+)s after the planned end with (\d+) operations never sent/.exec(said)
    expect(stopped, said).not.toBeNull()
    expect(Number(stopped![1])).toBeGreaterThanOrEqual(5)
    expect(Number(stopped![1])).toBeLessThan(7)
    const result = readResult(out)
    expect(result.events.sent + Number(stopped![2])).toBe(2000)
    expect(result.events.lost).toBe(0)
  })
})

describe('cdcb clean', () => {
  it('names each part it cannot look at instead of saying the config leaves nothing', async () => {
    const file = writeConfig({ source: { plugin: 'memory' }, sink: { plugin: 'memory' } })
    const clean = await runCli(['clean', '--config', file, '--dry-run'])
    expect(clean.code, clean.stderr).toBe(0)
    expect(clean.stdout).toBe(
      'cdcb: not looked at: sink (memory), source (memory) — no clean step in the plugin\n',
    )
  })
})
