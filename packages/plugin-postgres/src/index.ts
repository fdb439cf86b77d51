/**
 * @cdcb/plugin-postgres: a source that writes cdcb's operations into a
 * PostgreSQL table, a sink that watches the table where a pipeline delivers
 * them (logical replication stream or polling), a verifier of the final
 * state, and a pipeline part whose fault actions disturb a native
 * logical-replication pipeline (pipeline.ts). See the package README for the time base, deletes and ownership.
 */
import { definePlugin, pluginRef } from '@cdcb/core'
import { optionsSchema, type PostgresOptions } from './options.js'
import { createPostgresPipeline, POSTGRES_PIPELINE_ACTIONS } from './pipeline.js'
import { clean, prepare } from './prepare.js'
import { createPostgresSink } from './sink.js'
import { createPostgresSource } from './source.js'
import { createPostgresVerifier } from './verifier.js'

export type { PostgresOptions } from './options.js'

/** Config helper: `postgres({ url })` in the source, sink or verify slot. */
export const postgres = pluginRef<PostgresOptions>('postgres')

export default definePlugin<PostgresOptions>({
  name: 'postgres',
  core: '^0.1.0',
  options: optionsSchema,
  prepare,
  clean,
  createSource: createPostgresSource,
  createSink: createPostgresSink,
  createVerifier: createPostgresVerifier,
  createPipeline: createPostgresPipeline,
  pipelineActions: POSTGRES_PIPELINE_ACTIONS,
})
