/**
 * The real `cdcb run` with the dashboard, in a real terminal (tmux), on the
 * memory pipeline. Needs the built packages (`npx tsc -b`) and tmux; without
 * tmux the suite is skipped with a warning.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, test } from 'vitest'
import { numberAfter } from './fixtures/frame.js'
import { hasTmux, sh, TmuxTerminal } from './fixtures/tmux.js'

const CLI = fileURLToPath(new URL('../../cli/bin/run.js', import.meta.url))
const tmux = hasTmux()
if (!tmux) {
  console.warn(
    '\n!!! @cdcb/tui end-to-end tests SKIPPED: tmux is not installed, so the dashboard was not driven in a real terminal !!!\n',
  )
}

const terminals: TmuxTerminal[] = []
afterEach(() => {
  for (const t of terminals.splice(0)) t.close()
})

/** Starts `cdcb run` on a memory-pipeline config in an 80×24 terminal; the exit code lands in `EXIT=<code>` on screen. */
function startRun(load: Record<string, unknown>, slo: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-tui-e2e-'))
  const config = path.join(dir, 'bench.config.json')
  const out = path.join(dir, 'result.json')
  writeFileSync(
    config,
    JSON.stringify({
      source: { plugin: 'memory', options: { delay: '5ms' } },
      sink: { plugin: 'memory' },
      workers: 1,
      load,
      slo,
    }),
  )
  const command = `node ${sh(CLI)} run --config ${sh(config)} --out ${sh(out)}; echo "EXIT=$?"; sleep 300`
  const terminal = new TmuxTerminal(command, { env: { CI: undefined, NO_COLOR: undefined } })
  terminals.push(terminal)
  return { terminal, out, readResult: () => JSON.parse(readFileSync(out, 'utf8')) }
}

const exitCode = (screen: string) => Number(/^EXIT=(\d+)$/m.exec(screen)?.[1])
const exited = (screen: string) => /^EXIT=\d+$/m.test(screen)

describe.skipIf(!tmux)('cdcb run with the dashboard in a real terminal', () => {
  test('counts rise, the SLOs pass, and q stops the run with the partial report and exit code 130', async () => {
    const run = startRun({ rate: 1000, duration: '60s' }, { 'e2e.p99': '< 30s', lost: '== 0' })
    const first = await run.terminal.waitFor(
      (s) => /MEASURE/.test(s) && numberAfterOr0(s, 'sent') > 0,
      60_000,
      'the dashboard measuring',
    )
    expect(first).toMatch(/cdcb [0-9a-f]{8} /)
    expect(first).toMatch(/✓ pass\s+e2e\.p99 < 30s/)
    // Loss is known only after the drain: the dashboard waits for it rather than show a 0 it has not measured.
    expect(first).toMatch(/… wait\s+lost == 0\s+known after the drain/)
    expect(first).toContain('q or Ctrl-C')
    const sentBefore = numberAfter(first, 'sent')
    const later = await run.terminal.waitFor(
      (s) => numberAfterOr0(s, 'sent') > sentBefore,
      10_000,
      'the sent count to rise',
    )
    expect(numberAfter(later, 'observed')).toBeGreaterThan(0)
    // No line of the dashboard is wider than the terminal.
    for (const line of run.terminal.screen().split('\n')) expect([...line].length).toBeLessThanOrEqual(80)

    run.terminal.press('q')
    const end = await run.terminal.waitFor(exited, 30_000, 'the run to end after q')
    expect(exitCode(end)).toBe(130)
    expect(end).toContain('INTERRUPTED')
    const result = run.readResult()
    expect(result.status).toBe('interrupted')
    expect(result.exitCode).toBe(130)
    expect(result.events.observed).toBeGreaterThan(0)
    // Stopped well before the planned minute.
    expect(result.measuredSeconds).toBeLessThan(50)
  })

  test('a run whose SLO fails shows it failing, leaves the summary on screen and exits 1', async () => {
    // Every event waits 5 ms in the pipeline, so e2e p50 < 1ms cannot hold.
    const run = startRun({ rate: 500, duration: '4s' }, { 'e2e.p50': '< 1ms', lost: '== 0' })
    const live = await run.terminal.waitFor(
      (s) => /✗ FAIL\s+e2e\.p50 < 1ms/.test(s) && /MEASURE/.test(s),
      60_000,
      'the failing SLO on the dashboard',
    )
    expect(live).toMatch(/1 of 2 FAILING/)
    const end = await run.terminal.waitFor(exited, 60_000, 'the run to end')
    expect(exitCode(end)).toBe(1)
    // The plain summary follows the final frame.
    expect(end).toMatch(/— FAILED/)
    expect(end).toMatch(/✗ FAIL\s+e2e\.p50 < 1ms\s+actual/)
    expect(run.readResult().status).toBe('failed')
  })

  test('a second q quits at once without waiting for the drain', async () => {
    const run = startRun({ rate: 1000, duration: '60s' }, { lost: '== 0' })
    await run.terminal.waitFor((s) => /MEASURE/.test(s), 60_000, 'the dashboard measuring')
    run.terminal.press('q')
    run.terminal.press('q')
    const end = await run.terminal.waitFor(exited, 10_000, 'the run to end after q q')
    expect(exitCode(end)).toBe(130)
    expect(end).toContain('exiting now')
  })
})

function numberAfterOr0(screen: string, label: string): number {
  try {
    return numberAfter(screen, label)
  } catch {
    return 0
  }
}
