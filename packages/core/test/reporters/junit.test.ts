import { describe, expect, it } from 'vitest'
import { toJunit } from '../../src/reporters/files.js'
import type { SloCheck } from '../../src/result.js'
import { makeResult } from '../results/make-result.js'

const held: SloCheck = {
  expression: 'lost == 0',
  actual: 0,
  unit: '',
  threshold: 0,
  passed: true,
  status: 'passed',
}

/** The JUnit file of a run whose checks all held but which failed for `reason` with `exitCode`. */
const failedRunJunit = (exitCode: number, reason: string) =>
  toJunit(
    makeResult({ e2e: [100] }, { status: 'failed', exitCode, reason, slo: { passed: true, checks: [held] } }),
  )

describe('the JUnit file', () => {
  it('is the checks alone when the run passed', () => {
    const xml = toJunit(makeResult({ e2e: [100] }, { slo: { passed: true, checks: [held] } }))
    expect(xml).toContain('<testsuite name="made" tests="1" failures="0" errors="0" skipped="0"')
    expect(xml).not.toContain('cdcb.run')
  })

  // A run whose checks all held but whose verifier could not reach its server exited 3; its JUnit file read green.
  it('errs with the reason when the run failed at runtime though every check held (exit 3)', () => {
    const reason = 'runtime failure: verifier "postgres" failed to verify: cannot reach PostgreSQL'
    const xml = failedRunJunit(3, reason)
    expect(xml).toContain('tests="2" failures="0" errors="1" skipped="0"')
    expect(xml).toContain(
      '<testcase classname="cdcb.run" name="the run completed">\n      <error message="runtime failure: verifier &#34;postgres&#34; failed to verify: cannot reach PostgreSQL"/>',
    )
  })

  it('fails the run case when a fault that could not be applied failed a run whose checks held (exit 1)', () => {
    const reason =
      'fault "freeze" failed: exit code 4 — the run did not measure the scenario it was asked for'
    const xml = failedRunJunit(1, reason)
    expect(xml).toContain('tests="2" failures="1" errors="0" skipped="0"')
    expect(xml).toMatch(
      /<testcase classname="cdcb.run" name="the run completed">\n\s+<failure message="fault/,
    )
  })
})
