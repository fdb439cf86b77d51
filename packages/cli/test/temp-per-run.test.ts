import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, it } from 'vitest'

// Tests make temp folders freely (about 70 per run); they go into one folder per run that the global setup removes.
it("the tests' temp files go into this run's own folder, removed when the run ends", () => {
  expect(path.basename(tmpdir())).toMatch(/^cdcb-test-run-/)
})
