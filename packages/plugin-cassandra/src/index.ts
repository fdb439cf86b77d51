/**
 * @cdcb/plugin-cassandra: a source that writes cdcb's operations into a
 * Cassandra table (prepared, token-aware, optionally in unlogged batches per
 * partition), a sink that reads a change-log table and takes `committedAt`
 * from `WRITETIME`, and a verifier that scans the final state by token range.
 * See the package README for the tables, time base and ownership.
 */
import { definePlugin, pluginRef } from '@cdcb/core'
import { type CassandraOptions, optionsSchema } from './options.js'
import { clean, prepare } from './schema.js'
import { createCassandraSink } from './sink.js'
import { createCassandraSource } from './source.js'
import { createCassandraVerifier } from './verifier.js'

export { checkReachable } from './connect.js'
export type { CassandraOptions } from './options.js'

/** Config helper: `cassandra({ contactPoints })` in the source, sink or verify slot. */
export const cassandra = pluginRef<CassandraOptions>('cassandra')

export default definePlugin<CassandraOptions>({
  name: 'cassandra',
  core: '^0.1.0',
  options: optionsSchema,
  prepare,
  clean,
  createSource: createCassandraSource,
  createSink: createCassandraSink,
  createVerifier: createCassandraVerifier,
})
