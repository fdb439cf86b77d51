/**
 * @cdcb/plugin-sqs: Amazon SQS (or ElasticMQ) as a cdcb source, sink and
 * verifier, on the AWS SDK v3 SQS client. See README.md for the options and
 * the choices behind them.
 */
import { definePlugin, pluginRef } from '@cdcb/core'
import { optionsSchema, type ResolvedSqsOptions, type SqsOptions } from './options.js'
import { cleanSqs, prepareSqs } from './queues.js'
import { createSqsSink } from './sink.js'
import { createSqsSource } from './source.js'
import { createSqsVerifier } from './verifier.js'

export { KEY_ATTRIBUTE, MARKER_ATTRIBUTE } from './format.js'
export type { ResolvedSqsOptions, SqsOptions } from './options.js'
export { OWNED_TAG, PROCESS_TAG } from './queues.js'

/** Config helper: `sqs({ endpoint: 'http://127.0.0.1:9324', queue: 'cdcb' })` in any slot. */
export const sqs = pluginRef<SqsOptions>('sqs')

export default definePlugin<ResolvedSqsOptions>({
  name: 'sqs',
  core: '^0.1.0',
  options: optionsSchema,
  prepare: (slot, options, context) => prepareSqs(slot, options, context),
  clean: (slot, options, context) => cleanSqs(slot, options, context),
  createSource: createSqsSource,
  createSink: createSqsSink,
  createVerifier: createSqsVerifier,
})
