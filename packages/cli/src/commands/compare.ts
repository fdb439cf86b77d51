import { Args, Command, Flags } from '@oclif/core'
import { parseCommandLine } from '../command-line.js'
import { exitWithError } from '../exit.js'

export default class Compare extends Command {
  static override summary = 'Compare two results side by side; gate on the change with --fail-on.'
  static override description =
    `Every latency statistic (from the encoded histograms, not the rounded table; hops' too, as hop.<name>.p99), rate and count of both runs, with the change. Warns when the runs differ in a way that makes the comparison unfair (source, sink, pipeline part, faults, load and its stages, machine, measured window, an interrupted run), and when both are one run's file (one file twice or a copy: same run id, start, end, counts and histograms).

--fail-on takes comma-separated gates: a figure, a comparator and a change, either relative ("+20%") or absolute in the figure's unit ("+5ms", "-1000/s", "> 0" for counts). A change without a unit on a figure that has one ("throughput < -10") is refused, save 0. A gate whose figure one run lacks counts as crossed.

Exit codes: 0 no gate crossed, 1 a gate crossed, 2 bad input (unreadable result, bad gate).`

  static override examples = [
    '<%= config.bin %> compare baseline.json candidate.json',
    '<%= config.bin %> compare baseline.json candidate.json --fail-on "e2e.p99 > +20%, throughput < -10%, lost > 0"',
  ]

  static override args = {
    // A piped stdin is not an argument: oclif would read it as the missing one (a script's heredoc became a file name).
    baseline: Args.string({
      description: 'The result to compare against.',
      required: true,
      ignoreStdin: true,
    }),
    candidate: Args.string({ description: 'The new result.', required: true, ignoreStdin: true }),
  }

  static override flags = {
    'fail-on': Flags.string({
      description: 'Gates on the change, e.g. "e2e.p99 > +20%, throughput < -10%".',
    }),
  }

  async run(): Promise<void> {
    const { args, flags } = await parseCommandLine(() => this.parse(Compare), Compare, 'compare')
    try {
      const { compareResults, formatComparison, parseGates, readResultFile } = await import(
        '@cdcb/core/results'
      )
      const gates = flags['fail-on'] === undefined ? [] : parseGates(flags['fail-on'])
      const baseline = await readResultFile(args.baseline)
      const candidate = await readResultFile(args.candidate)
      const comparison = compareResults(baseline, candidate, gates)
      this.log(formatComparison(comparison, { baseline: args.baseline, candidate: args.candidate }))
      process.exit(comparison.gates.some((g) => g.crossed) ? 1 : 0)
    } catch (error) {
      exitWithError(error)
    }
  }
}
