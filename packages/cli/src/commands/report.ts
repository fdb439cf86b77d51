import { Args, Command, Flags } from '@oclif/core'
import { parseCommandLine, pathFlag } from '../command-line.js'
import { exitWithError, fail } from '../exit.js'

export default class Report extends Command {
  static override summary = 'Turn a saved result into an HTML report, CSV files, or the summary table.'
  static override description =
    `The HTML report is one self-contained file (charts inlined, nothing fetched at view time): throughput target/sent/achieved over time, latency percentiles per interval (a merged result keeps none where inputs shared an interval, and says so), each metric's and hop's percentile spectrum on a log scale, the hops table, the SLO table, faults and warnings, the run's config with secrets redacted, and the machine.

Without --html or --csv it prints the summary. Exit codes: 0 written, 2 bad input (nothing is written).`

  static override examples = [
    '<%= config.bin %> report result.json --html report.html',
    '<%= config.bin %> report result.json --csv results/run1',
  ]

  static override args = {
    // A piped stdin is not an argument (oclif would read it as the missing one).
    result: Args.string({
      description: 'A result written by cdcb run --out or cdcb merge.',
      required: true,
      ignoreStdin: true,
    }),
  }

  static override flags = {
    html: pathFlag(Flags.string({ description: 'Write the HTML report to this file.', helpValue: 'FILE' })),
    csv: pathFlag(
      Flags.string({
        description:
          'Write PREFIX_history.csv, PREFIX_stats.csv and PREFIX_totals.csv A PREFIX ending in .json, .csv, .html or .xml is refused.',
        helpValue: 'PREFIX',
      }),
    ),
  }

  async run(): Promise<void> {
    const { args, flags } = await parseCommandLine(() => this.parse(Report), Report, 'report')
    try {
      const { checkOutputs, outputsOfFlags } = await import('../results/output-files.js')
      checkOutputs(outputsOfFlags(flags), [{ is: 'an input', file: args.result }])
      const { readResultFile } = await import('@cdcb/core/results')
      const result = await readResultFile(args.result)
      if (flags.html === undefined && flags.csv === undefined) {
        const { formatSummary } = await import('@cdcb/core/runtime')
        this.log(formatSummary(result))
        return
      }
      const { writeOutputs } = await import('../results/write-outputs.js')
      const written = await writeOutputs(result, { html: flags.html, csv: flags.csv })
      for (const file of written) this.log(`wrote ${file}`)
    } catch (error) {
      if ((error as { code?: string }).code === 'EACCES') fail(2, (error as Error).message)
      exitWithError(error)
    }
  }
}
