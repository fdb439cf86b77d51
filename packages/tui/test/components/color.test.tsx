import { afterAll, expect, test } from 'vitest'
import { info, snapshotAt } from '../fixtures/snapshots.js'

// chalk reads FORCE_COLOR when it is first imported, so Ink and the components load after it is set.
const previous = process.env.FORCE_COLOR
process.env.FORCE_COLOR = '1'
const { render } = await import('ink-testing-library')
const { Dashboard } = await import('../../src/components/Dashboard.js')
const { DashboardStore } = await import('../../src/dashboard-store.js')

afterAll(() => {
  if (previous === undefined) delete process.env.FORCE_COLOR
  else process.env.FORCE_COLOR = previous
})

function failingFrame(color: boolean): string {
  const store = new DashboardStore(0)
  store.runStarted(info)
  store.snapshot(snapshotAt(10, { e2eP50: 50 }))
  return render(<Dashboard view={store.getView()} width={80} height={24} color={color} />).lastFrame() ?? ''
}

const RED = '\x1b[31m'
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for colour escapes
const ANY_COLOR = /\x1b\[(3[0-7]|9[0-7]|38;)/

test('a failing SLO is red when colours are on', () => {
  const frame = failingFrame(true)
  const failLine = frame.split('\n').find((line) => line.includes('e2e.p99 < 100ms'))!
  expect(failLine).toContain(`${RED}`)
  expect(failLine.indexOf(RED)).toBeLessThan(failLine.indexOf('FAIL'))
})

test('NO_COLOR: no colour escapes at all, and the failing SLO still stands out in inverse video', () => {
  const frame = failingFrame(false)
  expect(frame).not.toMatch(ANY_COLOR)
  const failLine = frame.split('\n').find((line) => line.includes('e2e.p99 < 100ms'))!
  const inverse = failLine.indexOf('\x1b[7m')
  expect(inverse).toBeGreaterThanOrEqual(0)
  expect(inverse).toBeLessThan(failLine.indexOf('✗ FAIL'))
})
