/**
 * What `cdcb run` does once its flags are parsed: find and resolve the config,
 * choose the live output, wire Ctrl-C, run, and return the exit code. Loaded
 * lazily so `cdcb --version` and `--help` never pay for the runtime.
 */
import path from 'node:path'
import type { Reporter, RunResult } from '@cdcb/core'
import { ConfigError, describeError, parseDurationMicros } from '@cdcb/core'
import {
  builtInReporters,
  CONFIG_SEARCH_PLACES,
  type ConfigOverrides,
  checkOverrides,
  claimOutput,
  findConfigFile,
  loadConfigFile,
  type OutputClaim,
  type ReporterOutput,
  type ResolvedConfig,
  RunControl,
  resolveConfig,
  runBenchmark,
} from '@cdcb/core/runtime'
import { checkOutputs, type InputFile, type OutputFile, outputsOfFlags } from './results/output-files.js'

export interface RunFlags {
  config?: string
  out?: string
  junit?: string
  /** Write the self-contained HTML report here when the run ends. */
  html?: string
  /** Write PREFIX_history.csv, PREFIX_stats.csv and PREFIX_totals.csv when the run ends. */
  csv?: string
  /** Serve live metrics for Prometheus on HOST:PORT while the run goes. */
  prometheus?: string
  /** How long the endpoint may wait after the run for a scrape of the final state (a duration; default 30s). */
  prometheusLinger?: string
  rate?: number | string
  duration?: string
  workers?: number | string
  seed?: number | string
  /** `--shard INDEX/COUNT`, `--run-id`, `--start-at` (epoch seconds or ISO 8601). */
  shard?: string
  runId?: string
  startAt?: string
  /** `--tui` / `--no-tui`; undefined when neither was given. */
  tui: boolean | undefined
  quiet: boolean
}

export async function runFromCli(flags: RunFlags): Promise<number> {
  checkOverrides(overridesOf(flags))
  prometheusLingerMs(flags)
  const configPath = flags.config ? path.resolve(flags.config) : await findConfigFile(process.cwd())
  const inputs: InputFile[] = configPath
    ? [{ is: 'the config', file: flags.config ?? path.relative(process.cwd(), configPath) }]
    : []
  // The flags' files first, before a config's plugins are imported or the quickstart's server starts.
  checkOutputs(outputsOfFlags(flags), inputs)
  if (!configPath) return runQuickstart(flags)
  const raw = await loadConfigFile(configPath)
  const config = await resolveConfig(raw, {
    configPath,
    overrides: overridesOf(flags),
  })
  checkOutputs([...configReportFiles(config), ...outputsOfFlags(flags)], inputs)
  const dropped = droppedStagesNotice((raw as { load?: unknown } | undefined)?.load, flags, config)
  if (dropped) process.stderr.write(`cdcb: ${dropped}\n`)
  return runResolved(config, flags)
}

/**
 * What `--rate` or `--duration` dropped from a config with `load.stages`: the stages (its bursts
 * and ramps) — said, as `cdcb search` says it in its header, since a run that silently held one
 * rate reported "no fault and no burst" and PASSED a burst example.
 */
export function droppedStagesNotice(
  load: unknown,
  flags: Pick<RunFlags, 'rate' | 'duration'>,
  config: ResolvedConfig,
): string | undefined {
  const stages = (load as { stages?: unknown } | undefined)?.stages
  if (!Array.isArray(stages) || (flags.rate === undefined && flags.duration === undefined)) return undefined
  const by = [
    flags.rate === undefined ? undefined : `--rate ${flags.rate}`,
    flags.duration === undefined ? undefined : `--duration ${flags.duration}`,
  ].filter((flag) => flag !== undefined)
  const rates = stages
    .map((stage: { rate?: unknown; target?: unknown }) => stage?.rate ?? stage?.target)
    .filter((rate): rate is number => typeof rate === 'number')
  const span = rates.length > 0 ? `, ${Math.min(...rates)}/s to ${Math.max(...rates)}/s` : ''
  const { load: resolved } = config
  // Stages are open-model only (load.concurrency beside them is refused): the flags left one steady rate.
  const held = `${resolved.schedule.segments.at(-1)?.toRate ?? 0}/s`
  const seconds = (resolved.totalMicros - resolved.warmupMicros) / 1e6
  return `${by.join(' and ')} replace${by.length > 1 ? '' : 's'} load.stages (${stages.length} stage${stages.length === 1 ? '' : 's'}${span}): this run holds ${held} for ${seconds}s, without their bursts and ramps — drop ${by.length > 1 ? 'both flags' : by[0]!.split(' ')[0]} to run the stages`
}

/** The files the config's own reporters write (json, junit), each named by its entry as core names it. */
function configReportFiles(config: ResolvedConfig): OutputFile[] {
  const origin = config.configPath ? path.basename(config.configPath) : 'config'
  return config.reporters.flatMap((spec, index) =>
    // An empty file is left to core, whose message says what a json or junit reporter needs.
    spec.kind === 'builtin' && typeof spec.options.file === 'string' && spec.options.file !== ''
      ? [{ by: `${origin}: reporters.${index}`, file: spec.options.file }]
      : [],
  )
}

function overridesOf(flags: RunFlags): ConfigOverrides {
  return {
    rate: flags.rate,
    duration: flags.duration,
    workers: flags.workers,
    seed: flags.seed,
    shard: flags.shard,
    runId: flags.runId,
    startAt: flags.startAt,
  }
}

/** No config: benchmark the embedded PostgreSQL logical-replication pipeline, then remove it. */
async function runQuickstart(flags: RunFlags): Promise<number> {
  if (flags.shard !== undefined) {
    throw new ConfigError(
      `--shard ${flags.shard}: no config found in ${process.cwd()}, and the quickstart's embedded PostgreSQL belongs to one process, so shards could not see each other's events — pass --config FILE naming servers every shard reaches`,
    )
  }
  const { startQuickstart } = await import('@cdcb/plugin-postgres/quickstart')
  const log = (line: string) => process.stderr.write(`cdcb: ${line}\n`)
  const quickstart = await startQuickstart({
    log,
    rate: flags.rate as number | undefined,
    duration: flags.duration,
  })
  if (!quickstart) {
    throw new ConfigError(
      `no config found in ${process.cwd()} (looked for ${CONFIG_SEARCH_PLACES.slice(0, 2).join(', ')}, …) — run: cdcb init, or pass --config FILE`,
    )
  }
  const stopOnSignal = () => void quickstart.stop()
  process.once('exit', stopOnSignal)
  try {
    log(quickstart.description)
    const config = await resolveConfig(quickstart.config, {
      origin: 'quickstart',
      overrides: overridesOf(flags),
    })
    return await runResolved(config, flags)
  } finally {
    process.off('exit', stopOnSignal)
    await quickstart.stop()
  }
}

/** Runs a resolved config with the CLI's reporters and Ctrl-C handling; returns the exit code. */
export async function runResolved(config: ResolvedConfig, flags: RunFlags): Promise<number> {
  const live = liveOutput({ isTTY: process.stdout.isTTY === true, env: process.env, ...flags })
  const interactive = process.stdout.isTTY === true && !inCi(process.env)
  const color = interactive && !process.env.NO_COLOR
  const output: ReporterOutput = { line: (text) => process.stdout.write(`${text}\n`), color }
  const reporters: Reporter[] = []

  const control = new RunControl()
  // Node passes the signal's name; the dashboard's quit key passes nothing (Ctrl-C).
  const onSigint = (signal?: NodeJS.Signals) => {
    if (control.reason === 'interrupted') {
      // Nothing is torn down now: say so, and how to find and drop what the run made.
      const clean = config.configPath
        ? `cdcb clean --config ${path.relative(process.cwd(), config.configPath) || config.configPath}`
        : 'cdcb clean --config <your config>'
      process.stderr.write(
        `cdcb: interrupted again — exiting now without a report and without teardown: what this run made on its servers (tables, slots, connectors, topics, queues) stays until you run ${clean} (the embedded quickstart server goes with cdcb)\n`,
      )
      process.exit(130)
    }
    process.stderr.write(
      '\ncdcb: stopping — draining for up to 5s, then writing the partial report (Ctrl-C again to quit now)\n',
    )
    control.stop('interrupted', typeof signal === 'string' ? signal : undefined)
  }

  if (live === 'tui') {
    // Ink stops drawing live when CI is merely defined (even CI=""); the choice was made above.
    delete process.env.CI
    delete process.env.CONTINUOUS_INTEGRATION
  }
  const tui = live === 'tui' ? await loadTui(onSigint) : undefined
  if (tui) reporters.push(tui)
  else if (!flags.quiet) reporters.push(builtInReporters.plain({}, output))
  // --quiet hides the live lines, never a notice that cdcb deleted something (a dead run's leftovers).
  else
    reporters.push({ onLog: (message, kind) => void (kind === 'notice' && output.line(`cdcb: ${message}`)) })
  if (!tui) reporters.push(builtInReporters.summary({}, output))
  else reporters.push(builtInReporters.summary({}, { ...output, line: () => {} }))

  // A report that cannot be written is a failed run (exit 3), never a silent 0.
  const unwritten: string[] = []
  const toFile = (reporter: Reporter, file: string): Reporter => ({
    ...reporter,
    async onRunEnd(result) {
      try {
        await reporter.onRunEnd?.(result)
      } catch (error) {
        unwritten.push(`${file} (${describeError(error)})`)
      }
    },
    // The final status after a failed teardown: the file is rewritten, or the run says it could not be.
    async onRunAmended(result) {
      try {
        await reporter.onRunAmended?.(result)
      } catch (error) {
        unwritten.push(`${file} (${describeError(error)})`)
      }
    },
  })
  // The json and junit files, from the config and from --out/--junit alike, are made by core (runBenchmark):
  // checked before the run, rewritten if the verdict is amended, exit 3 when one cannot be written.
  const files = [
    ...(flags.out
      ? [{ kind: 'builtin' as const, name: 'json', options: { file: flags.out }, flag: '--out' }]
      : []),
    ...(flags.junit
      ? [{ kind: 'builtin' as const, name: 'junit', options: { file: flags.junit }, flag: '--junit' }]
      : []),
  ]
  const withFiles: ResolvedConfig = { ...config, reporters: [...config.reporters, ...files] }
  // --out and --junit are claimed by core with the config's reports; --html and --csv here, before anything runs.
  const claims: OutputClaim[] = []
  const releaseClaims = () => {
    for (const claim of claims.splice(0)) claim.release()
  }
  for (const [flag, file] of [
    ['--html', flags.html],
    ['--csv', flags.csv === undefined ? undefined : `${flags.csv}_history.csv`],
  ] as const) {
    if (file === undefined) continue
    const claim = claimOutput(file, config.runId ?? 'starting')
    if ('heldBy' in claim) {
      releaseClaims()
      throw new ConfigError(
        `${flag} ${file}: another cdcb run on this host is writing this report (${claim.heldBy}) — wait for it to end, or choose another path`,
      )
    }
    claims.push(claim)
  }
  if (flags.html || flags.csv) {
    const { writeOutputs } = await import('./results/write-outputs.js')
    const write = async (result: RunResult) => {
      await writeOutputs(result, { html: flags.html, csv: flags.csv })
    }
    const reporter: Reporter = { onRunEnd: write, onRunAmended: write }
    reporters.push(toFile(reporter, [flags.html, flags.csv].filter(Boolean).join(', ')))
  }

  const lingerMs = prometheusLingerMs(flags)
  const prometheus = flags.prometheus ? await startPrometheus(flags.prometheus) : undefined
  if (prometheus) reporters.push(prometheus.reporter)
  let ended = false

  // A closed terminal or a dropped SSH session (SIGHUP) stops the run as Ctrl-C and SIGTERM do.
  const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  // With the terminal gone, writing to it fails (EIO); the run still drains and removes what it made.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  for (const signal of stopSignals) process.on(signal, onSigint)
  try {
    const result = await runBenchmark(withFiles, { reporters, control })
    ended = true
    if (unwritten.length > 0) {
      process.stderr.write(
        `cdcb: the run finished (${result.status}) but its report could not be written: ${unwritten.join('; ')}\n`,
      )
      return 3
    }
    return result.exitCode
  } catch (error) {
    if (control.reason === 'interrupted') {
      process.stderr.write('cdcb: interrupted before the run started; nothing was measured\n')
      return 130
    }
    throw error
  } finally {
    for (const signal of stopSignals) process.off(signal, onSigint)
    releaseClaims()
    if (prometheus && ended && lingerMs > 0) await lingerForScrape(prometheus, lingerMs)
    await prometheus?.close()
  }
}

/** `--prometheus-linger` in ms (default 30 s); a ConfigError (exit 2, before anything runs) when it is not a duration or has no endpoint. */
function prometheusLingerMs(flags: RunFlags): number {
  if (flags.prometheusLinger === undefined) return 30_000
  if (!flags.prometheus) throw new ConfigError('--prometheus-linger: needs --prometheus HOST:PORT')
  const micros = parseDurationMicros(flags.prometheusLinger.trim() === '0' ? '0s' : flags.prometheusLinger)
  if (micros === undefined) {
    throw new ConfigError(
      `--prometheus-linger: expected a duration such as 30s or 2m (0 closes at once), got "${flags.prometheusLinger}"`,
    )
  }
  return micros / 1e3
}

/**
 * Prometheus pulls: a run that ends between scrapes would vanish with its final state unread. Keeps the
 * endpoint up until one scrape has read it, at most `lingerMs`; Ctrl-C (or SIGTERM, SIGHUP) ends the wait.
 */
async function lingerForScrape(
  prometheus: Awaited<ReturnType<typeof startPrometheus>>,
  lingerMs: number,
): Promise<void> {
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  for (const signal of signals) process.on(signal, onSignal)
  process.stderr.write(
    `cdcb: the run ended; serving its final metrics on ${prometheus.url} until a scrape reads them, at most ${lingerMs / 1e3}s (--prometheus-linger; Ctrl-C closes now)\n`,
  )
  try {
    const how = await prometheus.linger(lingerMs, stop.signal)
    if (how === 'timeout' && !stop.signal.aborted) {
      process.stderr.write(
        `cdcb: no scrape read the final metrics within ${lingerMs / 1e3}s; closing ${prometheus.url} — is Prometheus scraping it (scrape_interval below --prometheus-linger)?\n`,
      )
    }
  } finally {
    for (const signal of signals) process.off(signal, onSignal)
  }
}

/** A CI variable that says yes: set, and not empty, "0" or "false". */
function inCi(env: NodeJS.ProcessEnv): boolean {
  const yes = (value: string | undefined) =>
    value !== undefined && value !== '' && value !== '0' && value !== 'false'
  return yes(env.CI) || yes(env.CONTINUOUS_INTEGRATION)
}

/**
 * The live output: `--tui` and `--no-tui` always win (the dashboard still needs
 * a terminal to draw on); without either, the dashboard at a terminal unless a
 * CI variable says yes. `--quiet` prints only the summary (and notices: `RunContext.log`).
 */
export function liveOutput(input: {
  isTTY: boolean
  env: NodeJS.ProcessEnv
  tui: boolean | undefined
  quiet: boolean
}): 'tui' | 'plain' | 'none' {
  if (input.quiet) return 'none'
  if (input.tui === false || !input.isTTY) return 'plain'
  if (input.tui === true) return 'tui'
  return inCi(input.env) ? 'plain' : 'tui'
}

async function startPrometheus(address: string) {
  const { startPrometheusExporter } = await import('./results/prometheus.js')
  const exporter = await startPrometheusExporter(address)
  process.stderr.write(`cdcb: serving Prometheus metrics on ${exporter.url}\n`)
  return exporter
}

/** The Ink dashboard; undefined (plain lines instead) when it cannot run here. */
async function loadTui(onQuit: () => void): Promise<Reporter | undefined> {
  const { createTuiReporter } = await import('@cdcb/tui')
  return createTuiReporter({ onQuit })
}
