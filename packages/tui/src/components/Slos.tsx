import type { RunSnapshot, SloCheck } from '@cdcb/core'
import { Box, Text } from 'ink'
import { formatSloValue, formatWindows } from '../format.js'
import { useColor } from '../hooks/use-color.js'

type State = 'pass' | 'fail' | 'wait' | 'skip'

/**
 * Each SLO with its live value and a mark. A check without data yet waits
 * rather than fails until the run is done. When rows run short, failing
 * checks come first and the last row counts the rest.
 */
export function Slos(props: {
  snapshot: RunSnapshot | undefined
  expressions: readonly string[]
  rows: number
}) {
  const { snapshot, rows } = props
  const paint = useColor()
  const done = snapshot?.phase === 'done'
  const checks: SloCheck[] =
    snapshot?.slo.slice() ??
    props.expressions.map((expression) => ({
      expression,
      actual: null,
      unit: '',
      threshold: 0,
      passed: false,
      status: 'skipped',
    }))
  // The last frame shows the result's own verdicts, so it agrees with the summary below it.
  const stateOf = (c: SloCheck): State =>
    c.status === 'passed'
      ? 'pass'
      : c.status === 'skipped'
        ? done
          ? 'skip'
          : 'wait'
        : c.actual === null && !done
          ? 'wait'
          : 'fail'
  const failing = checks.filter((c) => stateOf(c) === 'fail').length
  const holding = checks.filter((c) => stateOf(c) === 'pass').length
  const ordered =
    rows < checks.length ? [...checks].sort((a, b) => rank(stateOf(a)) - rank(stateOf(b))) : checks
  const shown = rows < checks.length ? ordered.slice(0, Math.max(0, rows - 1)) : ordered
  const hidden = checks.length - shown.length
  const hiddenFailing = ordered.slice(shown.length).filter((c) => stateOf(c) === 'fail').length
  const width = Math.max(...shown.map((c) => c.expression.length), 0)
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>SLOs</Text>
        {'  '}
        {checks.length === 0 ? (
          'none configured'
        ) : failing > 0 ? (
          <Text bold color={paint('red')} inverse={!paint('red')}>
            {failing} of {checks.length} FAILING
          </Text>
        ) : (
          <Text color={paint('green')}>
            {holding} of {checks.length} holding
          </Text>
        )}
      </Text>
      {shown.map((check) => (
        <SloLine key={check.expression} check={check} state={stateOf(check)} width={width} />
      ))}
      {hidden > 0 && rows > 0 ? (
        <Text wrap="truncate-end" color={paint('gray')}>
          {`  +${hidden} more${hiddenFailing ? `, ${hiddenFailing} failing` : ''}`}
        </Text>
      ) : null}
    </Box>
  )
}

function SloLine({ check, state, width }: { check: SloCheck; state: State; width: number }) {
  const paint = useColor()
  const mark =
    state === 'pass' ? (
      <Text color={paint('green')}>✓ pass</Text>
    ) : state === 'fail' ? (
      // Without colours, inverse video keeps a failing check the first thing the eye finds.
      <Text bold color={paint('red')} inverse={!paint('red')}>
        ✗ FAIL
      </Text>
    ) : state === 'skip' ? (
      <Text color={paint('yellow')}>– skip</Text>
    ) : (
      <Text color={paint('gray')}>… wait</Text>
    )
  return (
    <Text wrap="truncate-end">
      {'  '}
      {mark}
      {'  '}
      <Text bold={state === 'fail'}>{check.expression.padEnd(width)}</Text>
      {'  '}
      <Text color={state === 'fail' ? paint('red') : undefined}>
        {(state === 'skip' || state === 'wait') && check.note
          ? check.note
          : check.windows
            ? `${formatSloValue(check)} ${formatWindows(check)}`
            : formatSloValue(check)}
      </Text>
    </Text>
  )
}

function rank(state: State): number {
  return state === 'fail' ? 0 : state === 'wait' ? 1 : state === 'skip' ? 2 : 3
}
