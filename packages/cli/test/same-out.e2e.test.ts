/**
 * Issue #10: two runs given the same report file used to overwrite each other silently. The second live run on
 * this host is refused up front (one line, exit 2, nothing written); a claim left by a run killed with -9 is
 * taken over by the next run.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readResult, runCli, tempDir, writeConfig } from './helpers.js'

const config = {
  source: { plugin: 'memory' },
  sink: { plugin: 'memory' },
  workers: 1,
  load: { rate: 100, duration: '4s', drainTimeout: '1s' },
}

describe('two runs writing the same report', () => {
  it('the second is refused in one line with exit 2 and writes nothing; the first writes its own result', async () => {
    const dir = tempDir()
    const out = path.join(dir, 'result.json')
    const html = path.join(dir, 'report.html')
    const file = writeConfig(config)
    let second: ReturnType<typeof runCli> | undefined
    let third: ReturnType<typeof runCli> | undefined
    let stopFirst: (() => void) | undefined
    // The first runs until both others are done (however slow the machine), then is stopped with Ctrl-C.
    const first = runCli(
      [
        'run',
        '--config',
        writeConfig({ ...config, load: { rate: 100, duration: '60s' } }),
        '--out',
        out,
        '--html',
        html,
        '--no-tui',
      ],
      {
        onStdout: (text, kill) => {
          // Once the first measures, start two more: one with its --out, one with its --html.
          if (second || !/\| measure/.test(text)) return
          stopFirst = () => kill('SIGINT')
          second = runCli(['run', '--config', file, '--out', out, '--no-tui'])
          third = runCli(['run', '--config', file, '--out', path.join(dir, 'other.json'), '--html', html])
        },
      },
    )
    while (!second) await new Promise((resolve) => setTimeout(resolve, 50))
    const refused = await second
    const refusedHtml = await third!
    stopFirst!()
    const firstRun = await first
    expect(refused.code).toBe(2)
    const line = refused.stderr.trim()
    expect(line.split('\n')).toHaveLength(1)
    expect(line).toMatch(
      /^cdcb: --out .*result\.json: another cdcb run on this host is writing this report \(pid \d+, run \w+, since .*\) — wait for it to end, or choose another path$/,
    )
    expect(refused.stdout).toBe('')
    expect(refusedHtml.code).toBe(2)
    expect(refusedHtml.stderr).toMatch(
      /--html .*report\.html: another cdcb run on this host is writing this report/,
    )
    expect(existsSync(path.join(dir, 'other.json'))).toBe(false)
    // The first ran undisturbed and its (partial) result is its own.
    expect(firstRun.code).toBe(130)
    const runId = /cdcb run (\w+) /.exec(firstRun.stdout)?.[1]
    expect(readResult(out).runId).toBe(runId)
    // Its claim ended with it: the same --out is free again.
    const after = await runCli([
      'run',
      '--config',
      writeConfig({ ...config, load: { rate: 100, duration: '1s' } }),
      '--out',
      out,
      '--no-tui',
    ])
    expect(after.code).toBe(0)
  })

  it('takes over the claim of a run killed with -9', async () => {
    const out = path.join(tempDir(), 'result.json')
    const file = writeConfig(config)
    const killed = await runCli(['run', '--config', file, '--out', out, '--no-tui'], {
      onStdout: (text, kill) => {
        if (/\| measure/.test(text)) kill('SIGKILL')
      },
    })
    expect(killed.code).toBeNull()
    const next = await runCli([
      'run',
      '--config',
      writeConfig({ ...config, load: { rate: 100, duration: '1s' } }),
      '--out',
      out,
      '--no-tui',
    ])
    expect(next.stderr).not.toMatch(/another cdcb run/)
    expect(next.code).toBe(0)
    expect(existsSync(out)).toBe(true)
  })
})
