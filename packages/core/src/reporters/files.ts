import { closeSync, openSync, statSync, unlinkSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Reporter } from '../plugin.js'
import type { RunResult } from '../result.js'
import { formatActual } from '../slo/evaluate.js'

async function writeFileSafely(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true })
  await writeFile(file, text)
}

/**
 * Why a report could not be written to `file`, or undefined if it can: checked
 * before a run, so a run never measures for minutes and then has nowhere to
 * put its result. Creates nothing that it leaves behind (a probe file in the
 * nearest existing folder is removed at once).
 */
export function whyNotWritable(file: string): string | undefined {
  const absolute = path.resolve(file)
  const code = (error: unknown) => (error as { code?: string }).code ?? String(error)
  try {
    const stat = statSync(absolute)
    if (stat.isDirectory()) return `${absolute} is a folder`
    closeSync(openSync(absolute, 'r+'))
    return undefined
  } catch (error) {
    if (code(error) !== 'ENOENT' && code(error) !== 'ENOTDIR')
      return `cannot write ${absolute} (${code(error)})`
  }
  // The nearest folder that exists: the reporter creates the missing ones below it.
  let dir = path.dirname(absolute)
  for (;;) {
    try {
      if (!statSync(dir).isDirectory()) return `${dir} is a file, not a folder`
      break
    } catch (error) {
      if (code(error) !== 'ENOENT' && code(error) !== 'ENOTDIR') return `cannot reach ${dir} (${code(error)})`
      if (path.dirname(dir) === dir) return `no folder of ${absolute} exists`
      dir = path.dirname(dir)
    }
  }
  const probe = path.join(dir, `.cdcb-write-check-${process.pid}`)
  try {
    closeSync(openSync(probe, 'wx'))
    unlinkSync(probe)
  } catch (error) {
    return `cannot create files in ${dir} (${code(error)})`
  }
  return undefined
}

/** Writes the result as JSON (schemaVersion 1) when the run ends, also for an interrupted run; rewrites it if amended. */
export function createJsonReporter(file: string): Reporter {
  const write = async (result: RunResult) => writeFileSafely(file, `${JSON.stringify(result, null, 2)}\n`)
  return { onRunEnd: write, onRunAmended: write }
}

/**
 * Writes the SLO checks as a JUnit XML test suite, one test case per check, for CI dashboards; a run that
 * did not end on its checks alone (interrupted, a runtime failure, a pipeline or fault that failed) adds a
 * `cdcb.run` test case that errs or fails with the reason, so the file is never green when the run was not.
 */
export function createJunitReporter(file: string): Reporter {
  const write = async (result: RunResult) => writeFileSafely(file, toJunit(result))
  return { onRunEnd: write, onRunAmended: write }
}

export function toJunit(result: RunResult): string {
  const checks = result.slo.checks
  const skipped = checks.filter((c) => c.status === 'skipped').length
  const run = runCase(result)
  const failures = checks.filter((c) => c.status === 'failed').length + (run?.kind === 'failure' ? 1 : 0)
  const errors = run?.kind === 'error' ? 1 : 0
  const tests = checks.length + (run ? 1 : 0)
  const cases = checks.map((c) => {
    const name = escapeXml(c.expression)
    const actual = c.actual === null ? 'no data' : formatActual(c.actual, c.unit, c.threshold)
    if (c.status === 'skipped') {
      return `    <testcase classname="cdcb.slo" name="${name}">\n      <skipped message="${escapeXml(c.note ?? 'not measured')}"/>\n    </testcase>`
    }
    return c.passed
      ? `    <testcase classname="cdcb.slo" name="${name}"/>`
      : `    <testcase classname="cdcb.slo" name="${name}">\n      <failure message="actual ${escapeXml(actual)}${c.windows && c.note ? ` — ${escapeXml(c.note)}` : ''}"/>\n    </testcase>`
  })
  if (run) {
    cases.push(
      `    <testcase classname="cdcb.run" name="the run completed">\n      <${run.kind} message="${escapeXml(run.message)}"/>\n    </testcase>`,
    )
  }
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}"`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cdcb" ${counts}>`,
    `  <testsuite name="${escapeXml(result.name)}" ${counts} time="${result.measuredSeconds}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

/**
 * The run's own test case, when its verdict is more than its checks: an error when it could not finish (an
 * interrupt, exit 130; a runtime failure, exit 3), a failure when it finished but failed beside them (a
 * pipeline or fault that failed, abortOnFail). Undefined when the checks say it all.
 */
function runCase(result: RunResult): { kind: 'error' | 'failure'; message: string } | undefined {
  if (result.status === 'passed') return undefined
  const message = result.reason ?? result.slo.note
  if (message === undefined) return undefined
  return { kind: result.exitCode === 130 || result.exitCode === 3 ? 'error' : 'failure', message }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
