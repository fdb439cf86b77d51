import { afterEach, expect, test } from 'vitest'
import { createTuiReporter } from '../src/index.js'

const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION }
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
})

test.each([
  ['CI', ''],
  ['CI', 'true'],
  ['CONTINUOUS_INTEGRATION', '1'],
])(
  'with %s=%j the CLI gets no dashboard and prints plain lines (Ink would draw nothing live)',
  (key, value) => {
    delete process.env.CI
    delete process.env.CONTINUOUS_INTEGRATION
    process.env[key] = value
    expect(createTuiReporter({ onQuit() {} })).toBeUndefined()
  },
)

test('outside CI it gives a reporter with the live hooks', () => {
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
  const reporter = createTuiReporter({ onQuit() {} })
  expect(reporter?.onRunStart).toBeTypeOf('function')
  expect(reporter?.onSnapshot).toBeTypeOf('function')
  expect(reporter?.onRunEnd).toBeTypeOf('function')
})
