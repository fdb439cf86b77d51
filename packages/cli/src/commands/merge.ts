import path from 'node:path'
import { Command, Flags } from '@oclif/core'
import { parseCommandLine, pathFlag } from '../command-line.js'
import { exitWithError, fail } from '../exit.js'

export default class Merge extends Command {
  static override summary =
    'Add results of runs that ran together (shards) into one, and check the SLOs on it.'
  static override description =
    `Histograms and counters add losslessly, so the merged percentiles are those of one run over all the events. Rates are the events counted in the inputs' measured windows over the longest window: right for runs that overlapped in time (shards), and the merge warns when they did not. The SLOs are the inputs' own checks, or those of --config, evaluated on the merged figures; a windowed SLO (e2e.p99[1m]) cannot be recombined from several results and is skipped, with each input's own verdict.

Shards (cdcb run --shard i/N): when any input is a shard, every input must be a shard of the same run (run id and N), each once, none missing; otherwise nothing is written (exit 2). Shards must share one plan (workers, and load: model, stages and rate, warmup, duration, concurrency, mix, keys, payload size, seed); the differing field is named. A shard skips throughput SLOs (it sends 1/N of the rate): the merge judges them on the sum.
Two or more results are needed: one alone is refused. Not shards: each input must be another run (the same run id twice — one file twice, a copy, or a merged result that already counts a run another input is or counts, at any depth — is refused). An --out, --html or --csv naming an input (or --config), two of them naming one file, or a path that cannot be written, is refused before anything is read. The summary's warnings give the spread of the shards' actual start times, each by its own machine's clock, and what differs between the inputs' pipelines and loads (as compare warns); when the inputs' configs differ, the merge names the fields and the merged result keeps each input's config (mergedFrom[].config) and has none of its own; runs that are not shards and differ only in load.seed keep the first's config, each seed in mergedFrom[].seed.

Exit codes: 0 all SLOs held, 1 an SLO failed, 2 bad input (nothing is written), 130 an input was interrupted.`

  static override examples = [
    '<%= config.bin %> merge shard-0.json shard-1.json shard-2.json --out merged.json',
    '<%= config.bin %> merge results/*.json --out merged.json --config bench.config.ts --html merged.html',
  ]

  static override strict = false

  static override flags = {
    out: pathFlag(
      Flags.string({
        char: 'o',
        description: 'Write the merged result (schemaVersion 1) here.',
        required: true,
        helpValue: 'FILE',
      }),
    ),
    config: pathFlag(
      Flags.string({
        char: 'c',
        description: "Evaluate this config's SLOs instead of the inputs' own.",
        helpValue: 'FILE',
      }),
    ),
    html: pathFlag(
      Flags.string({ description: 'Also write the HTML report of the merged result.', helpValue: 'FILE' }),
    ),
    csv: pathFlag(
      Flags.string({
        description:
          'Also write PREFIX_history.csv, PREFIX_stats.csv and PREFIX_totals.csv A PREFIX ending in .json, .csv, .html or .xml is refused.',
        helpValue: 'PREFIX',
      }),
    ),
    quiet: Flags.boolean({ char: 'q', description: 'Do not print the summary.', default: false }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await parseCommandLine(() => this.parse(Merge), Merge, 'merge')
    const files = argv as string[]
    if (files.length === 0)
      fail(2, 'merge: no result files given — cdcb merge a.json b.json … --out merged.json')
    // One input merges into a copy of itself: surely a shell glob that matched less than meant.
    if (files.length === 1)
      fail(
        2,
        `merge: merge needs two or more results, got one (${files[0]}) — give every result to add up, e.g. cdcb merge shard-*.json --out merged.json`,
      )
    try {
      const { checkOutputs, outputsOfFlags } = await import('../results/output-files.js')
      checkOutputs(outputsOfFlags(flags), [
        ...files.map((file) => ({ is: 'an input', file })),
        ...(flags.config === undefined ? [] : [{ is: 'the config', file: flags.config }]),
      ])
      const { mergeResults, readResultFile } = await import('@cdcb/core/results')
      const inputs = []
      for (const file of files) inputs.push({ file, result: await readResultFile(file) })
      const slo = flags.config ? await sloOf(flags.config) : undefined
      const merged = mergeResults(inputs, { slo })
      const { writeOutputs } = await import('../results/write-outputs.js')
      await writeOutputs(merged, { out: flags.out, html: flags.html, csv: flags.csv })
      if (!flags.quiet) {
        const { formatSummary } = await import('@cdcb/core/runtime')
        this.log(formatSummary(merged))
      }
      process.exit(merged.exitCode)
    } catch (error) {
      exitWithError(error)
    }
  }
}

async function sloOf(configFile: string) {
  const { loadConfigFile, resolveConfig } = await import('@cdcb/core/runtime')
  const configPath = path.resolve(configFile)
  const config = await resolveConfig(await loadConfigFile(configPath), { configPath, sloOnly: true })
  return config.slo
}
