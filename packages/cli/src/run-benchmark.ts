/**
 * What `cdcb run` does once its flags are parsed: find and resolve the config,
 * choose the live output, wire Ctrl-C, run, and return the exit code. Loaded
 * lazily so `cdcb --version` and `--help` never pay for the runtime.
 */
import path from 'node:path'
import type { Reporter } from '@cdcb/core'
import { ConfigError } from '@cdcb/core'
import {
  builtInReporters,
  CONFIG_SEARCH_PLACES,
  findConfigFile,
  loadConfigFile,
  type ReporterOutput,
  type ResolvedConfig,
  RunControl,
  resolveConfig,
  runBenchmark,
} from '@cdcb/core/runtime'

export interface RunFlags {
  config?: string
  out?: string
  junit?: string
  rate?: number
  duration?: string
  workers?: number
  seed?: number
  tui: boolean
  quiet: boolean
}

export async function runFromCli(flags: RunFlags): Promise<number> {
  const configPath = flags.config ? path.resolve(flags.config) : await findConfigFile(process.cwd())
  if (!configPath) return runQuickstart(flags)
  const raw = await loadConfigFile(configPath)
  const config = await resolveConfig(raw, {
    configPath,
    overrides: { rate: flags.rate, duration: flags.duration, workers: flags.workers, seed: flags.seed },
  })
  return runResolved(config, flags)
}

/** No config: benchmark the embedded PostgreSQL logical-replication pipeline, then remove it. */
async function runQuickstart(flags: RunFlags): Promise<number> {
  const { startQuickstart } = await import('@cdcb/plugin-postgres/quickstart')
  const log = (line: string) => process.stderr.write(`cdcb: ${line}\n`)
  const quickstart = await startQuickstart({ log, rate: flags.rate, duration: flags.duration })
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
      overrides: { rate: flags.rate, duration: flags.duration, workers: flags.workers, seed: flags.seed },
    })
    return await runResolved(config, flags)
  } finally {
    process.off('exit', stopOnSignal)
    await quickstart.stop()
  }
}

/** Runs a resolved config with the CLI's reporters and Ctrl-C handling; returns the exit code. */
export async function runResolved(config: ResolvedConfig, flags: RunFlags): Promise<number> {
  const interactive = process.stdout.isTTY === true && !process.env.CI
  const color = interactive && !process.env.NO_COLOR
  const output: ReporterOutput = { line: (text) => process.stdout.write(`${text}\n`), color }
  const reporters: Reporter[] = []

  const control = new RunControl()
  const onSigint = () => {
    if (control.reason === 'interrupted') {
      process.stderr.write('cdcb: interrupted again — exiting now without a report\n')
      process.exit(130)
    }
    process.stderr.write(
      '\ncdcb: stopping — draining for up to 5s, then writing the partial report (Ctrl-C again to quit now)\n',
    )
    control.stop('interrupted')
  }

  const useTui = interactive && flags.tui && !flags.quiet
  const tui = useTui ? await loadTui(onSigint) : undefined
  if (tui) reporters.push(tui)
  else if (!flags.quiet) reporters.push(builtInReporters.plain({}, output))
  if (!tui) reporters.push(builtInReporters.summary({}, output))
  else reporters.push(builtInReporters.summary({}, { ...output, line: () => {} }))

  for (const spec of config.reporters) {
    // Reporter plugins are made by core, with the run's id and abort signal.
    if (spec.kind === 'plugin') continue
    if (spec.name === 'tui' || spec.name === 'plain' || spec.name === 'summary') {
      // Live output and the summary are chosen above from the terminal and the flags.
    } else {
      reporters.push(builtInReporters[spec.name as 'json' | 'junit'](spec.options, output))
    }
  }
  if (flags.out) reporters.push(builtInReporters.json({ file: flags.out }, output))
  if (flags.junit) reporters.push(builtInReporters.junit({ file: flags.junit }, output))

  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)
  try {
    const result = await runBenchmark(config, { reporters, control })
    return result.exitCode
  } catch (error) {
    if (control.reason === 'interrupted') {
      process.stderr.write('cdcb: interrupted before the run started; nothing was measured\n')
      return 130
    }
    throw error
  } finally {
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigint)
  }
}

/** The Ink dashboard; undefined (plain lines instead) when it cannot run here. */
async function loadTui(onQuit: () => void): Promise<Reporter | undefined> {
  const { createTuiReporter } = await import('@cdcb/tui')
  return createTuiReporter({ onQuit })
}
