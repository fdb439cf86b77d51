/**
 * The plugin's options, one schema for every slot; each part reads what it
 * needs. Defaults are applied here so the parts never guess.
 */
import { MARKER_COLUMNS, parseDurationMicros } from '@cdcb/core'
import { z } from 'zod'

/** Where a Debezium row carries cdcb's marker: the columns a cdcb PostgreSQL source writes. */
const DEFAULT_DEBEZIUM_COLUMNS = {
  key: MARKER_COLUMNS.key,
  runId: MARKER_COLUMNS.runId,
  seq: MARKER_COLUMNS.seq,
  intendedAt: MARKER_COLUMNS.intendedAt,
  digest: MARKER_COLUMNS.digest,
  payload: MARKER_COLUMNS.payload,
}

const duration = z.union([z.string(), z.number()]).refine((v) => parseDurationMicros(v) !== undefined, {
  error: 'expected a duration such as "500ms" or "5s"',
})
const positiveInt = z
  .number({ error: 'expected a positive whole number' })
  .int({ error: 'expected a positive whole number' })
  .positive({ error: 'expected a positive whole number' })
const seqList = z.array(z.number().int().nonnegative())
const topicName = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, { error: 'expected a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ -' })
/** A dot path into a JSON value, e.g. `after.seq`. */
const path = z.string().min(1)

const brokers = z
  .union(
    [
      z.string().min(1, { error: 'expected "host:port[,host:port…]"' }),
      z.array(z.string().min(1)).min(1, { error: 'expected at least one "host:port"' }),
    ],
    { error: 'expected "host:port[,host:port…]" or an array of them' },
  )
  .transform((v) =>
    (Array.isArray(v) ? v : v.split(','))
      .map((b) => b.trim())
      .filter(Boolean)
      .map((b) => b.replace(/^[a-z]+:\/\//i, '')),
  )
  .refine((list) => list.length > 0 && list.every((b) => /^[^\s:]+:\d+$/.test(b)), {
    error: 'expected "host:port" addresses such as "127.0.0.1:9092"',
  })

const sasl = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string(),
  password: z.string(),
})

const optionsSchema = z
  .strictObject({
    /** Bootstrap brokers: `['host:9092']` or `'host1:9092,host2:9092'`. */
    brokers,
    /** The topic the source writes and the sink, verifier read. */
    topic: topicName,
    /** Sink only: read several topics (e.g. one per Debezium table); defaults to `[topic]`. */
    topics: z.array(topicName).min(1).optional(),
    /** Partitions of a topic cdcb creates. @default the broker's num.partitions */
    partitions: positiveInt.optional(),
    /** Replication factor of a topic cdcb creates. @default the broker's default.replication.factor */
    replicationFactor: positiveInt.optional(),
    /** Create the topic in `prepare` when it is missing. @default true */
    createTopic: z.boolean().default(true),
    /** Delete, after the run, a topic this run created. @default false (a pipeline may still read it) */
    deleteTopic: z.boolean().default(false),
    /** `message.timestamp.type` of a topic cdcb creates; the sink reports which one it reads. @default "LogAppendTime" */
    timestampType: z.enum(['LogAppendTime', 'CreateTime']).default('LogAppendTime'),
    /** Producer acknowledgements: "all" (= -1), 1 or 0. @default "all" */
    acks: z
      .union([z.literal('all'), z.literal(-1), z.literal(0), z.literal(1)], {
        error: 'expected "all", -1, 0 or 1',
      })
      .default('all'),
    /** Producer compression. @default "none" */
    compression: z.enum(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'),
    /**
     * Producer batching across writes: at most `inFlight` produce requests
     * outstanding per producer (writes arriving meanwhile share the next request,
     * up to `maxRecords` records and `maxBytes` bytes of keys, values and
     * headers); `linger` waits that long to fill a request. The idempotent
     * producer (the default with acks "all") has one request outstanding per
     * producer, whatever `inFlight` says: the client sends its requests one at a time. `maxBytes` stays
     * below the broker's `message.max.bytes` (1 MB by default) so records that
     * fit one by one are never joined into a batch the broker refuses; one
     * record larger than it goes alone.
     * @default { linger: 0, maxRecords: 10000, maxBytes: 1000000, inFlight: 5 }
     */
    batch: z
      .strictObject({
        linger: duration.default(0),
        maxRecords: positiveInt.default(10_000),
        maxBytes: positiveInt.default(1_000_000),
        inFlight: positiveInt.default(5),
      })
      .default({ linger: 0, maxRecords: 10_000, maxBytes: 1_000_000, inFlight: 5 }),
    /**
     * Idempotent producer: the broker drops a record batch it already appended
     * (same producer id and sequence), so a retried send never writes a record
     * twice — without it a retry after a timeout or a partly failed request
     * writes duplicates cdcb would count against the pipeline. Needs acks "all".
     * @default true with acks "all", false otherwise
     */
    idempotent: z.boolean().optional(),
    /**
     * Source: producers per worker, each on its own connection with its own batching; partition p
     * goes through producer p % producers, so a key always takes the same one. The client sends an
     * idempotent producer's requests one at a time per connection, so more than one helps when the
     * round trip to the broker, not cdcb's CPU, is the limit (a remote cluster); on a broker beside
     * cdcb it measured slower (smaller requests, more of them).
     * @default 1
     */
    producers: positiveInt.default(1),
    /** Requests in flight per broker connection. @default 5 (1 when idempotent: the client's rule) */
    maxInFlightRequests: positiveInt.optional(),
    /** Producer retries per write before it counts as an error. @default 5 */
    retries: z.number().int().nonnegative().default(5),
    clientId: z.string().min(1).default('cdcb'),
    /** TLS: true, or options passed to `tls.connect` (ca, cert, key …). */
    ssl: z
      .union([z.boolean(), z.record(z.string(), z.unknown())], {
        error: 'expected true or an object of TLS options (ca, cert, key …)',
      })
      .optional(),
    /** SASL credentials, passed to the client; never logged. */
    sasl: sasl.optional(),
    /** How long to try to reach the brokers before the run fails (exit 3). @default "5s" */
    connectTimeout: duration.default('5s'),
    /** How long a request may wait for the broker before it fails (and is retried). @default "30s" */
    requestTimeout: duration.default('30s'),
    /** Record layout: what the source writes and the sink, verifier parse. @default "cdcb" */
    format: z.enum(['cdcb', 'debezium', 'json']).default('cdcb'),
    /** cdcb format: where the marker goes; tombstones always carry it in the `cdcb-marker` header. @default "value" */
    marker: z.enum(['value', 'header']).default('value'),
    /** Source: write deletes as tombstones (null value); with `debezium`, a tombstone after each delete event. @default false */
    tombstones: z.boolean().default(false),
    /** Debezium format: include the JSON converter's `schema` (source); column names of the row (all). */
    debezium: z
      .strictObject({
        schema: z.boolean().default(false),
        columns: z
          .strictObject({
            key: z.string().default('key'),
            runId: z.string().default('run_id'),
            seq: z.string().default('seq'),
            intendedAt: z.string().default('intended_at'),
            digest: z.string().default('digest'),
            payload: z.string().default('payload'),
          })
          .default(DEFAULT_DEBEZIUM_COLUMNS),
      })
      .optional(),
    /**
     * JSON format: dot paths of the marker in the record value. Either `marker`
     * (the encoded marker string) or `runId` + `seq` + `intendedAt` (+ `digest`).
     * `key` falls back to the record key. Defaults describe a flat row
     * (`run_id`, `seq`, `intended_at`, `digest`, `key`, `payload`).
     */
    json: z
      .strictObject({
        marker: path.optional(),
        runId: path.optional(),
        seq: path.optional(),
        intendedAt: path.optional(),
        digest: path.optional(),
        key: path.optional(),
        payload: path.optional(),
        /** Path whose truthy value marks a delete (e.g. `__deleted` from Debezium's unwrap SMT). */
        deleted: path.optional(),
      })
      .optional(),
    /**
     * Sink: which time is `committedAt`: the record timestamp ("record"), or none
     * ("observed": e2e then runs to when cdcb read the record, source → broker → sink).
     * @default "record"
     */
    committedAt: z.enum(['record', 'observed']).default('record'),
    /** Sink, verifier: prefix of the readers' group ids (`<groupPrefix>-<runId>-…`); they read by assignment and join no group. @default "cdcb" */
    groupPrefix: z.string().min(1).default('cdcb'),
    /** Accepted for existing configs; no effect: the sink reads by assignment and joins no consumer group. */
    sessionTimeout: duration.default('30s'),
    /** Verifier: how long to read the topic back before giving up. @default "60s" */
    verifyTimeout: duration.default('60s'),
    /**
     * FOR TESTS ONLY — faults injected on purpose so tests can check that cdcb
     * finds them: seqs the source acknowledges without sending (loss), sends
     * twice (duplicates), or sends after the next change of their key (order).
     * Never set it in a real benchmark.
     */
    testing: z
      .strictObject({
        skipSeqs: seqList.optional(),
        duplicateSeqs: seqList.optional(),
        reorderSeqs: seqList.optional(),
      })
      .optional(),
  })
  .refine((o) => !o.idempotent || o.acks === 'all' || o.acks === -1, {
    error: 'idempotent needs acks "all"',
    path: ['acks'],
  })

export { optionsSchema }

/** Options as a config writes them. */
export type KafkaOptions = z.input<typeof optionsSchema>
/** Options after validation and defaults, as every part receives them. */
export type ResolvedKafkaOptions = z.output<typeof optionsSchema>

/** A duration option → whole milliseconds, for client settings. */
export function millis(value: string | number): number {
  return Math.round(parseDurationMicros(value)! / 1e3)
}

/** Whether the source's producer is idempotent: as set, else whenever acks is "all". */
export function isIdempotent(options: Pick<ResolvedKafkaOptions, 'idempotent' | 'acks'>): boolean {
  return options.idempotent ?? (options.acks === 'all' || options.acks === -1)
}

/** Debezium column names after defaults. */
export function debeziumColumns(options: ResolvedKafkaOptions) {
  return options.debezium?.columns ?? DEFAULT_DEBEZIUM_COLUMNS
}
