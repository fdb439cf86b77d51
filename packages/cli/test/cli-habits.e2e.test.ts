import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, runCli, tempDir, writeConfig } from './helpers.js'

describe('command-line habits', () => {
  it('an unknown flag is one line with a did-you-mean, exit 2', async () => {
    const run = await runCli(['run', '--rat', '5'])
    expect(run.stderr).toBe(
      'cdcb: run: unknown flag --rat — did you mean --rate? (cdcb run --help lists them)\n',
    )
    expect(run.code).toBe(2)
    const init = await runCli(['init', '--forse'])
    expect(init.stderr).toMatch(/^cdcb: init: unknown flag --forse — did you mean --force\?/)
    expect(init.code).toBe(2)
  })

  it('cdcb init --file makes the folders it needs; a place it cannot write is exit 2', async () => {
    const cwd = tempDir()
    const made = await runCli(['init', '--file', 'sub/dir/x.ts'], { cwd })
    expect(made.code).toBe(0)
    expect(existsSync(path.join(cwd, 'sub/dir/x.ts'))).toBe(true)
    const refused = await runCli(['init', '--file', '/proc/cdcb/x.ts'], { cwd })
    expect(refused.stderr).toMatch(/^cdcb: cannot write \/proc\/cdcb\/x\.ts: .* — choose another --file\n$/)
    expect(refused.code).toBe(2)
  })
})

// util-linux `script` gives the run a real terminal, as a user has.
const hasScript = spawnSync('script', ['--version']).status === 0
if (!hasScript) {
  process.stderr.write(
    '\n!!! live-output tests SKIPPED: util-linux `script` is not installed, so no terminal to run in !!!\n',
  )
}

/** Runs `cdcb run` at a terminal; returns what the terminal showed. */
function atTerminal(args: string[], env: Record<string, string | undefined>): string {
  const config = writeConfig({
    source: { plugin: 'memory' },
    sink: { plugin: 'memory' },
    workers: 1,
    load: { rate: 100, duration: '2s' },
  })
  const command = [process.execPath, CLI, 'run', '--config', config, ...args].map((a) => `'${a}'`).join(' ')
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env }
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key]
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: path.dirname(config),
    env: childEnv as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 60_000,
  })
  expect(result.status, result.stdout).toBe(0)
  return result.stdout
}

const dashboard = /Throughput[\s\S]*Latency/
const plainLines = /\| measure /

describe.skipIf(!hasScript)('the live output at a terminal', () => {
  it('CI set but empty keeps the dashboard', () => {
    const shown = atTerminal([], { CI: '', CONTINUOUS_INTEGRATION: undefined })
    expect(shown).toMatch(dashboard)
    expect(shown).not.toMatch(plainLines)
  })

  it('--tui wins over CI=1, --no-tui over a terminal', () => {
    const forced = atTerminal(['--tui'], { CI: '1' })
    expect(forced).toMatch(dashboard)
    expect(forced).not.toMatch(plainLines)
    const plain = atTerminal(['--no-tui'], { CI: undefined, CONTINUOUS_INTEGRATION: undefined })
    expect(plain).toMatch(plainLines)
    expect(plain).not.toMatch(dashboard)
  })

  it('CI=1 without a flag prints plain lines', () => {
    expect(atTerminal([], { CI: '1' })).toMatch(plainLines)
  })
})
