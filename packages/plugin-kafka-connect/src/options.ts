/**
 * Options of the kafka-connect plugin (the `pipeline` slot). Defaults are
 * applied here so the pipeline part never guesses.
 */
import { parseDurationMicros } from '@cdcb/core'
import { z } from 'zod'

const duration = z
  .union([z.string(), z.number()], { error: 'expected a duration such as "500ms" or "90s"' })
  .refine((v) => parseDurationMicros(v) !== undefined, {
    error: 'expected a duration such as "500ms" or "90s"',
  })
const connectorName = z.string({ error: 'expected a connector name' }).regex(/^[A-Za-z0-9._{}-]{1,200}$/, {
  error: 'expected a connector name of A-Z a-z 0-9 . _ - ({runId} allowed)',
})
const configValue = z.union([z.string(), z.number(), z.boolean()], {
  error: 'expected a string, number or boolean (Connect takes every setting as a string)',
})

const connector = z.strictObject({
  /** The connector's name in the cluster; `{runId}` is replaced by the run's id. */
  name: connectorName,
  /** Its configuration as `POST /connectors` takes it (`connector.class` required); `{runId}` is replaced in values. */
  config: z
    .record(z.string(), configValue, { error: 'expected an object of connector settings' })
    .refine((c) => typeof c['connector.class'] === 'string', {
      error: 'needs "connector.class", e.g. "io.debezium.connector.postgresql.PostgresConnector"',
    }),
})

export const optionsSchema = z
  .strictObject({
    /** The Connect worker's REST API; `user:password@` in it is sent as basic auth, never printed. @default "http://127.0.0.1:8083" */
    url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/, { error: 'expected the REST address, e.g. "http://127.0.0.1:8083"' })
      .default('http://127.0.0.1:8083'),
    /** Connectors cdcb registers for the run and removes after it (with a Debezium PostgreSQL source's slot and publication). */
    connectors: z.array(connector).default([]),
    /**
     * The Kafka brokers the connectors write to and read from, as cdcb reaches
     * them. Given, cdcb deletes the topics and sink consumer groups named for
     * the run (see README) after the run and after a killed one; without, it
     * names them and leaves them. `'host:port[,…]'` or an array. @default []
     */
    brokers: z
      .union(
        [
          z.string().regex(/^[^\s,]+:\d{1,5}(,[^\s,]+:\d{1,5})*$/, {
            error: 'expected "host:port[,host:port…]"',
          }),
          z.array(z.string().regex(/^[^\s,]+:\d{1,5}$/, { error: 'expected "host:port"' })),
        ],
        { error: 'expected "host:port[,host:port…]" or an array of them' },
      )
      .transform((v) => (typeof v === 'string' ? v.split(',') : v))
      .default([]),
    /** Connectors that already run in the cluster: cdcb only watches them, never changes or removes them. */
    observe: z.array(connectorName).default([]),
    /** How long setup waits for every connector and task to be RUNNING. @default "90s" */
    readyTimeout: duration.default('90s'),
    /** How often the run polls connector and task states; a restart quicker than this can go unseen. @default "500ms" */
    watchInterval: duration.default('500ms'),
  })
  .refine((o) => o.connectors.length + o.observe.length > 0, {
    error:
      'name at least one connector: "connectors" to register for the run, or "observe" to watch existing ones',
  })
  .refine(
    (o) =>
      new Set([...o.connectors.map((c) => c.name), ...o.observe]).size ===
      o.connectors.length + o.observe.length,
    {
      error: 'each connector name may appear once across "connectors" and "observe"',
    },
  )

export type KafkaConnectOptions = z.input<typeof optionsSchema>
export type ResolvedKafkaConnectOptions = z.output<typeof optionsSchema>
export type ConnectorSpec = ResolvedKafkaConnectOptions['connectors'][number]
