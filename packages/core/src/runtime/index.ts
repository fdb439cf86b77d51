/**
 * @cdcb/core/runtime: loading configs and running benchmarks, for the CLI and
 * for programs that drive cdcb themselves.
 */
export { CONFIG_SEARCH_PLACES, findConfigFile, loadConfigFile } from '../config/load-config.js'
export { CORE_VERSION, importPlugin } from '../config/plugin-loader.js'
export {
  BUILT_IN_REPORTERS,
  type ConfigOverrides,
  checkOverrides,
  type ResolvedConfig,
  type ResolvedLoad,
  type ResolvedPlugin,
  type ResolvedReporter,
  resolveConfig,
} from '../config/resolve-config.js'
export { closest } from '../config/schema.js'
export {
  addEncoded,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  summarize,
} from '../metrics/histograms.js'
export {
  type BuiltInReporterName,
  builtInReporters,
  formatSummary,
  type ReporterOutput,
  toJunit,
  whyNotWritable,
} from '../reporters/index.js'
export { claimOutput, type OutputClaim } from '../reporters/output-lock.js'
export { KNEE_DEFINITION, type Knee, kneeOf, type LatencyPoint } from '../search/knee.js'
export {
  BEHIND_SHARE,
  firstRate,
  judgeTrial,
  type SearchEnd,
  type SearchOptions,
  type SearchResult,
  searchMaxRate,
  type Trial,
  type TrialOutcome,
  type TrialVerdict,
} from '../search/max-rate.js'
export { evaluateSlo } from '../slo/evaluate.js'
export { parseSlo, type SloExpression, sloExpressions } from '../slo/parser.js'
export { RunControl, type RunOptions, runBenchmark } from './run.js'
