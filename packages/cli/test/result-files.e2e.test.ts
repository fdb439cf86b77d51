/**
 * What the result commands (run, report, compare, merge, search) write and where: no output may name an
 * input or another output, an empty path is refused, argument mistakes are one line, and a config's
 * relative report paths resolve against the config's folder. Every refusal: one line, exit 2, nothing written.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliRun, readResult, runCli, tempDir, writeConfig } from './helpers.js'

const config = {
  source: { plugin: 'memory' },
  sink: { plugin: 'memory' },
  workers: 1,
  load: { rate: 100, duration: '1s', drainTimeout: '1s' },
}

const dir = tempDir()
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Two results of real runs, in one folder. */
const results = { first: path.join(dir, 'r1.json'), second: path.join(dir, 'r2.json') }
beforeAll(async () => {
  for (const file of Object.values(results)) {
    const run = await runCli(['run', '--config', writeConfig(config), '--out', file, '--no-tui', '-q'])
    expect(run.code, run.stderr).toBe(0)
  }
})

/** Refused: one line that matches `message`, exit 2, no stdout. */
function expectRefused(cli: CliRun, message: RegExp): void {
  expect(cli.code, cli.stderr + cli.stdout).toBe(2)
  expect(cli.stderr.trim().split('\n'), cli.stderr).toHaveLength(1)
  expect(cli.stderr.trim()).toMatch(message)
  expect(cli.stdout).toBe('')
}

describe('an output never names an input', () => {
  it('report --html or --csv naming the result it reads is refused, and the result is untouched', async () => {
    const before = readFileSync(results.first, 'utf8')
    expectRefused(
      await runCli(['report', results.first, '--html', results.first]),
      /^cdcb: --html .*r1\.json: is also an input \(.*r1\.json\) — writing there would overwrite it; choose another path$/,
    )
    // A --csv prefix whose PREFIX_stats.csv is the input.
    const csvInput = path.join(dir, 'x_stats.csv')
    writeFileSync(csvInput, readFileSync(results.first))
    expectRefused(
      await runCli(['report', csvInput, '--csv', path.join(dir, 'x')]),
      /^cdcb: --csv .*x_stats\.csv: is also an input/,
    )
    expect(readFileSync(results.first, 'utf8')).toBe(before)
    expect(existsSync(path.join(dir, 'x_history.csv'))).toBe(false)
  })

  it('run --out, --html, --junit or a config reporter naming the config is refused before the run', async () => {
    const file = writeConfig(config, 'c.json')
    const before = readFileSync(file, 'utf8')
    for (const flag of ['--out', '--html', '--junit']) {
      expectRefused(
        await runCli(['run', '--config', file, flag, file, '--no-tui']),
        new RegExp(`^cdcb: ${flag} .*c\\.json: is also the config \\(.*c\\.json\\)`),
      )
    }
    // Found without --config, named relatively.
    const cwd = path.dirname(file)
    const found = path.join(cwd, 'cdcb.config.json')
    copyFileSync(file, found)
    expectRefused(
      await runCli(['run', '--out', 'cdcb.config.json', '--no-tui'], { cwd }),
      /^cdcb: --out cdcb\.config\.json: is also the config/,
    )
    rmSync(found)
    const writesItself = writeConfig(
      { ...config, reporters: [['junit', { file: 'bench.config.json' }]] },
      'bench.config.json',
    )
    const own = readFileSync(writesItself, 'utf8')
    expectRefused(
      await runCli(['run', '--config', writesItself, '--no-tui']),
      /^cdcb: bench\.config\.json: reporters\.0 .*bench\.config\.json: is also the config/,
    )
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(readFileSync(writesItself, 'utf8')).toBe(own)
  })

  it('merge --config, and search --config, are inputs too', async () => {
    const file = writeConfig({ ...config, slo: { lost: '== 0' } }, 'gate.json')
    const before = readFileSync(file, 'utf8')
    expectRefused(
      await runCli([
        'merge',
        results.first,
        results.second,
        '--config',
        file,
        '--out',
        path.join(dir, 'merged.json'),
        '--html',
        file,
      ]),
      /^cdcb: --html .*gate\.json: is also the config/,
    )
    expectRefused(
      await runCli(['search', '--config', file, '--out', file]),
      /^cdcb: --out .*gate\.json: is also the config/,
    )
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(existsSync(path.join(dir, 'merged.json'))).toBe(false)
  })
})

describe('two outputs naming one file', () => {
  it('run refuses them up front, naming both flags (not "another run", which was itself)', async () => {
    const same = path.join(tempDir(), 'same.json')
    expectRefused(
      await runCli(['run', '--config', writeConfig(config), '--out', same, '--html', same, '--no-tui']),
      /^cdcb: --html .*same\.json: --out writes it too — give each output its own file$/,
    )
    expect(existsSync(same)).toBe(false)
    // A --csv file and a config's reporter file.
    const folder = tempDir()
    const withReporter = writeConfig({ ...config, reporters: [['json', { file: 'out.json' }]] })
    const configDir = path.dirname(withReporter)
    expectRefused(
      await runCli(['run', '--config', withReporter, '--out', path.join(configDir, 'out.json'), '--no-tui']),
      /^cdcb: --out .*out\.json: bench\.config\.json: reporters\.0 writes it too/,
    )
    expectRefused(
      await runCli([
        'run',
        '--config',
        writeConfig(config),
        '--junit',
        path.join(folder, 'p_totals.csv'),
        '--csv',
        path.join(folder, 'p'),
      ]),
      /^cdcb: --csv .*p_totals\.csv: --junit writes it too/,
    )
    expect(existsSync(path.join(folder, 'p_history.csv'))).toBe(false)
  })

  it('report and merge refuse them too', async () => {
    const same = path.join(dir, 'both')
    expectRefused(
      await runCli(['report', results.first, '--html', `${same}_stats.csv`, '--csv', same]),
      /^cdcb: --csv .*both_stats\.csv: --html writes it too/,
    )
    expectRefused(
      await runCli(['merge', results.first, results.second, '--out', same, '--html', same]),
      /^cdcb: --html .*both: --out writes it too/,
    )
    expect(existsSync(same)).toBe(false)
  })
})

describe('an empty path is refused the same way by every path flag', () => {
  it('one line naming the flag, exit 2, nothing run or written', async () => {
    const file = writeConfig(config)
    const cases: Array<[string[], string]> = [
      [['report', results.first, '--html', ''], '--html'],
      [['report', results.first, '--csv', ''], '--csv'],
      [['run', '--config', file, '--csv', '', '--no-tui'], '--csv'],
      [['run', '--config', file, '--html', '', '--no-tui'], '--html'],
      [['run', '--config', file, '--out', '', '--no-tui'], '--out'],
      [['run', '--config', file, '--junit=', '--no-tui'], '--junit'],
      [['run', '--config', '', '--no-tui'], '--config'],
      [['merge', results.first, results.second, '--out', ''], '--out'],
      [['search', '--config', file, '--out', ''], '--out'],
      [['init', '--file', ''], '--file'],
    ]
    for (const [args, flag] of cases) {
      const cli = await runCli(args)
      // merge's --out is required: "leave it out" would send the user to another error.
      const leaveOut = args[0] === 'merge' ? '$' : ', or leave it out'
      expectRefused(cli, new RegExp(`^cdcb: ${args[0]}: ${flag} is empty — give it a path${leaveOut}`, 'm'))
    }
  })
})

describe('argument mistakes are one line, as for run', () => {
  it('a missing or an extra argument of compare, report and merge, and an unknown flag', async () => {
    expectRefused(
      await runCli(['compare', results.first]),
      /^cdcb: compare: missing CANDIDATE \(the new result\) — usage: cdcb compare BASELINE CANDIDATE/,
    )
    expectRefused(await runCli(['report']), /^cdcb: report: missing RESULT .* — usage: cdcb report RESULT/)
    // A piped stdin is no argument: oclif read it as the missing one (a script's heredoc became a file name).
    expectRefused(
      await runCli(['compare', results.first], { stdin: `${results.second}\n` }),
      /^cdcb: compare: missing CANDIDATE/,
    )
    expectRefused(await runCli(['report'], { stdin: `${results.first}\n` }), /^cdcb: report: missing RESULT/)
    expectRefused(
      await runCli(['report', results.first, '--htm', 'x.html']),
      /^cdcb: report: unknown flag --htm — did you mean --html\?/,
    )
    expectRefused(await runCli(['merge', results.first, results.second]), /^cdcb: merge: missing --out/)
    expectRefused(
      await runCli(['merge', results.first, '--ot', 'x.json']),
      /^cdcb: merge: unknown flag --ot — did you mean --out\?/,
    )
  })

  it('merge of one result, and a --csv prefix that is a file name, are refused (found by a fresh user)', async () => {
    const out = path.join(dir, 'one-merged.json')
    expectRefused(
      await runCli(['merge', results.first, '--out', out]),
      /^cdcb: merge: merge needs two or more results, got one \(.*r1\.json\) — give every result to add up/,
    )
    expect(existsSync(out)).toBe(false)
    // `--csv r.json` quietly wrote r.json_history.csv, r.json_stats.csv and r.json_totals.csv.
    const prefix = path.join(dir, 'csvprefix.json')
    expectRefused(
      await runCli(['report', results.first, '--csv', prefix]),
      /^cdcb: --csv .*csvprefix\.json: is a prefix for three files \(.*csvprefix\.json_history\.csv, …_stats\.csv, …_totals\.csv\), not a file — give it without "\.json", such as .*csvprefix$/,
    )
    expect(existsSync(`${prefix}_history.csv`)).toBe(false)
  })

  it('compare names the extra third file, even when it repeats the first', async () => {
    const third = path.join(dir, 'third.json')
    copyFileSync(results.first, third)
    expectRefused(
      await runCli(['compare', results.first, results.second, third]),
      /^cdcb: compare: unexpected 3rd argument .*third\.json — usage: cdcb compare BASELINE CANDIDATE$/,
    )
    const repeated = await runCli(['compare', results.first, results.second, results.first])
    expectRefused(repeated, /unexpected 3rd argument .*r1\.json/)
    expect(repeated.stderr).not.toMatch(/r2\.json/)
  })
})

describe('compare column headers', () => {
  it('are the files’ base names, with enough of the path to tell equal base names apart', async () => {
    const long = path.join(dir, 'a-rather-long-folder-name', 'trialA')
    const other = path.join(dir, 'a-rather-long-folder-name', 'trialB')
    mkdirSync(long, { recursive: true })
    mkdirSync(other, { recursive: true })
    copyFileSync(results.first, path.join(long, 'baseline-of-tuesday.json'))
    copyFileSync(results.second, path.join(long, 'candidate-of-tuesday.json'))
    const oneFolder = await runCli([
      'compare',
      path.join(long, 'baseline-of-tuesday.json'),
      path.join(long, 'candidate-of-tuesday.json'),
    ])
    expect(oneFolder.code, oneFolder.stderr).toBe(0)
    expect(oneFolder.stdout.split('\n')[0]).toMatch(
      /^figure\s+baseline-of-tuesday\.json\s+candidate-of-tuesday\.json\s+change$/,
    )
    copyFileSync(results.first, path.join(long, 'r.json'))
    copyFileSync(results.second, path.join(other, 'r.json'))
    const sameName = await runCli(['compare', path.join(long, 'r.json'), path.join(other, 'r.json')])
    expect(sameName.code, sameName.stderr).toBe(0)
    expect(sameName.stdout.split('\n')[0]).toMatch(/^figure\s+trialA\/r\.json\s+trialB\/r\.json\s+change$/)
  })
})

describe('relative paths inside a config resolve against its folder', () => {
  it('a reporter file is written next to the config, not in the current folder', async () => {
    const file = writeConfig({ ...config, reporters: [['json', { file: 'results/cdcb-result.json' }]] })
    const cwd = tempDir()
    const run = await runCli(['run', '--config', file, '--no-tui', '-q'], { cwd })
    expect(run.code, run.stderr).toBe(0)
    expect(existsSync(path.join(path.dirname(file), 'results', 'cdcb-result.json'))).toBe(true)
    expect(existsSync(path.join(cwd, 'results'))).toBe(false)
    // The result file is a result: report reads it.
    expect(readResult(path.join(path.dirname(file), 'results', 'cdcb-result.json')).events.lost).toBe(0)
  })

  it('the config cdcb init writes puts its result beside itself', async () => {
    const cwd = tempDir()
    expect((await runCli(['init', '--file', 'bench/bench.config.ts'], { cwd })).code).toBe(0)
    const run = await runCli(
      ['run', '--config', 'bench/bench.config.ts', '--duration', '1s', '--rate', '500', '-q'],
      { cwd },
    )
    expect(run.stderr).toBe('')
    expect(existsSync(path.join(cwd, 'bench', 'cdcb-result.json'))).toBe(true)
    expect(existsSync(path.join(cwd, 'cdcb-result.json'))).toBe(false)
  })
})
