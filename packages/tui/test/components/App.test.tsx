import { render } from 'ink-testing-library'
import { expect, test, vi } from 'vitest'
import { App } from '../../src/components/App.js'
import { DashboardStore } from '../../src/dashboard-store.js'
import { lineWith } from '../fixtures/frame.js'
import { info, snapshotAt } from '../fixtures/snapshots.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 20))

test('q and Ctrl-C ask the CLI to stop; other keys do nothing', async () => {
  const onQuit = vi.fn()
  const store = new DashboardStore(0)
  store.runStarted(info)
  const screen = render(<App store={store} color={false} onQuit={onQuit} />)
  await tick()
  screen.stdin.write('x')
  await tick()
  expect(onQuit).not.toHaveBeenCalled()
  screen.stdin.write('q')
  await tick()
  expect(onQuit).toHaveBeenCalledTimes(1)
  screen.stdin.write('\x03')
  await tick()
  expect(onQuit).toHaveBeenCalledTimes(2)
  // Two presses that arrive in one read still count twice: the second one quits at once.
  screen.stdin.write('qq')
  await tick()
  expect(onQuit).toHaveBeenCalledTimes(4)
  screen.unmount()
})

test('follows the store: a new snapshot and a stop request show without a rerender from outside', async () => {
  const store = new DashboardStore(0)
  store.runStarted(info)
  const screen = render(<App store={store} color={false} onQuit={() => {}} />)
  store.snapshot(snapshotAt(3))
  await tick()
  expect(lineWith(screen.lastFrame(), 'WARMUP')).toBeDefined()
  store.snapshot(snapshotAt(8))
  store.stopRequested()
  await tick()
  expect(lineWith(screen.lastFrame(), 'MEASURE')).toContain('STOPPING')
  expect(lineWith(screen.lastFrame(), 'stopping: draining')).toBeDefined()
  screen.unmount()
})
