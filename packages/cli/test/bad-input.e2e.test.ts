import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli, tempDir, writeConfig } from './helpers.js'

const ok = { source: { plugin: 'memory' }, sink: { plugin: 'memory' }, load: { rate: 100, duration: '1s' } }

/** Each case: the CLI arguments (a config object is written to a file first) and what the one-line error must say. */
const cases: Array<[string, () => string[], RegExp]> = [
  [
    'unknown top-level key',
    () => ['--config', writeConfig({ ...ok, lod: {} })],
    /lod: unknown key — did you mean "load"\?/,
  ],
  [
    'unknown load key',
    () => ['--config', writeConfig({ ...ok, load: { rat: 5 } })],
    /load\.rat: unknown key — did you mean "rate"\?/,
  ],
  [
    'wrong type',
    () => ['--config', writeConfig({ ...ok, load: { rate: 'fast' } })],
    /load\.rate: expected a positive number, got "fast"/,
  ],
  [
    'negative rate',
    () => ['--config', writeConfig({ ...ok, load: { rate: -10 } })],
    /load\.rate: expected a positive number, got -10/,
  ],
  [
    'bad duration',
    () => ['--config', writeConfig({ ...ok, load: { duration: 'soon' } })],
    /load\.duration: expected a duration/,
  ],
  ['missing sink', () => ['--config', writeConfig({ source: ok.source })], /sink: is required/],
  [
    'unknown plugin',
    () => ['--config', writeConfig({ ...ok, sink: { plugin: 'foo' } })],
    /plugin "cdcb-plugin-foo" is not installed — run: npm i -D cdcb-plugin-foo/,
  ],
  [
    'bad plugin option',
    () => ['--config', writeConfig({ ...ok, source: { plugin: 'memory', options: { loss: 2 } } })],
    /source\.options\.loss: expected a rate from 0 to 1/,
  ],
  [
    'unknown plugin option',
    () => ['--config', writeConfig({ ...ok, source: { plugin: 'memory', options: { dealy: '5ms' } } })],
    /source\.options/,
  ],
  [
    'unparsable SLO',
    () => ['--config', writeConfig({ ...ok, slo: { 'e2e.p95': '< 2 parsecs' } })],
    /slo: unit "parsecs" is not a time unit/,
  ],
  [
    'SLO on an unknown metric',
    () => ['--config', writeConfig({ ...ok, slo: ['latency < 2s'] })],
    /slo: unknown metric "latency"/,
  ],
  [
    'missing config file',
    () => ['--config', '/nonexistent/bench.config.ts'],
    /config file not found: \/nonexistent\/bench\.config\.ts/,
  ],
  [
    'TS config with a syntax error',
    () => ['--config', writeConfig('export default { source: { plugin: "memory" ', 'bench.config.ts')],
    /bench\.config\.ts: cannot load/,
  ],
  [
    'invalid JSON',
    () => ['--config', writeConfig('{ "source": ', 'bench.config.json')],
    /bench\.config\.json: cannot load/,
  ],
  [
    'invalid YAML',
    () => ['--config', writeConfig('source: [unclosed', 'bench.config.yaml')],
    /bench\.config\.yaml: cannot load/,
  ],
  [
    'config that is not an object',
    () => ['--config', writeConfig('[1, 2]', 'bench.config.json')],
    /expected the config to be an object/,
  ],
  [
    'a plugin without a sink in the sink slot',
    () => [
      '--config',
      writeConfig({
        ...ok,
        sink: { plugin: path.resolve('packages/cli/test/fixtures/source-only-plugin.mjs') },
      }),
    ],
    /sink: plugin ".*source-only-plugin\.mjs" has no sink \(it provides: source\)/,
  ],
  [
    '--rate not a number',
    () => ['--config', writeConfig(ok), '--rate', 'fast'],
    /--rate: expected a positive number, got "fast"/,
  ],
  [
    '--duration not a duration',
    () => ['--config', writeConfig(ok), '--duration', 'ages'],
    /--duration: expected a duration/,
  ],
  [
    '--workers not whole',
    () => ['--config', writeConfig(ok), '--workers', '1.5'],
    /--workers: expected a whole number/,
  ],
  [
    'fewer keys than workers',
    () => ['--config', writeConfig({ ...ok, workers: 4, load: { keys: 2 } })],
    /load\.keys \(2\) must be at least workers \(4\)/,
  ],
  [
    'json reporter without a file',
    () => ['--config', writeConfig({ ...ok, reporters: ['json'] })],
    /"json" needs a file/,
  ],
  [
    'unknown reporter',
    () => ['--config', writeConfig({ ...ok, reporters: ['fancy'] })],
    /unknown reporter "fancy"/,
  ],
]

describe('bad input: one line naming the problem, exit 2, no stack trace, nothing written', () => {
  it.each(cases)('%s', async (_name, args, message) => {
    const cwd = tempDir()
    const out = path.join(cwd, 'result.json')
    const run = await runCli(['run', ...args(), '--out', out], { cwd })
    expect(run.stderr).toMatch(message)
    expect(run.code).toBe(2)
    expect(run.stderr).not.toMatch(/\n\s+at |Error:|node:internal/)
    expect(run.stderr.trim().split('\n')[0]).toMatch(/^cdcb: /)
    expect(run.stdout).toBe('')
    const { existsSync } = await import('node:fs')
    expect(existsSync(out)).toBe(false)
  })

  it('an unknown flag is a usage error', async () => {
    const run = await runCli(['run', '--rat', '5'])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/--rat/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('no config in the directory tells how to make one', async () => {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'unrelated.txt'), '')
    const run = await runCli(['run', '--config', path.join(cwd, 'bench.config.ts')], { cwd })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/run: cdcb init/)
  })
})
