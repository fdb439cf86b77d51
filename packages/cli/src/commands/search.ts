import { Command, Flags } from '@oclif/core'
import { parseCommandLine, pathFlag } from '../command-line.js'
import { exitWithError, fail } from '../exit.js'

export default class Search extends Command {
  static override summary = 'Find the highest rate the pipeline sustains within the config’s SLOs.'
  static override description =
    `Runs short trials of the config, each a full run with warmup at one planned rate: doubling the rate until a trial fails, then bisecting between the highest rate that held and the lowest that failed.

A trial holds when every SLO of the config holds and the sink kept up: events achieved and operations sent both at least --keep-up of the planned rate. throughput SLOs are replaced by that check, since each trial plans its own rate. Windowed SLOs (e2e.p99[10s]) hold in every window of each trial, so --trial must be at least the longest window. When cdcb itself cannot keep the planned schedule (it sends less than --keep-up of the rate, or sends more than half of the measured window's operations later than load.lateAfter: it was behind its schedule, not through one stall) the search stops there and says so: the pipeline's limit is above what it could measure.

Each trial runs at one steady rate: load.stages are replaced (the header says so). The config's faults run in every trial. recovery.time is judged only in trials with a fault to recover from; a trial that holds names the SLOs it could not judge.

Under the table the search prints the knee: the highest rate that held before e2e p99 rose above twice its value at the lowest-rate trial, or that it was not reached.

Exit codes: 0 a rate was found, 1 no trial held, 2 usage or config error, 3 runtime failure, 130 interrupted (the trials so far are still printed and written).`

  static override examples = [
    '<%= config.bin %> search --config bench.config.ts',
    '<%= config.bin %> search --config bench.config.ts --from 5000 --trial 30s --out search.json',
  ]

  static override flags = {
    config: pathFlag(
      Flags.string({
        char: 'c',
        description: 'Config file (TypeScript, JavaScript, JSON or YAML).',
        helpValue: 'FILE',
      }),
    ),
    from: Flags.string({
      description: 'Rate of the first trial, events/s (default: the config’s load.rate).',
    }),
    max: Flags.string({ description: 'Highest rate to try, events/s (default: no limit).' }),
    trial: Flags.string({ description: 'Measured duration of each trial, such as 20s.', default: '20s' }),
    warmup: Flags.string({
      description: 'Warmup of each trial (default: the config’s load.warmup, else 5s).',
    }),
    precision: Flags.string({
      description: 'Stop when the lowest failing rate is within this share of the highest holding one.',
      default: '5%',
    }),
    'keep-up': Flags.string({
      description: 'Share of the planned rate that must be sent and achieved.',
      default: '97%',
    }),
    'max-trials': Flags.string({ description: 'At most this many trials.', default: '12' }),
    out: pathFlag(
      Flags.string({
        char: 'o',
        description:
          'Write search.maxRate, search.knee and every trial as JSON to this file (refused while another cdcb run or search writes it).',
        helpValue: 'FILE',
      }),
    ),
    workers: Flags.string({ description: 'Worker threads; overrides workers (default: CPU cores).' }),
  }

  async run(): Promise<void> {
    const { flags } = await parseCommandLine(() => this.parse(Search), Search, 'search')
    try {
      const { searchFromCli } = await import('../search-benchmark.js')
      const exitCode = await searchFromCli({
        config: flags.config,
        from: positive('--from', flags.from),
        max: positive('--max', flags.max),
        trial: flags.trial,
        warmup: flags.warmup,
        precision: share('--precision', flags.precision),
        keepUp: share('--keep-up', flags['keep-up']),
        maxTrials: whole('--max-trials', flags['max-trials'], 'a whole number of trials above 0 such as 12'),
        out: flags.out,
        workers: whole('--workers', flags.workers, 'a whole number of worker threads above 0 such as 4'),
      })
      process.exit(exitCode)
    } catch (error) {
      exitWithError(error)
    }
  }
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value.replace(/\/s$/, ''))
  if (!Number.isFinite(n) || n <= 0)
    fail(2, `${name}: expected a positive rate in events/s such as 5000, got "${value}"`)
  return n
}

/** A count, refused in its own words: a rate's message ("events/s") misled for --max-trials 0. */
function whole(name: string, value: string | undefined, expected: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n <= 0)
    fail(2, `${name}: expected ${expected}, got "${value}"`)
  return n
}

/** "5%" or 0.05. */
function share(name: string, value: string): number {
  const percent = value.endsWith('%')
  const n = Number(percent ? value.slice(0, -1) : value) / (percent ? 100 : 1)
  if (!Number.isFinite(n) || n <= 0 || n >= 1)
    fail(2, `${name}: expected a share such as 5% or 0.05, got "${value}"`)
  return n
}
