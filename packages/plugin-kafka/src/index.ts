/**
 * @cdcb/plugin-kafka: Apache Kafka as a cdcb source, sink and verifier, on
 * @platformatic/kafka. See README.md for the options and the choices behind them.
 */
import { definePlugin, pluginRef } from '@cdcb/core'
import { type KafkaOptions, optionsSchema, type ResolvedKafkaOptions } from './options.js'
import { createKafkaSink } from './sink.js'
import { createKafkaSource } from './source.js'
import { cleanKafka, prepareKafka } from './topics.js'
import { createKafkaVerifier } from './verifier.js'

export { createDecoder, createEncoder, type Decoded, MARKER_HEADER } from './formats.js'
export type { KafkaOptions, ResolvedKafkaOptions } from './options.js'

/** Config helper: `kafka({ brokers: ['127.0.0.1:9092'], topic: 'cdcb' })` in any slot. */
export const kafka = pluginRef<KafkaOptions>('kafka')

export default definePlugin<ResolvedKafkaOptions>({
  name: 'kafka',
  core: '^0.1.0',
  options: optionsSchema,
  prepare: (slot, options, context) => prepareKafka(slot, options, context),
  clean: cleanKafka,
  createSource: createKafkaSource,
  createSink: createKafkaSink,
  createVerifier: createKafkaVerifier,
})
