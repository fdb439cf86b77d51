/**
 * @cdcb/core: the plugin API, config helpers and the runtime that benchmarks a
 * change-data-capture pipeline end to end.
 */

export { nowMicros } from './clock.js'
export {
  defineConfig,
  type LoadConfig,
  type ReporterSpec,
  type Stage,
  type UserConfig,
} from './config/user-config.js'
export {
  CdcbError,
  ConfigError,
  describeError,
  errorKind,
  PartialWriteFailure,
  type PluginPart,
  type PluginPhase,
  pluginFailure,
  RuntimeFailure,
  redactUrl,
} from './errors.js'
export { digestOf, digestOfBytes, payloadFor, writePayload } from './load/payload.js'
export { formatShard, type RunShard, shardOwnsSeq } from './load/shard.js'
export { decodeMarker, encodeMarker, MARKER_COLUMNS, writeMarker } from './marker.js'
export { SeqBitset } from './metrics/seq-bitset.js'
export { durationOption, positiveIntOption, urlOption } from './options.js'
export { type OwnerState, ownerStateOf, processOwner } from './owner.js'
export {
  type CleanContext,
  definePlugin,
  type ExpectedRow,
  type LogKind,
  type Marker,
  type Mismatch,
  type Observer,
  type Operation,
  type OperationKind,
  type Pipeline,
  type PipelineActionList,
  type PipelineEvents,
  type PluginContext,
  type PluginDefinition,
  type PluginRef,
  type Preparation,
  pluginRef,
  type Reporter,
  type RunContext,
  type RunStartInfo,
  type Sink,
  type Slot,
  type Source,
  type StampInfo,
  type StandardSchema,
  type VerificationReport,
  type Verifier,
} from './plugin.js'
export { type MemoryOptions, memory } from './plugins/memory.js'
export type * from './result.js'
export { LATENCY_METRICS } from './result.js'
export { formatActual } from './slo/evaluate.js'
export {
  type Duration,
  formatCount,
  formatMicros,
  formatOffset,
  formatRate,
  parseDurationMicros,
} from './units.js'
