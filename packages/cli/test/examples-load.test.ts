/**
 * Every shipped example's load fits its key space: an insert needs an absent key, so a run whose
 * inserts outnumber its deletes by more than load.keys turns the rest into updates, and the example
 * warned about its own config ("40,118 inserts became updates"). The configs are loaded as cdcb loads
 * them, with server addresses set so none starts an embedded database. One connects as it loads:
 * examples/cassandra-debezium-postgres checks that its Cassandra node answers; with no node running
 * (the unit project alone) it is skipped, saying so.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfigFile, resolveConfig } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url))
const configs = readdirSync(examples)
  .map((name) => path.join(examples, name, 'bench.config.ts'))
  .filter((file) => existsSync(file))

describe('the examples fit their load into their keys', () => {
  it.for(configs.map((file) => [path.basename(path.dirname(file)), file]))(
    '%s',
    async ([, file], context) => {
      for (const name of ['SOURCE_URL', 'TARGET_URL'])
        process.env[name] ??= 'postgres://cdcb@127.0.0.1:1/cdcb'
      let loaded: Awaited<ReturnType<typeof loadConfigFile>>
      try {
        loaded = await loadConfigFile(file)
      } catch (error) {
        if (/cannot reach Cassandra/.test(String(error)))
          return context.skip('its Cassandra node is not running')
        throw error
      }
      const config = await resolveConfig(loaded, { origin: file })
      const { schedule, mix, keys } = config.load
      // Keys present grow by the inserts less the deletes: the run must end before that fills load.keys.
      const present = schedule.plannedOperations * (mix.insert - mix.delete)
      expect(present, `${file}: load.keys ${keys}`).toBeLessThanOrEqual(keys)
    },
  )
})
