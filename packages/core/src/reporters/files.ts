import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Reporter } from '../plugin.js'
import type { RunResult } from '../result.js'
import { formatActual } from '../slo/evaluate.js'

async function writeFileSafely(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true })
  await writeFile(file, text)
}

/** Writes the result as JSON (schemaVersion 1) when the run ends, also for an interrupted run. */
export function createJsonReporter(file: string): Reporter {
  return {
    async onRunEnd(result) {
      await writeFileSafely(file, `${JSON.stringify(result, null, 2)}\n`)
    },
  }
}

/** Writes the SLO checks as a JUnit XML test suite, one test case per check, for CI dashboards. */
export function createJunitReporter(file: string): Reporter {
  return {
    async onRunEnd(result) {
      await writeFileSafely(file, toJunit(result))
    },
  }
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
      : `    <testcase classname="cdcb.slo" name="${name}">\n      <failure message="actual ${escapeXml(actual)}"/>\n    </testcase>`
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
