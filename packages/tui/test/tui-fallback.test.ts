import { afterEach, expect, test, vi } from 'vitest'
import { info, snapshotAt } from './fixtures/snapshots.js'

vi.mock('../src/mount.js', () => {
  throw new Error('ink is broken')
})

const savedCi = process.env.CI
afterEach(() => {
  vi.restoreAllMocks()
  if (savedCi === undefined) delete process.env.CI
  else process.env.CI = savedCi
})

test('when Ink cannot load, the run still prints plain lines and the final summary', async () => {
  delete process.env.CI
  const { createTuiReporter } = await import('../src/index.js')
  const { formatSummary } = await import('@cdcb/core/runtime')
  const out: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk))
    return true
  })
  const err: string[] = []
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk))
    return true
  })
  const reporter = createTuiReporter({ onQuit() {}, color: false })!
  await reporter.onRunStart!(info)
  await reporter.onSnapshot!(snapshotAt(3))
  const snapshot = snapshotAt(30, { phase: 'done' })
  const result = {
    runId: info.runId,
    name: info.name,
    status: 'passed',
    exitCode: 0,
    workers: 2,
    source: 'memory',
    sink: 'memory',
    timeBase: 'memory',
    measuredSeconds: 25,
    metrics: snapshot.total,
    rate: snapshot.rate,
    events: snapshot.events,
    lateShare: 0,
    errors: [],
    verification: null,
    warnings: [],
    slo: { passed: true, checks: snapshot.slo },
  } as unknown as Parameters<typeof formatSummary>[0]
  await reporter.onRunEnd!(result)
  expect(err.join('')).toContain('the dashboard could not start')
  expect(out.join('')).toMatch(/\[\s+3\.0s\] \| warmup/)
  expect(out.join('')).toContain(formatSummary(result, false))
})
