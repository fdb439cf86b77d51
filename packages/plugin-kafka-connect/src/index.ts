/**
 * @cdcb/plugin-kafka-connect: the connectors of the pipeline under test, in
 * the `pipeline` slot. See README.md for the options and the choices behind them.
 */
import { definePlugin, pluginRef } from '@cdcb/core'
import { type KafkaConnectOptions, optionsSchema, type ResolvedKafkaConnectOptions } from './options.js'
import { cleanConnectors } from './owners.js'
import { CONNECT_PIPELINE_ACTIONS, createConnectPipeline } from './pipeline.js'
import { ConnectRest } from './rest.js'

export { POSTGRES_CONNECTOR } from './debezium-postgres.js'
export type { KafkaConnectOptions, ResolvedKafkaConnectOptions } from './options.js'

/** Config helper: `pipeline: kafkaConnect({ url, connectors: [{ name, config }] })`. */
export const kafkaConnect = pluginRef<KafkaConnectOptions>('kafka-connect')

export default definePlugin<ResolvedKafkaConnectOptions>({
  name: 'kafka-connect',
  core: '^0.1.0',
  options: optionsSchema,
  createPipeline: createConnectPipeline,
  pipelineActions: CONNECT_PIPELINE_ACTIONS,
  async clean(slot, options, context) {
    if (slot === 'pipeline')
      await cleanConnectors(new ConnectRest(options.url.replace(/\/+$/, '')), options.brokers, context)
  },
})
