/**
 * Vitest global setup for every project: the tests' temp files (config files,
 * reports, embedded servers' data dirs, certificates) go into one folder per
 * test run, TMPDIR for the test workers and every process they start, and the
 * folder is removed when the run ends, whatever the tests left in it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export default function setup(): () => void {
  const previous = process.env.TMPDIR
  const root = mkdtempSync(path.join(tmpdir(), 'cdcb-test-run-'))
  // Embedded PostgreSQL runs as the postgres user when tests run as root: it must reach its data dir.
  chmodSync(root, 0o755)
  process.env.TMPDIR = root
  return () => {
    if (previous === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = previous
    rmSync(root, { recursive: true, force: true })
  }
}
