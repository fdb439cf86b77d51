import { render } from 'ink-testing-library'
import { describe, expect, test } from 'vitest'
import { Dashboard } from '../../src/components/Dashboard.js'
import { DashboardStore, HISTORY_POINTS } from '../../src/dashboard-store.js'
import { cells, chartRows, lines, lineWith, numberAfter } from '../fixtures/frame.js'
import { check, info, snapshotAt } from '../fixtures/snapshots.js'

/** Renders the dashboard at a fixed size after each snapshot of a scripted stream. */
function scriptedDashboard(width = 80, height = 24) {
  const store = new DashboardStore(0)
  store.runStarted(info)
  const screen = render(<Dashboard view={store.getView()} width={width} height={height} color={false} />)
  return {
    push(snapshot: Parameters<DashboardStore['snapshot']>[0]) {
      store.snapshot(snapshot)
      screen.rerender(<Dashboard view={store.getView()} width={width} height={height} color={false} />)
      return screen.lastFrame() ?? ''
    },
    store,
    screen,
  }
}

describe('Dashboard at 80×24, driven by a scripted stream of snapshots', () => {
  test('shows the run, the phase and the counts as the stream moves through warmup, measure, drain and done', () => {
    const dash = scriptedDashboard()
    const warm = dash.push(snapshotAt(2))
    expect(lineWith(warm, 'cdcb a1b2c3d4')).toContain('"orders-cdc"')
    expect(lineWith(warm, 'WARMUP')).toContain('0:02 / 0:30')
    expect(lineWith(warm, 'WARMUP')).toContain('0:28 left')
    expect(numberAfter(warm, 'sent')).toBe(4000)

    const measuring = dash.push(snapshotAt(12, { achieved: 1800 }))
    expect(lineWith(measuring, 'MEASURE')).toContain('40%')
    expect(numberAfter(measuring, 'sent')).toBe(24_000)
    expect(numberAfter(measuring, 'observed')).toBe(21_600)
    // What the pipeline owes (sent − failed − observed), apart from writes the source has not acknowledged.
    expect(numberAfter(measuring, 'backlog')).toBe(2400)
    expect(numberAfter(measuring, 'unacked')).toBe(2400)
    expect(lineWith(measuring, 'Throughput')).toMatch(/achieved 1800\/s .*target 2000\/s/)

    const draining = dash.push(snapshotAt(31, { phase: 'drain', target: 0, achieved: 0 }))
    expect(lineWith(draining, 'DRAIN')).toContain('load done')
    expect(draining).not.toContain('MEASURE')

    const done = dash.push(snapshotAt(33, { phase: 'done' }))
    expect(lineWith(done, 'DONE')).toBeDefined()
    // Loss is decided after the drain: shown once, in the last frame only (it said "lost 0" twice).
    expect(done.match(/\blost \d/g)).toEqual(['lost 0'])
    expect(measuring).not.toMatch(/\blost [\d-]/)
    expect(draining).not.toMatch(/\blost [\d-]/)
  })

  test('shows the latency percentiles of the last interval and of the run so far', () => {
    const dash = scriptedDashboard()
    const frame = dash.push(snapshotAt(10, { e2eP50: 8 }))
    // interval e2e: p50 8, p95 16, p99 24, p99.9 32, max 40; run: 1.5× those
    expect(lineWith(frame, 'e2e ')).toMatch(
      /8\.00\s+16\.0\s+24\.0\s+32\.0\s+40\.0 │\s+12\.0\s+24\.0\s+36\.0\s+48\.0\s+60\.0/,
    )
    expect(lineWith(frame, 'ack ')).toMatch(/^ack\s+2\.00\s+4\.00\s+6\.00/)
    expect(lineWith(frame, 'lag ')).toMatch(/^lag\s+0\.80/)
  })

  test('marks each SLO pass or FAIL with its live value, and the marks follow the stream', () => {
    const dash = scriptedDashboard()
    const passing = dash.push(snapshotAt(10, { e2eP50: 10 }))
    expect(lineWith(passing, 'e2e.p99 < 100ms')).toMatch(/✓ pass\s+e2e\.p99 < 100ms\s+30\.0ms/)
    expect(lineWith(passing, 'SLOs')).toContain('2 of 2 holding')

    const failing = dash.push(snapshotAt(11, { e2eP50: 50 }))
    expect(lineWith(failing, 'e2e.p99 < 100ms')).toMatch(/✗ FAIL\s+e2e\.p99 < 100ms\s+150ms/)
    expect(lineWith(failing, 'lost == 0')).toContain('✓ pass')
    expect(lineWith(failing, 'SLOs')).toContain('1 of 2 FAILING')

    const recovered = dash.push(snapshotAt(12, { e2eP50: 10 }))
    expect(lineWith(recovered, 'e2e.p99 < 100ms')).toContain('✓ pass')
  })

  test('a check with no data yet waits during the run and fails once the run is done', () => {
    const dash = scriptedDashboard()
    const slo = [check('verified >= 100%', null, false)]
    expect(lineWith(dash.push(snapshotAt(10, { slo })), 'verified')).toMatch(/… wait .* no data/)
    expect(lineWith(dash.push(snapshotAt(31, { slo, phase: 'done' })), 'verified')).toContain('✗ FAIL')
  })

  test('a windowed check names the first window it failed in and how many failed', () => {
    const dash = scriptedDashboard()
    const windowed = {
      ...check('e2e.p99[2s] < 100ms', 900, false),
      windows: {
        seconds: 2,
        count: 5,
        failed: 1,
        lastPartial: false,
        worst: 900,
        noData: 0,
        failing: [{ start: 4, end: 6, actual: 900 }],
      },
    }
    const frame = dash.push(snapshotAt(16, { slo: [windowed] }))
    expect(lineWith(frame, 'e2e.p99[2s]')).toMatch(
      /✗ FAIL\s+e2e\.p99\[2s\] < 100ms\s+900ms in 4s–6s, 1 of 5 windows of 2s/,
    )
    const held = { ...windowed, passed: true, status: 'passed' as const, actual: 30 }
    held.windows = { ...windowed.windows, failed: 0, worst: 30, failing: [] }
    expect(lineWith(dash.push(snapshotAt(17, { slo: [held] })), 'e2e.p99[2s]')).toMatch(
      /✓ pass\s+e2e\.p99\[2s\] < 100ms\s+30\.0ms worst of 5 windows of 2s/,
    )
  })

  test('shows each hop the sink declares under the latencies, last interval and run so far', () => {
    const dash = scriptedDashboard(100, 40)
    const plain = dash.push(snapshotAt(10))
    expect(plain).not.toContain('connector')
    const frame = dash.push(
      snapshotAt(11, {
        hops: [
          ['source', 1],
          ['connector', 40],
          ['kafka', 3],
        ],
      }),
    )
    // p50, p95 (2×), p99 (3×), p99.9, max of the interval │ the run's (twice the interval's), in ms.
    expect(lineWith(frame, 'source ')).toMatch(/^source\s+1\.00\s+2\.00\s+3\.00\s+4\.00\s+5\.00 │\s+2\.00/)
    expect(lineWith(frame, 'connector')).toMatch(/^connector\s+40\.0\s+80\.0\s+120\s+160\s+200 │\s+80\.0/)
    expect(lineWith(frame, 'kafka')).toMatch(/^kafka\s+3\.00\s+6\.00\s+9\.00/)
    // Hop rows follow e2e, ack and lag in pipeline order; the label column widened for "connector".
    const rows = lines(frame)
    const at = (label: string) => rows.findIndex((row) => row.startsWith(label))
    expect(at('lag')).toBeLessThan(at('source'))
    expect(at('source')).toBeLessThan(at('connector'))
    expect(at('connector')).toBeLessThan(at('kafka'))
    expect(lineWith(frame, 'e2e ')).toMatch(/^e2e {7}/)
  })

  test('lists each error kind with its count and last message', () => {
    const dash = scriptedDashboard()
    const frame = dash.push(
      snapshotAt(10, {
        errors: [
          { kind: 'timeout', count: 1234, lastMessage: 'write timed out after 5s' },
          { kind: 'refused', count: 2, lastMessage: 'connection refused' },
        ],
      }),
    )
    expect(lineWith(frame, 'timeout')).toContain('timeout ×1,234: write timed out after 5s')
    expect(lineWith(frame, 'refused')).toContain('refused ×2: connection refused')
    expect(numberAfter(frame, 'errors')).toBe(1236)
  })

  test('charts the last 60 points: a drop in achieved throughput shows as shorter bars under the target line', () => {
    const dash = scriptedDashboard()
    for (let s = 1; s < 90; s++) dash.store.snapshot(snapshotAt(s, { achieved: s > 80 ? 500 : 2000 }))
    const frame = dash.push(snapshotAt(90, { achieved: 500 }))
    expect(lineWith(frame, 'Throughput')).toContain(`last ${HISTORY_POINTS - 1}s`)
    // Ink trims trailing blanks, so pad every row back to the chart's width.
    const rows = chartRows(frame).map((row) => [...row.join('').padEnd(HISTORY_POINTS)])
    expect(rows.length).toBeGreaterThanOrEqual(3)
    expect(rows.at(-1)!.join('')).toMatch(new RegExp(`^[▁-█]{${HISTORY_POINTS}}$`))
    // The target line shows only where the bars stay below it: over the last ten (500/s) columns.
    const targetRow = rows.findIndex((row) => row.includes('─'))
    expect(targetRow).toBeGreaterThanOrEqual(0)
    expect(rows[targetRow]!.slice(-10).join('')).toBe('─'.repeat(10))
    expect(rows[targetRow]!.slice(0, 50).join('')).not.toContain('─')
    expect(rows[targetRow]!.slice(0, 50).join('')).not.toContain(' ')
  })
})

describe('Dashboard layout', () => {
  const busy = () => {
    const store = new DashboardStore(0)
    store.runStarted({ ...info, name: 'a config name long enough to need truncating at narrow widths' })
    const slo = Array.from({ length: 8 }, (_, i) =>
      check(`e2e.p${i === 7 ? 99 : 50} < ${i + 1}ms`, 3, i !== 7),
    )
    const errors = Array.from({ length: 6 }, (_, i) => ({
      kind: `kind${i}`,
      count: i + 1,
      lastMessage: 'x'.repeat(200),
    }))
    const hops: [string, number][] = [
      ['source', 1],
      ['connector', 40],
      ['kafka', 3],
    ]
    for (let s = 1; s <= 70; s++) store.snapshot(snapshotAt(s, { slo, errors, hops }))
    return store
  }

  test.each([
    [80, 24],
    [120, 40],
    [60, 16],
    [40, 10],
    [24, 6],
  ])('at %i×%i no line wraps and the frame stays below the terminal height', (width, height) => {
    const store = busy()
    const screen = render(<Dashboard view={store.getView()} width={width} height={height} color={false} />)
    const frame = lines(screen.lastFrame())
    expect(frame.length).toBeLessThanOrEqual(height - 1)
    for (const line of frame) expect(cells(line)).toBeLessThanOrEqual(width)
    // The verdict and the keys survive every size.
    expect(frame.join('\n')).toContain('1 of 8 FAILING')
    expect(frame.at(-1)).toMatch(/^q or Ctrl-C/)
  })

  test('when SLO rows run short the failing one is listed first and the rest are counted', () => {
    const store = busy()
    const screen = render(<Dashboard view={store.getView()} width={80} height={24} color={false} />)
    const frame = screen.lastFrame()
    const sloLines = lines(frame).filter((line) => /✓ pass|✗ FAIL/.test(line))
    expect(sloLines[0]).toContain('✗ FAIL  e2e.p99 < 8ms')
    expect(lineWith(frame, 'more')).toMatch(/\+\d+ more/)
  })
})
