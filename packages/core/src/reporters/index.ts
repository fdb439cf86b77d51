import { ConfigError } from '../errors.js'
import type { Reporter } from '../plugin.js'
import { createJsonReporter, createJunitReporter } from './files.js'
import { createPlainReporter } from './plain.js'
import { createSummaryReporter } from './summary.js'

/** Where built-in reporters write. */
export interface ReporterOutput {
  /** A line of live output (stdout). */
  line(text: string): void
  /** Whether to use ANSI colours. */
  color: boolean
}

/** The built-in reporters, by the name a config uses (`tui` lives in @cdcb/tui and is added by the CLI). */
export const builtInReporters = {
  plain: (_options: Record<string, unknown>, out: ReporterOutput) => createPlainReporter(out.line),
  summary: (_options: Record<string, unknown>, out: ReporterOutput) =>
    createSummaryReporter(out.line, out.color),
  json: (options: Record<string, unknown>, _out: ReporterOutput) =>
    createJsonReporter(requireFile('json', options)),
  junit: (options: Record<string, unknown>, _out: ReporterOutput) =>
    createJunitReporter(requireFile('junit', options)),
} satisfies Record<string, (options: Record<string, unknown>, out: ReporterOutput) => Reporter>

export type BuiltInReporterName = keyof typeof builtInReporters

function requireFile(name: string, options: Record<string, unknown>): string {
  const file = options.file
  if (typeof file !== 'string' || file === '') {
    throw new ConfigError(
      `reporters: "${name}" needs a file — write ["${name}", { "file": "result.${name === 'json' ? 'json' : 'xml'}" }]`,
    )
  }
  return file
}

export { toJunit, whyNotWritable } from './files.js'
export { formatSummary } from './summary.js'
