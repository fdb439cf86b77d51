/**
 * What report, compare and merge say about results a fresh user fed them: a damaged histogram, a
 * merged result merged again with one of its own inputs, shards run with different --workers.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readResult, runCli, tempDir, writeConfig } from './helpers.js'

const dir = tempDir()
let template: Record<string, unknown>
let real: string

beforeAll(async () => {
  const config = writeConfig({
    name: 'damage',
    source: { plugin: 'memory' },
    sink: { plugin: 'memory' },
    workers: 1,
    load: { rate: 500, duration: '2s', warmup: '0s' },
  })
  real = path.join(dir, 'real.json')
  const cli = await runCli(['run', '--config', config, '--out', real, '--no-tui', '-q'])
  expect(cli.code, cli.stderr).toBe(0)
  template = JSON.parse(readFileSync(real, 'utf8'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function write(name: string, changes: Record<string, unknown>): string {
  const file = path.join(dir, name)
  writeFileSync(file, JSON.stringify({ ...template, ...changes }))
  return file
}

/** Exit 2, one line on stderr matching `message`, no stack. */
function expectBadInput(cli: { code: number | null; stderr: string }, message: RegExp): void {
  expect(cli.code, cli.stderr).toBe(2)
  expect(cli.stderr.trim().split('\n'), cli.stderr).toHaveLength(1)
  expect(cli.stderr).not.toMatch(/internal error/)
  expect(cli.stderr).toMatch(message)
}

describe('results that report, compare and merge must refuse', () => {
  it('a damaged histogram is one line naming the file and the histogram, exit 2, in report --html, compare and merge', async () => {
    // Found by a fresh user: "internal error … stack", exit 3, in all three.
    const histograms = template.histograms as Record<string, string>
    const cut = write('cut.json', {
      runId: 'cut1',
      histograms: { ...histograms, e2e: histograms.e2e!.slice(0, 24) },
    })
    const garbled = write('garbled.json', {
      runId: 'bad1',
      histograms: { ...histograms, e2e: 'not base64!' },
    })
    const named =
      /^cdcb: .*(cut|garbled)\.json: histograms\.e2e: cannot be decoded \(.*\) — the file is damaged/
    const html = path.join(dir, 'cut.html')
    expectBadInput(await runCli(['report', cut, '--html', html]), named)
    expect(existsSync(html)).toBe(false)
    expectBadInput(await runCli(['compare', real, garbled]), named)
    const out = path.join(dir, 'never.json')
    expectBadInput(await runCli(['merge', real, cut, '--out', out]), named)
    expect(existsSync(out)).toBe(false)
  })

  it("a histogram that is not its metric's (one copied over another) is refused by report, compare and merge", async () => {
    // Found by a fresh user: ack's histogram over e2e's: report showed metrics' e2e p99, compare the
    // histogram's (0.046 ms), and merge exited 0 with a wrong p50.
    const histograms = template.histograms as Record<string, string>
    const copied = write('copied.json', {
      runId: 'copy1',
      histograms: { ...histograms, e2e: histograms.ack },
    })
    const named =
      /^cdcb: .*copied\.json: histograms\.e2e: does not match metrics\.e2e \(.*\) — the file is damaged/
    const html = path.join(dir, 'copied.html')
    expectBadInput(await runCli(['report', copied, '--html', html]), named)
    expect(existsSync(html)).toBe(false)
    expectBadInput(await runCli(['compare', real, copied]), named)
    const out = path.join(dir, 'never-copied.json')
    expectBadInput(await runCli(['merge', real, copied, '--out', out]), named)
    expect(existsSync(out)).toBe(false)
    // The run as written is read as it is.
    expect((await runCli(['report', real])).code).toBe(0)
  })

  it('merge refuses a merged result merged again with a run it already counts', async () => {
    // Found by a fresh user: merge h.json sh/merged.json, h.json holding sh/merged.json's runs, sent 66,000 for 48,000.
    const a = write('a.json', { runId: 'runa' })
    const b = write('b.json', { runId: 'runb' })
    const h = path.join(dir, 'h.json')
    const first = await runCli(['merge', a, b, '--out', h, '-q'])
    expect(first.code, first.stderr).toBe(0)
    expect(readResult(h).events.sent).toBe(2 * (template.events as { sent: number }).sent)
    const out = path.join(dir, 'twice.json')
    expectBadInput(
      await runCli(['merge', h, b, '--out', out]),
      /b\.json: runId: run runb is also counted in .*h\.json, which merged it — the same run twice would count its events twice/,
    )
    expect(existsSync(out)).toBe(false)
  })

  it('merge refuses shards of one run run with different --workers, naming workers', async () => {
    // Found by a fresh user: shards 0/3 with --workers 1, 1/3 with 2, 2/3 with 1 merged silently.
    const shard = (i: number, workers: number) =>
      write(`w-${i}.json`, { runId: 'workers3', shard: { index: i, count: 3 }, workers })
    const out = path.join(dir, 'never-workers.json')
    expectBadInput(
      await runCli(['merge', shard(0, 1), shard(1, 2), shard(2, 1), '--out', out]),
      /w-1\.json: workers: 2, while .*w-0\.json has 1 — the shards of one run must run one plan/,
    )
    expect(existsSync(out)).toBe(false)
  })
})
