import { Command, Flags } from '@oclif/core'
import { parseCommandLine, pathFlag } from '../command-line.js'
import { exitWithError } from '../exit.js'

export default class Run extends Command {
  static override summary =
    'Run a benchmark: write changes at a planned rate, watch them arrive, check the SLOs.'
  static override description =
    `Looks for cdcb.config.{ts,mjs,js,json,yaml} or bench.config.* in the current directory unless --config is given.

Exit codes: 0 all SLOs held, 1 an SLO failed, 2 usage or config error (nothing was written), 3 runtime failure (target unreachable, plugin crashed), 130 interrupted (the partial report is still written).`

  static override examples = [
    '<%= config.bin %> run',
    '<%= config.bin %> run --config bench.config.ts --out result.json',
    '<%= config.bin %> run --rate 20000 --duration 2m --no-tui',
    '<%= config.bin %> run --shard 0/3 --run-id nightly42 --start-at 2026-12-06T21:30:00Z --out shard-0.json',
  ]

  static override flags = {
    config: pathFlag(
      Flags.string({
        char: 'c',
        description: 'Config file (TypeScript, JavaScript, JSON or YAML).',
        helpValue: 'FILE',
      }),
    ),
    out: pathFlag(
      Flags.string({
        char: 'o',
        description:
          'Write the result as JSON (schemaVersion 1) to this file; missing folders are created when it is written, after the run.',
        helpValue: 'FILE',
      }),
    ),
    junit: pathFlag(
      Flags.string({ description: 'Write the SLO checks as JUnit XML to this file.', helpValue: 'FILE' }),
    ),
    html: pathFlag(
      Flags.string({
        description: 'Write the self-contained HTML report to this file when the run ends.',
        helpValue: 'FILE',
      }),
    ),
    csv: pathFlag(
      Flags.string({
        description:
          'Write PREFIX_history.csv (per interval), PREFIX_stats.csv and PREFIX_totals.csv when the run ends A PREFIX ending in .json, .csv, .html or .xml is refused.',
        helpValue: 'PREFIX',
      }),
    ),
    prometheus: Flags.string({
      description:
        'Serve live metrics at http://HOST:PORT/metrics for Prometheus while the run goes (e.g. 127.0.0.1:9464; port 0 picks a free one).',
    }),
    'prometheus-linger': Flags.string({
      description:
        'With --prometheus: when the run ends, keep serving /metrics until one scrape has read the final state (phase done, final counters, loss, SLO verdicts, exit code), for at most this long; 0 closes at once, Ctrl-C ends the wait. Default 30s (twice the usual 15s scrape interval).',
      helpValue: 'DURATION',
    }),
    rate: Flags.string({
      description:
        'Operations per second; overrides load.rate and load.stages (a notice says what it dropped).',
    }),
    duration: Flags.string({
      description:
        'Measured duration such as 30s or 5m; overrides load.duration, and load.stages (a notice says what it dropped).',
    }),
    workers: Flags.string({ description: 'Worker threads; overrides workers (default: CPU cores).' }),
    seed: Flags.string({
      description:
        'Seed for kinds, keys and payloads; overrides load.seed. Default: derived from --run-id when given (every shard draws the same), else random.',
    }),
    shard: Flags.string({
      description:
        "Run shard INDEX/COUNT (0-based, e.g. 1/3) of one run split across processes or machines: shard i sends the seqs and owns the keys ≡ i mod COUNT, as workers split a plan. Needs --run-id and --start-at, the same in every shard; merge the shards' --out files with cdcb merge. Overrides shard.",
    }),
    'run-id': Flags.string({
      description:
        "The run's id (1 to 24 lowercase letters and digits) instead of a random one; every shard of a run uses the same, and each run a new one (objects are named after it). Overrides runId.",
    }),
    'start-at': Flags.string({
      description:
        'Start the schedule at this time (epoch seconds, or ISO 8601 with a zone): prepare, then wait, saying how long. More than 2s past or 24h ahead (milliseconds, a wrong day) is refused; a start over 100 ms late warns. Overrides startAt.',
    }),
    tui: Flags.boolean({
      description:
        'Live dashboard at a terminal (the default there unless CI is set); --no-tui prints one line per interval instead.',
      allowNo: true,
    }),
    quiet: Flags.boolean({
      char: 'q',
      description:
        'No live output; only the final summary, and any notice that cdcb deleted something a dead run left.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const { flags } = await parseCommandLine(() => this.parse(Run), Run, 'run')
    try {
      const { runFromCli } = await import('../run-benchmark.js')
      const exitCode = await runFromCli({
        config: flags.config,
        out: flags.out,
        junit: flags.junit,
        html: flags.html,
        csv: flags.csv,
        prometheus: flags.prometheus,
        prometheusLinger: flags['prometheus-linger'],
        rate: numberFlag(flags.rate),
        duration: flags.duration,
        workers: numberFlag(flags.workers),
        seed: numberFlag(flags.seed),
        shard: flags.shard,
        runId: flags['run-id'],
        startAt: flags['start-at'],
        tui: flags.tui,
        quiet: flags.quiet,
      })
      process.exit(exitCode)
    } catch (error) {
      exitWithError(error)
    }
  }
}

/** A flag's text as a number when it reads as one; core checks it exactly as the config key it overrides. */
function numberFlag(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  return value.trim() !== '' && Number.isFinite(n) ? n : value
}
