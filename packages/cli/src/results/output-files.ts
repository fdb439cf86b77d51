/**
 * The check every command makes on the files it will write, before it reads,
 * runs or writes anything: each can be written, is named by one output only,
 * and is none of the command's inputs (a result it reads, the config). A
 * mistake throws a one-line ConfigError (exit 2) naming the flag or config entry.
 */
import { realpathSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '@cdcb/core'
import { csvPaths } from '@cdcb/core/results'
import { whyNotWritable } from '@cdcb/core/runtime'

/** A file a command will write, and what asked for it: a flag (`--html`) or a config entry (`bench.config.ts: reporters.0`). */
export interface OutputFile {
  readonly by: string
  readonly file: string
}

/** A file a command reads, and what it is to the command (`an input`, `the config`). */
export interface InputFile {
  readonly is: string
  readonly file: string
}

/** The result flags a command may have; `csv` is a prefix for three files. */
export interface OutputFlags {
  readonly out?: string
  readonly junit?: string
  readonly html?: string
  readonly csv?: string
}

/** The files the result flags name, in the order they are checked (and named in messages). */
export function outputsOfFlags(flags: OutputFlags): OutputFile[] {
  const outputs: OutputFile[] = []
  for (const flag of ['out', 'junit', 'html'] as const) {
    const file = flags[flag]
    if (file !== undefined) outputs.push({ by: `--${flag}`, file })
  }
  if (flags.csv !== undefined) {
    // A prefix ending in a file's extension is a path meant for another flag (--out r.json): it would
    // quietly write r.json_history.csv and its two siblings.
    const extension = /\.(json|csv|html|xml)$/i.exec(flags.csv)?.[0]
    if (extension) {
      throw new ConfigError(
        `--csv ${flags.csv}: is a prefix for three files (${csvPaths(flags.csv).history}, …_stats.csv, …_totals.csv), not a file — give it without "${extension}", such as ${flags.csv.slice(0, -extension.length)}`,
      )
    }
    const files = csvPaths(flags.csv)
    for (const file of [files.history, files.stats, files.totals]) outputs.push({ by: '--csv', file })
  }
  return outputs
}

/** Throws a ConfigError for the first output that names an input or an earlier output, or cannot be written. */
export function checkOutputs(outputs: readonly OutputFile[], inputs: readonly InputFile[]): void {
  const inputsByPath = new Map(inputs.map((input) => [realPath(input.file), input]))
  const earlier = new Map<string, OutputFile>()
  for (const output of outputs) {
    const where = `${output.by} ${output.file}`
    const real = realPath(output.file)
    const input = inputsByPath.get(real)
    if (input)
      throw new ConfigError(
        `${where}: is also ${input.is} (${input.file}) — writing there would overwrite it; choose another path`,
      )
    const first = earlier.get(real)
    if (first) throw new ConfigError(`${where}: ${first.by} writes it too — give each output its own file`)
    earlier.set(real, output)
    const problem = whyNotWritable(output.file)
    if (problem) throw new ConfigError(`${where}: cannot write there: ${problem} — choose another path`)
  }
}

/** The absolute path with links resolved as far as it exists, so two spellings of one file compare equal. */
function realPath(file: string): string {
  const absolute = path.resolve(file)
  try {
    return realpathSync(absolute)
  } catch {
    const parent = path.dirname(absolute)
    return parent === absolute ? absolute : path.join(realPath(parent), path.basename(absolute))
  }
}
