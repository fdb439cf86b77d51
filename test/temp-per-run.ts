/**
 * Vitest global setup for every project: the tests' temp files (config files,
 * reports, embedded servers' data dirs, certificates) go into one folder per
 * test run, TMPDIR for the test workers and every process they start, and the
 * folder is removed when the run ends, whatever the tests left in it.
 *
 * Every project calls this in the same process: the first makes the folder,
 * the others share it, and the last to finish removes it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runRoot } from '../services/lib/paths.mjs'

const shared = globalThis as { cdcbTestTemp?: { root: string; previous: string | undefined; users: number } }

export default function setup(): () => void {
  if (!shared.cdcbTestTemp) {
    // Servers the harness starts keep their state where the checkout's own `npm run services` would,
    // for every project and test worker alike: pinned before TMPDIR moves, or a test asking the harness
    // about a server would look in this run's folder and not find the one its global setup started.
    process.env.CDCB_SERVICES_TMP ??= runRoot()
    const previous = process.env.TMPDIR
    const root = mkdtempSync(path.join(tmpdir(), 'cdcb-test-run-'))
    // Embedded PostgreSQL runs as the postgres user when tests run as root: it must reach its data dir.
    chmodSync(root, 0o755)
    process.env.TMPDIR = root
    shared.cdcbTestTemp = { root, previous, users: 0 }
    // Vitest does not call every project's teardown (not those no test file was selected for): the folder goes at exit anyway.
    process.once('exit', () => rmSync(root, { recursive: true, force: true }))
  }
  const temp = shared.cdcbTestTemp
  temp.users++
  return () => {
    if (--temp.users > 0) return
    if (temp.previous === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = temp.previous
    rmSync(temp.root, { recursive: true, force: true })
    shared.cdcbTestTemp = undefined
  }
}
