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

/** Writes the SLO checks as a JUnit XML test suite, one test case per check, for CI dashboards. */
export function createJunitReporter(file: string): Reporter {
  const write = async (result: RunResult) => writeFileSafely(file, toJunit(result))
  return { onRunEnd: write, onRunAmended: write }
}

export function toJunit(result: RunResult): string {
  const checks = result.slo.checks
  const skipped = checks.filter((c) => c.status === 'skipped').length
  const failures = checks.filter((c) => c.status === 'failed').length
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
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cdcb" tests="${checks.length}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="${escapeXml(result.name)}" tests="${checks.length}" failures="${failures}" skipped="${skipped}" time="${result.measuredSeconds}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
