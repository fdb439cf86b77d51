import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { RunResult } from '@cdcb/core'
import { csvPaths, toCsv } from '@cdcb/core/results'

/** Where to write a result's artifacts; each is optional. */
export interface OutputFiles {
  /** The result as JSON (schemaVersion 1). */
  readonly out?: string
  /** The self-contained HTML report. */
  readonly html?: string
  /** A prefix for PREFIX_history.csv, PREFIX_stats.csv and PREFIX_totals.csv. */
  readonly csv?: string
}

/** Renders everything first, then writes: a rendering failure leaves no half-written set. Returns the files written. */
export async function writeOutputs(result: RunResult, files: OutputFiles): Promise<string[]> {
  const texts: Array<[string, string]> = []
  if (files.out) texts.push([files.out, `${JSON.stringify(result, null, 2)}\n`])
  if (files.csv) {
    const paths = csvPaths(files.csv)
    const csv = toCsv(result)
    texts.push([paths.history, csv.history], [paths.stats, csv.stats], [paths.totals, csv.totals])
  }
  if (files.html) {
    const { renderHtml } = await import('./html.js')
    texts.push([files.html, renderHtml(result)])
  }
  for (const [file, text] of texts) {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true })
    await writeFile(file, text)
  }
  return texts.map(([file]) => file)
}
