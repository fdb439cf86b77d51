import { readFileSync, writeFileSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
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
    /bench\.config\.json: sink\.plugin: plugin "cdcb-plugin-foo" is not installed — run: npm i -D cdcb-plugin-foo/,
  ],
  [
    'bad plugin option',
    () => ['--config', writeConfig({ ...ok, source: { plugin: 'memory', options: { loss: 2 } } })],
    /bench\.config\.json: source\.options\.loss: expected a rate from 0 to 1.*, got 2/,
  ],
  [
    'unknown plugin option',
    () => ['--config', writeConfig({ ...ok, source: { plugin: 'memory', options: { dealy: '5ms' } } })],
    /source\.options/,
  ],
  [
    'unparsable SLO',
    () => ['--config', writeConfig({ ...ok, slo: { 'e2e.p95': '< 2 parsecs' } })],
    /^cdcb: bench\.config\.json: slo: unit "parsecs" is not a time unit .*"parsecs" at character 13 of "e2e\.p95 < 2 parsecs"\n$/,
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
    () => [
      '--config',
      writeConfig('export default {\n  source: { plugin: "memory" } +* \n}\n', 'bench.config.ts'),
    ],
    /bench\.config\.ts: cannot load: Unexpected token \(line 2, column \d+\) — fix the file/,
  ],
  [
    'invalid JSON',
    () => ['--config', writeConfig('{ "source": ', 'bench.config.json')],
    /bench\.config\.json: cannot load/,
  ],
  [
    'JSON with a trailing comma',
    () => ['--config', writeConfig('{\n  "source": { "plugin": "memory" },\n}', 'bench.config.json')],
    /bench\.config\.json: cannot load: .*property name.* \(line 3, column 1\) — fix the file/,
  ],
  [
    'invalid YAML',
    () => ['--config', writeConfig('source: [unclosed', 'bench.config.yaml')],
    /bench\.config\.yaml: cannot load/,
  ],
  [
    'YAML indented with a tab',
    () => ['--config', writeConfig('source:\n\tplugin: memory\n', 'bench.config.yaml')],
    /bench\.config\.yaml: cannot load: tab characters must not be used in indentation \(line 2, column 1\)/,
  ],
  [
    'YAML with a duplicate key',
    () => [
      '--config',
      writeConfig(
        'source: {plugin: memory}\nsink: {plugin: memory}\nsource: {plugin: memory}\n',
        'bench.config.yaml',
      ),
    ],
    /bench\.config\.yaml: cannot load: duplicated mapping key \(line 3, column 1\)/,
  ],
  [
    'TS config with no default export',
    () => [
      '--config',
      writeConfig('export const config = { source: { plugin: "memory" } }\n', 'bench.config.ts'),
    ],
    /bench\.config\.ts: has no default export \(it exports config\) — write export default defineConfig/,
  ],
  [
    'misspelt top-level key',
    () => ['--config', writeConfig({ sourc: ok.source, sink: ok.sink })],
    /bench\.config\.json: sourc: unknown key — did you mean "source"\?/,
  ],
  [
    'workers above the cap in a config',
    () => ['--config', writeConfig({ ...ok, workers: 1000 })],
    /workers: expected a whole number from 1 to 256 \(the most worker threads cdcb runs\), got 1000/,
  ],
  [
    '--workers above the cap',
    () => ['--config', writeConfig(ok), '--workers', '1000'],
    /--workers: expected a whole number from 1 to 256 \(the most worker threads cdcb runs\), got 1000/,
  ],
  [
    'interval of 0s',
    () => ['--config', writeConfig({ ...ok, interval: '0s' })],
    /interval: expected a duration of at least 100ms/,
  ],
  [
    'a zero SLO window',
    () => ['--config', writeConfig({ ...ok, slo: ['e2e.p99[0s] < 2s'] })],
    /^cdcb: bench\.config\.json: slo: window "\[0s\]" must be longer than 0 — "\[0s\]" at character 8 of "e2e\.p99\[0s\] < 2s"\n$/,
  ],
  [
    'an SLO window that is not a duration',
    () => ['--config', writeConfig({ ...ok, slo: ['e2e.p99[abc] < 2s'] })],
    /slo: window "\[abc\]" is not a duration/,
  ],
  [
    'an SLO window shorter than the reporting interval',
    () => ['--config', writeConfig({ ...ok, slo: ['e2e.p99[100ms] < 2s'] })],
    /slo: "e2e\.p99\[100ms\] < 2s": the window \(0\.1s\) is shorter than the reporting interval \(1s\)/,
  ],
  [
    'an SLO window longer than the run',
    () => ['--config', writeConfig({ ...ok, slo: ['throughput[1m] >= 90/s'] })],
    /slo: "throughput\[1m\] >= 90\/s": the window \(60s\) is longer than the measured run \(1s\)/,
  ],
  [
    'SLO on verified without a verifier',
    () => ['--config', writeConfig({ ...ok, slo: { verified: '== 100%' } })],
    /bench\.config\.json: slo: "verified == 100%" needs a verifier/,
  ],
  [
    'options on the memory sink',
    () => ['--config', writeConfig({ ...ok, sink: { plugin: 'memory', options: { loss: 0.5 } } })],
    /bench\.config\.json: sink\.options: the memory sink takes no options/,
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
    'load.duration beside load.stages (it would be ignored)',
    () => [
      '--config',
      writeConfig({ ...ok, load: { duration: '5s', stages: [{ duration: '1s', rate: 100 }] } }),
    ],
    /bench\.config\.json: load\.duration: cannot be combined with load\.stages — the stages' durations make the plan/,
  ],
  [
    'a zero duration, even with a warmup',
    () => ['--config', writeConfig({ ...ok, load: { rate: 100, duration: '0s', warmup: '1s' } })],
    /load\.duration: expected a duration longer than 0/,
  ],
  [
    '--duration 0s',
    () => ['--config', writeConfig(ok), '--duration', '0s'],
    /--duration: expected a duration longer than 0/,
  ],
  // No config here: the quickstart, refused before it starts its embedded PostgreSQL.
  [
    '--duration 0s for the quickstart',
    () => ['--duration', '0s'],
    /--duration: expected a duration longer than 0/,
  ],
  [
    'a memory delay whose p99 is below its median',
    () => [
      '--config',
      writeConfig({
        ...ok,
        source: { plugin: 'memory', options: { delay: { median: '50ms', p99: '5ms' } } },
      }),
    ],
    /source\.options\.delay.*p99 must be at least the median/,
  ],
  [
    'a name with control characters (it could clear the terminal and print a fake verdict)',
    () => ['--config', writeConfig({ ...ok, name: 'x\u001b[2J\u001b[32mPASSED\nfake line' })],
    /bench\.config\.json: name: expected one line of printable text/,
  ],
  [
    '--workers not whole',
    () => ['--config', writeConfig(ok), '--workers', '1.5'],
    /--workers: expected a whole number from 1 to 256, got 1\.5/,
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

  it('--out into a folder that does not exist: a config error leaves no folder; a run creates it with the report', async () => {
    const { existsSync } = await import('node:fs')
    const cwd = tempDir()
    const out = path.join(cwd, 'results', 'new', 'run.json')
    const bad = await runCli(['run', '--config', writeConfig({ ...ok, load: { rate: -1 } }), '--out', out], {
      cwd,
    })
    expect(bad.code).toBe(2)
    expect(existsSync(path.join(cwd, 'results'))).toBe(false)
    const good = await runCli(['run', '--config', writeConfig(ok), '--out', out], { cwd })
    expect(good.code).toBe(0)
    expect(existsSync(out)).toBe(true)
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

describe('reports are checked before the run, and a report that fails to write is never exit 0', () => {
  it.each([
    [
      '--out in a folder where nothing can be created',
      () => ['--out', '/proc/r.json'],
      /--out \/proc\/r\.json: cannot write there: cannot create files in \/proc/,
    ],
    [
      '--junit through a file',
      () => {
        const dir = tempDir()
        writeFileSync(path.join(dir, 'file.txt'), '')
        return ['--junit', path.join(dir, 'file.txt', 'slo.xml')]
      },
      /--junit .*file\.txt\/slo\.xml: cannot write there: .*file\.txt is a file, not a folder/,
    ],
    [
      'a json reporter in the config whose file is a folder',
      () => {
        const dir = tempDir()
        return ['--config', writeConfig({ ...ok, reporters: [['json', { file: dir }]] })]
      },
      /bench\.config\.json: reporters\.0 .*: cannot write there: .* is a folder — choose another path/,
    ],
  ])('%s: exit 2 before anything runs', async (_name, args, message) => {
    const cwd = tempDir()
    const given = args()
    const config = given.includes('--config') ? [] : ['--config', writeConfig(ok)]
    const run = await runCli(['run', ...config, ...given], { cwd })
    expect(run.stderr).toMatch(message)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stdout).toBe('')
    expect(run.code).toBe(2)
  })

  it('a report that cannot be written after the run ends it with exit 3', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'reports', 'result.json')
    let blocked = false
    const run = await runCli(
      ['run', '--config', writeConfig({ ...ok, load: { rate: 100, duration: '3s' } }), '--out', out],
      {
        onStdout: (text) => {
          // The folder the report would be made in becomes a file while the run is going.
          if (!blocked && text.includes('| measure')) {
            blocked = true
            writeFileSync(path.join(dir, 'reports'), '')
          }
        },
      },
    )
    expect(blocked).toBe(true)
    expect(run.stdout).toMatch(/PASSED/)
    expect(run.stdout).toMatch(
      /now FAILED \(runtime failure: the run finished \(passed\) but its report could not be written: .*reports\/result\.json.*\), exit 3/,
    )
    expect(run.code).toBe(3)
  })

  it('--seed takes any whole number, as load.seed does', async () => {
    const cwd = tempDir()
    for (const seed of ['0', '-7']) {
      const run = await runCli(['run', '--config', writeConfig(ok), `--seed=${seed}`], { cwd })
      expect(run.stderr).toBe('')
      expect(run.stdout).toMatch(/PASSED/)
      expect(run.code).toBe(0)
    }
  })
})

describe('a config connects only where it names', () => {
  // The README's own config, from a folder outside the install, with SOURCE_URL and TARGET_URL unset
  // and libpq's variables set as many DBAs have them: it used to benchmark that server's postgres database.
  it('a url read from an unset environment variable is a config error, and nothing is contacted', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8')
    const config = /```ts\n(\/\/ bench\.config\.ts\n[\s\S]*?)```/.exec(readme)?.[1]
    expect(config).toMatch(/process\.env\.SOURCE_URL/)
    const listener = createServer((socket) => {
      contacted++
      socket.destroy()
    })
    let contacted = 0
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    try {
      const port = (listener.address() as AddressInfo).port
      const env: Record<string, string> = {
        PGHOST: '127.0.0.1',
        PGPORT: String(port),
        PGUSER: 'postgres',
        PGPASSWORD: 'secret',
        PGDATABASE: 'postgres',
      }
      const run = await runCli(['run', '--config', writeConfig(config!, 'bench.config.ts')], {
        env,
        unset: ['SOURCE_URL', 'TARGET_URL'],
      })
      expect(run.stderr).toMatch(
        /^cdcb: bench\.config\.ts: source\.options\.url: is undefined — is it read from an environment variable that is not set\?/,
      )
      expect(run.code).toBe(2)
      expect(contacted).toBe(0)
    } finally {
      listener.close()
    }
  })
})
