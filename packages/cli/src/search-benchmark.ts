/**
 * What `cdcb search` does once its flags are parsed: resolve the config once
 * (so a bad config fails before any trial), then run one full benchmark per
 * trial rate that core's `searchMaxRate` asks for, print each trial as it ends,
 * and write the search result. Loaded lazily, like run-benchmark.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import {
  ConfigError,
  formatActual,
  formatMicros,
  formatOffset,
  formatRate,
  parseDurationMicros,
  RuntimeFailure,
  type SloCheck,
} from '@cdcb/core'
import {
  BEHIND_SHARE,
  claimOutput,
  findConfigFile,
  firstRate,
  KNEE_DEFINITION,
  type Knee,
  kneeOf,
  loadConfigFile,
  type OutputClaim,
  type ResolvedConfig,
  RunControl,
  resolveConfig,
  runBenchmark,
  type SearchResult,
  searchMaxRate,
  type Trial,
  type TrialOutcome,
} from '@cdcb/core/runtime'
import { checkOutputs, outputsOfFlags } from './results/output-files.js'

export interface SearchFlags {
  config?: string
  from?: number
  max?: number
  trial: string
  warmup?: string
  precision: number
  keepUp: number
  maxTrials?: number
  out?: string
  workers?: number
}

const DEFAULT_TRIAL_WARMUP = '5s'

export async function searchFromCli(flags: SearchFlags): Promise<number> {
  const configPath = flags.config ? path.resolve(flags.config) : await findConfigFile(process.cwd())
  if (!configPath) {
    throw new ConfigError(`no config found in ${process.cwd()} — cdcb search needs one: pass --config FILE`)
  }
  checkOutputs(outputsOfFlags({ out: flags.out }), [
    { is: 'the config', file: flags.config ?? path.relative(process.cwd(), configPath) },
  ])
  const trialMicros = parseDurationMicros(flags.trial)
  if (trialMicros === undefined || trialMicros <= 0) {
    throw new ConfigError(`--trial: expected a duration above 0 such as "20s", got "${flags.trial}"`)
  }
  // Checked as the flag it is: merged into the config first, a bad value was blamed on load.warmup.
  if (flags.warmup !== undefined && !((parseDurationMicros(flags.warmup) ?? -1) >= 0)) {
    throw new ConfigError(`--warmup: expected a duration of 0 or more such as "5s", got "${flags.warmup}"`)
  }
  const raw = (await loadConfigFile(configPath)) as Record<string, unknown>
  const load = (raw.load ?? {}) as Record<string, unknown>
  const oneRunOnly = (['shard', 'runId', 'startAt'] as const).find((key) => raw[key] !== undefined)
  if (oneRunOnly) {
    throw new ConfigError(
      `${path.basename(configPath)}: ${oneRunOnly}: names one run, and cdcb search runs a trial after another, each a run of its own — remove it from the config for the search`,
    )
  }
  const warmup = flags.warmup ?? (load.warmup as string | undefined) ?? DEFAULT_TRIAL_WARMUP
  const trialConfig = { ...raw, load: { ...load, warmup } }
  const resolveAt = async (rate: number): Promise<ResolvedConfig> => {
    const config = await resolveConfig(trialConfig, {
      configPath,
      overrides: { rate, duration: flags.trial, workers: flags.workers },
    })
    // Each trial plans its own rate, so an absolute throughput SLO would judge the
    // plan, not the pipeline; the keep-up share takes its place.
    // A trial writes no report files of the config's: --out holds the search's result.
    return {
      ...config,
      slo: config.slo.filter((slo) => slo.metric.name !== 'throughput'),
      reporters: config.reporters.filter((reporter) => reporter.kind === 'plugin'),
    }
  }
  const from = flags.from ?? (typeof load.rate === 'number' ? load.rate : 1000)
  const asConfigured = await resolveConfig(trialConfig, { configPath })
  // Every trial is held to the config's windows, so each must fit in one trial.
  const tooLong = asConfigured.slo.find((slo) => (slo.windowMicros ?? 0) > trialMicros)
  if (tooLong) {
    throw new ConfigError(
      `--trial: ${flags.trial} is shorter than the window of the SLO "${tooLong.source}" — use --trial ${formatOffset(tooLong.windowMicros! / 1e6)} or longer`,
    )
  }
  const start = firstRate(from, flags.max)
  const first = await resolveAt(start)
  // Claimed as `cdcb run` claims its reports: two searches (or a search and a run) writing one file lose one result.
  const claim = flags.out ? claimOut(flags.out) : undefined

  const line = (text: string) => process.stdout.write(`${text}\n`)
  const startNote = start < from ? ` (--max caps the start of ${formatRate(from)})` : ''
  line(
    `cdcb search: ${path.relative(process.cwd(), configPath) || configPath} — trials of ${flags.trial} after ${warmup} of warmup, ` +
      `doubling from ${formatRate(start)}${startNote}, then bisecting to ${percent(flags.precision)}; a trial holds when every SLO holds, ` +
      `${percent(flags.keepUp)} of the planned rate is sent and achieved, and cdcb sent at most ${percent(BEHIND_SHARE)} of the operations late`,
  )
  const dropped = first.slo.length < asConfigured.slo.length
  if (dropped)
    line(
      'cdcb search: throughput SLOs are judged by the keep-up share instead, since each trial plans its own rate',
    )
  for (const note of scenarioNotes(load, asConfigured)) line(`cdcb search: ${note}`)
  line(row(['trial', 'planned', 'sent', 'achieved', 'e2e p99', 'verdict']))
  line(TABLE_LEGEND)

  let control: RunControl | undefined
  let stopped = false
  const onSignal = (signal?: NodeJS.Signals) => {
    if (stopped) {
      process.stderr.write('cdcb: interrupted again — exiting now\n')
      process.exit(130)
    }
    stopped = true
    process.stderr.write(
      '\ncdcb: stopping the search after this trial’s partial run (Ctrl-C again to quit now)\n',
    )
    control?.stop('interrupted', signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', onSignal)

  const runIds = new Map<Trial | TrialOutcome, string>()
  const runTrial = async (rate: number): Promise<TrialOutcome | undefined> => {
    if (stopped) return undefined
    control = new RunControl()
    const result = await runBenchmark(await resolveAt(rate), { control })
    if (stopped || result.status === 'interrupted') return undefined
    if (result.status === 'error') {
      throw new RuntimeFailure(`trial at ${formatRate(rate)} failed: ${result.reason ?? 'runtime failure'}`)
    }
    const outcome: TrialOutcome = {
      rate,
      // A trial stopped before its window opened sent nothing in it.
      sent: result.rate.sent ?? 0,
      // Nothing delivered is a rate of 0 for the search (rate.achieved says null: no span to divide by).
      achieved: result.rate.achieved ?? 0,
      e2eP99: result.metrics.e2e.p99,
      sloPassed: result.slo.passed,
      failedSlos: result.slo.checks
        .filter((check) => check.status === 'failed')
        .map((check) => check.expression),
      sloActuals: actualsOf(result.slo.checks),
      unjudgedSlos: result.slo.checks
        .filter((check) => check.status === 'skipped')
        .map((check) => check.expression),
      // The measured window's own operations: the figures behind the run's "sent late" warning.
      lateShare: result.window.sent > 0 ? result.window.late / result.window.sent : 0,
      lagP99: result.metrics.lag.p99,
    }
    runIds.set(outcome, result.runId)
    return outcome
  }

  const startedAt = new Date().toISOString()
  let result: SearchResult
  try {
    let n = 0
    result = await searchMaxRate(
      runTrial,
      { from, max: flags.max, precision: flags.precision, keepUp: flags.keepUp, maxTrials: flags.maxTrials },
      (trial) => {
        n += 1
        const verdict = verdictOf(trial)
        line(
          row([
            String(n),
            formatRate(trial.rate),
            formatRate(trial.sent),
            formatRate(trial.achieved),
            trial.e2eP99 === null ? '–' : formatMicros(trial.e2eP99 * 1e3),
            verdict,
          ]),
        )
      },
    )
  } catch (error) {
    claim?.release()
    throw error
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.off('SIGHUP', onSignal)
  }

  const knee = kneeOf(result.trials)
  line(kneeLine(knee, result.end === 'stopped' || result.end === 'generator' ? result.end : undefined))
  line(conclusion(result))
  if (flags.out) {
    const file = {
      schemaVersion: 1,
      kind: 'search',
      config: configPath,
      startedAt,
      endedAt: new Date().toISOString(),
      search: {
        maxRate: result.maxRate,
        minFailingRate: result.minFailingRate,
        end: result.end,
        precision: flags.precision,
        keepUp: flags.keepUp,
        trialDuration: flags.trial,
        warmup,
        trials: result.trials.map((trial) => ({
          rate: trial.rate,
          sent: trial.sent,
          achieved: trial.achieved,
          e2eP99: trial.e2eP99,
          verdict: trial.verdict,
          why: trial.why,
          failedSlos: failedSloEntries(trial),
          unjudgedSlos: trial.unjudgedSlos,
          lateShare: trial.lateShare,
          lagP99: trial.lagP99,
        })),
        knee: { ...knee, definition: KNEE_DEFINITION },
      },
    }
    // Checked writable before the first trial; its missing folders are made now, as run's reports do.
    mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true })
    writeFileSync(flags.out, `${JSON.stringify(file, null, 2)}\n`)
  }
  claim?.release()
  if (result.end === 'stopped') return 130
  return result.maxRate === null ? 1 : 0
}

/** The search's one-line verdict; an interrupted search says it has no answer, only the best so far. */
export function conclusion(result: Pick<SearchResult, 'maxRate' | 'minFailingRate' | 'end'>): string {
  const held = result.maxRate === null ? undefined : formatRate(result.maxRate)
  const failed = result.minFailingRate === null ? undefined : formatRate(result.minFailingRate)
  switch (result.end) {
    case 'precision':
      return `highest rate that holds: ${held} (${failed} failed)`
    case 'max':
      return `highest rate that holds: ${held}, the --max asked for; the limit may be higher`
    case 'generator':
      return held
        ? `highest rate that holds: at least ${held} — above that cdcb itself could not keep the planned schedule on this machine (see the last trial), so the pipeline's limit was not reached`
        : `no answer: cdcb itself could not keep the first trial's schedule on this machine`
    case 'trials':
      return held
        ? `highest rate that holds: ${held}${failed ? ` (${failed} failed)` : ''}, after the trial budget ran out; narrow it with more --max-trials`
        : `no trial held within the trial budget`
    case 'nothing-holds':
      return 'no rate holds: even the lowest trial failed'
    case 'stopped':
      return held
        ? `stopped before an answer; highest rate that held so far: ${held} (the pipeline's limit may be higher)`
        : 'stopped before an answer: no trial held before the interrupt'
  }
}

/** A trial's verdict cell; a held trial names the SLOs it could not judge, so "holds" never claims them. */
export function verdictOf(trial: Trial): string {
  if (trial.verdict !== 'holds') return `${trial.verdict}: ${trial.why.join('; ')}`
  if (trial.unjudgedSlos.length === 0) return 'holds'
  return `holds; not judged: ${trial.unjudgedSlos.join(', ')}`
}

/**
 * Under the table's header: the sent and achieved columns count different operations, so a
 * reader who takes them for one set (achieved 255.2k/s above sent 254.6k/s) is not misled.
 */
export const TABLE_LEGEND =
  "      (events/s over each trial's measured window — sent: operations cdcb sent while the window was open; " +
  "achieved: the window's own events delivered, per second of their delivery, so it can top sent by those sent just after the window closed)"

/** A failed SLO's actual figure as the run summary prints it, by expression; `no data` when nothing was measured. */
export function actualsOf(checks: readonly SloCheck[]): Record<string, string> {
  const actuals: Record<string, string> = {}
  for (const check of checks) {
    if (check.status !== 'failed') continue
    actuals[check.expression] =
      check.actual === null
        ? (check.note ?? 'no data')
        : formatActual(check.actual, check.unit, check.threshold)
  }
  return actuals
}

/** A trial's failed SLOs as its JSON says them: `recovery.time < 3s: actual 4200.000 ms`. */
export function failedSloEntries(trial: Pick<TrialOutcome, 'failedSlos' | 'sloActuals'>): string[] {
  return trial.failedSlos.map((slo) => {
    const actual = trial.sloActuals?.[slo]
    return actual === undefined ? slo : `${slo}: actual ${actual}`
  })
}

/**
 * The line under the trial table: the knee, with its definition, or why there is none. A search
 * that stopped first — Ctrl-C (`stopped`), or cdcb's own send rate at its ceiling (`generator`) —
 * before e2e p99 rose does not know it: "not reached" would claim rates it never tried.
 */
export function kneeLine(knee: Knee, stoppedBy?: 'stopped' | 'generator'): string {
  const stopped = stoppedBy === 'stopped'
  const at = (point: { rate: number; e2eP99: number }) =>
    `${formatMicros(point.e2eP99 * 1e3)} at ${formatRate(point.rate)}`
  if (!knee.baseline) {
    return stopped
      ? 'knee: unknown — the search was stopped before any trial measured e2e latency at its planned rate'
      : 'knee: unknown — no trial measured e2e latency at its planned rate'
  }
  if (!knee.beyond && stopped)
    return `knee: unknown — the search was stopped before e2e p99 rose above ${knee.factor}× the lowest-rate trial's (${at(knee.baseline)}); it may lie at a rate not yet tried`
  if (!knee.beyond && stoppedBy === 'generator')
    return `knee: unknown — cdcb could not send faster before e2e p99 rose above ${knee.factor}× the lowest-rate trial's (${at(knee.baseline)}); it may lie above the generator's ceiling`
  if (!knee.beyond)
    return `knee: not reached — e2e p99 stayed within ${knee.factor}× of the lowest-rate trial's (${at(knee.baseline)}) in every trial run at its rate`
  if (knee.rate === null || knee.e2eP99 === null)
    return `knee: none — no trial held below the first whose e2e p99 rose above ${knee.factor}× the lowest-rate trial's ${at(knee.baseline)}: ${at(knee.beyond)}`
  return (
    `knee: ${formatRate(knee.rate)} (e2e p99 ${formatMicros(knee.e2eP99 * 1e3)}) — the highest rate that held before e2e p99 rose above ` +
    `${knee.factor}× its ${at(knee.baseline)}, the lowest-rate trial: ${at(knee.beyond)}`
  )
}

/**
 * What the search does with the parts of a config that plan more than a steady rate:
 * stages are replaced, faults run in every trial, recovery SLOs are judged only with a fault.
 */
function scenarioNotes(load: Record<string, unknown>, config: ResolvedConfig): string[] {
  const notes: string[] = []
  if (Array.isArray(load.stages)) {
    notes.push(
      `load.stages (${load.stages.length}) are replaced by one steady rate per trial — the search finds the highest steady rate; run the stages with cdcb run`,
    )
  }
  const faults = config.faults.map((fault) => fault.name)
  if (faults.length > 0) {
    notes.push(
      `the faults (${faults.join(', ')}) run in every trial at their planned times, so a trial holds only if the SLOs hold through them`,
    )
  }
  const recovery = config.slo.filter((slo) => slo.metric.name === 'recovery.time').map((slo) => slo.source)
  if (recovery.length > 0 && faults.length === 0) {
    notes.push(
      `${recovery.join(', ')}: not judged — a trial at a steady rate without a fault has nothing to recover from`,
    )
  }
  return notes
}

/** Claims the search's --out for this process, or refuses in one line when another run or search holds it. */
function claimOut(file: string): OutputClaim {
  const claim = claimOutput(file, 'search')
  if ('heldBy' in claim) {
    throw new ConfigError(
      `--out ${file}: another cdcb run on this host is writing this report (${claim.heldBy}) — wait for it to end, or choose another path`,
    )
  }
  return claim
}

/** A writable output path, checked before any trial runs (nothing is written on bad input). */

const WIDTHS = [5, 9, 9, 9, 9]
function row(cells: string[]): string {
  return cells.map((cell, i) => (i < WIDTHS.length ? cell.padEnd(WIDTHS[i]!) : cell)).join(' ')
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`
}
