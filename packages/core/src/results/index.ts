/**
 * @cdcb/core/results: reading, comparing, merging and exporting result files
 * (docs/result-schema.md), for `cdcb compare`, `merge`, `report` and programs.
 */
export {
  type ComparedFigure,
  type Comparison,
  compareResults,
  formatComparison,
  type Gate,
  type GateOutcome,
  parseGates,
  unfairDifferences,
} from './compare.js'
export { type CsvFiles, csvPaths, toCsv } from './csv.js'
export { describeConfig, describeMachine, redactSecrets } from './describe.js'
export { FIGURES, type Figure, ResultFigures } from './figures.js'
export { type MergeInput, type MergeOptions, mergeResults } from './merge.js'
export { parseResult, readResultFile } from './read-result.js'
