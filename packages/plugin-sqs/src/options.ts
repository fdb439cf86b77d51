/**
 * The plugin's options, one schema for every slot; each part reads what it
 * needs. Defaults are applied here so the parts never guess. Messages name the
 * field as core shows them: `sink.options.receivers: expected a positive whole number`.
 */
import { parseDurationMicros } from '@cdcb/core'
import { z } from 'zod'

/** SQS's classic limit for one message and for the sum of a batch: the default, which every SQS accepts. */
export const SQS_MAX_BYTES = 262_144
/**
 * The largest message and batch AWS SQS takes since August 2025, and ElasticMQ
 * 1.7.1 too (measured: a body of 1,048,576 bytes and a batch whose bodies sum
 * to it go in; one byte more is `MessageTooLong`).
 */
export const SQS_LIMIT_BYTES = 1_048_576
/** SQS's limit of entries in one SendMessageBatch, ReceiveMessage or DeleteMessageBatch call. */
export const SQS_MAX_BATCH = 10
/** Queues one run may spread over (each sink worker runs `receivers` loops per queue). */
export const MAX_QUEUES = 64

const duration = z
  .union([z.string(), z.number()], { error: 'expected a duration such as "500ms" or "5s"' })
  .refine((v) => parseDurationMicros(v) !== undefined, {
    error: 'expected a duration such as "500ms" or "5s"',
  })
const positiveInt = z
  .number({ error: 'expected a positive whole number' })
  .int({ error: 'expected a positive whole number' })
  .positive({ error: 'expected a positive whole number' })
const seqList = z.array(z.number().int().nonnegative())
/** SQS queue names: 1 to 80 of a-z A-Z 0-9 - _, with `.fifo` at the end of a FIFO queue's. */
const queueName = z.string({ error: 'expected a queue name' }).regex(/^[A-Za-z0-9_-]{1,75}(\.fifo)?$/, {
  error: 'expected an SQS queue name: up to 80 of a-z A-Z 0-9 - _, ending in ".fifo" for a FIFO queue',
})
const path = z.string().min(1)

const credentials = z.strictObject({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
})

export const optionsSchema = z
  .strictObject({
    /**
     * The SQS endpoint, e.g. `http://127.0.0.1:9324` for ElasticMQ. Omit it for
     * AWS: the SDK picks the regional endpoint.
     */
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^\s/]+\/?$/, { error: 'expected an endpoint URL such as "http://127.0.0.1:9324"' })
      .optional(),
    /** AWS region. @default $AWS_REGION, else "us-east-1" */
    region: z.string().min(1).optional(),
    /**
     * Credentials; never logged. @default the SDK's chain (environment, profile,
     * instance role); against a loopback endpoint without any, dummy ones (ElasticMQ ignores them).
     */
    credentials: credentials.optional(),
    /**
     * The queue the source writes and the sink, verifier read; a name ending in
     * `.fifo` is a FIFO queue. Omit it only when `queues` lists the names.
     */
    queue: queueName.optional(),
    /**
     * Several queues: a count N spreads the run over `<queue>-1` … `<queue>-N`
     * (`.fifo` stays at the end: `orders.fifo` → `orders-1.fifo`), a list names
     * them (then leave `queue` out). The source sends key k to queue k mod N,
     * so each key lives in one queue and keeps its order; the sink and the
     * verifier read every queue. @default one queue, `queue`
     */
    queues: z
      .union([
        positiveInt.max(MAX_QUEUES, { error: `expected at most ${MAX_QUEUES} queues` }),
        z
          .array(queueName, { error: 'expected a queue count or a list of queue names' })
          .min(1)
          .max(MAX_QUEUES),
      ])
      .optional(),
    /** Source: create the queue in `prepare` when it is missing (and delete it after the run). @default true */
    createQueue: z.boolean().default(true),
    /** Keep, after the run, a queue this run created (it stays tagged as cdcb's). @default false */
    keepQueue: z.boolean().default(false),
    /** FIFO queue cdcb creates: content-based deduplication on top of cdcb's explicit ids. @default false */
    contentBasedDeduplication: z.boolean().default(false),
    /**
     * Source: SendMessageBatch calls in flight per worker; writes arriving
     * meanwhile fill the next call (up to 10 messages and `maxBatchBytes`). @default 16
     */
    inFlight: positiveInt.default(16),
    /**
     * Source: bytes of one message and of one batch call. AWS SQS (since 2025)
     * and ElasticMQ 1.7.1 accept up to 1 MiB; the default keeps to the classic
     * 256 KiB that every SQS accepts. @default 262144
     */
    maxBatchBytes: positiveInt
      .max(SQS_LIMIT_BYTES, { error: 'SQS accepts at most 1 MiB (1048576) per call' })
      .default(SQS_MAX_BYTES),
    /** Where the source puts the marker: in the body's JSON, or the `cdcb-marker` message attribute. @default "body" */
    marker: z.enum(['body', 'attribute'], { error: 'expected "body" or "attribute"' }).default('body'),
    /** Source, sink: attempts per call on throttling, 5xx and network errors, with backoff. @default 5 */
    retries: z.number().int().nonnegative().default(5),
    /** Sink: concurrent long-polling ReceiveMessage loops per worker. @default 4 */
    receivers: positiveInt.default(4),
    /** Sink: ReceiveMessage long-poll wait (SQS allows 0 to 20 s). @default "2s" */
    waitTime: duration
      .refine((v) => parseDurationMicros(v)! <= 20e6, { error: 'SQS long polls wait at most 20s' })
      .default('2s'),
    /**
     * Sink: visibility timeout of each receive: a message not deleted within it
     * is delivered again (counted as a duplicate). @default "30s"
     */
    visibilityTimeout: duration
      .refine((v) => parseDurationMicros(v)! >= 0 && parseDurationMicros(v)! <= 43_200e6, {
        error: 'SQS visibility timeouts are 0 to 12 hours',
      })
      .default('30s'),
    /**
     * Sink: which time is `committedAt`: SQS `SentTimestamp` ("sent": when the
     * queue accepted the message), or none ("observed": e2e runs to the receive). @default "sent"
     */
    committedAt: z.enum(['sent', 'observed']).default('sent'),
    /**
     * Sink, verifier: message layout. `cdcb` is what the source writes; `json`
     * reads a body someone else's pipeline made, with the marker at `json` paths. @default "cdcb"
     */
    format: z.enum(['cdcb', 'json'], { error: 'expected "cdcb" or "json"' }).default('cdcb'),
    /**
     * JSON format: dot paths of the marker in the body. Either `marker` (the
     * encoded marker string) or `runId` + `seq` + `intendedAt` (+ `digest`).
     * Defaults describe a flat row (`run_id`, `seq`, `intended_at`, `digest`, `key`, `payload`).
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
        /** Path whose truthy value marks a delete. */
        deleted: path.optional(),
      })
      .optional(),
    /** Verifier: how long to look for messages of the run left in the queue. @default "30s" */
    verifyTimeout: duration.default('30s'),
    /** How long to try to reach the endpoint before the run fails (exit 3). @default "5s" */
    connectTimeout: duration.default('5s'),
    /**
     * FOR TESTS ONLY — faults injected on purpose so tests can check that cdcb
     * finds them: seqs the source acknowledges without sending (loss) or sends
     * twice with distinct deduplication ids (duplicates); a sink that never
     * deletes (every message comes back after the visibility timeout), or
     * leaves some seqs unobserved in the queue; a slow receiver (`sinkReceiveDelay`:
     * each receiver waits that long after every receive before it hands the
     * messages on). Never set it in a real benchmark.
     */
    testing: z
      .strictObject({
        skipSeqs: seqList.optional(),
        duplicateSeqs: seqList.optional(),
        sinkNeverDeletes: z.boolean().optional(),
        sinkIgnoreSeqs: seqList.optional(),
        sinkReceiveDelay: duration.optional(),
      })
      .optional(),
  })
  .refine((o) => !o.json || o.format === 'json', {
    error: 'json paths apply only with format "json"',
    path: ['json'],
  })
  .refine((o) => o.queue !== undefined || Array.isArray(o.queues), {
    error: 'expected a queue name (or queues: a list of names)',
    path: ['queue'],
  })
  .refine((o) => o.queue === undefined || !Array.isArray(o.queues), {
    error: 'give either queue (with queues: a count) or queues: a list of names, not both',
    path: ['queues'],
  })
  .refine((o) => !Array.isArray(o.queues) || new Set(o.queues).size === o.queues.length, {
    error: 'lists a queue twice; each key must map to one queue',
    path: ['queues'],
  })
  .refine((o) => !Array.isArray(o.queues) || new Set(o.queues.map((q) => q.endsWith('.fifo'))).size === 1, {
    error: 'mixes FIFO (.fifo) and standard queues; use one kind per run',
    path: ['queues'],
  })
  // A standard queue has no deduplication at all: the option would promise what the queue never does.
  .refine(
    (o) =>
      !o.contentBasedDeduplication || (Array.isArray(o.queues) ? o.queues[0]! : o.queue!).endsWith('.fifo'),
    {
      error:
        'applies only to FIFO queues (SQS deduplicates nothing on a standard queue); remove it, or use a FIFO queue (a name ending in ".fifo")',
      path: ['contentBasedDeduplication'],
    },
  )
  .refine((o) => typeof o.queues !== 'number' || !o.queue || derivedName(o.queue, o.queues).length <= 80, {
    error: "the queue names derived from queue and queues (queue-N) would exceed SQS's 80 characters",
    path: ['queues'],
  })

/** Options as a config writes them. */
export type SqsOptions = z.input<typeof optionsSchema>
/** Options after validation and defaults, as every part receives them. */
export type ResolvedSqsOptions = z.output<typeof optionsSchema>

/** Microseconds → whole milliseconds. */
export function millis(value: string | number): number {
  return Math.round(parseDurationMicros(value)! / 1e3)
}

/** Whether the queues are FIFO (SQS: the name ends in `.fifo`; all of a run's queues are one kind). */
export function isFifo(options: ResolvedSqsOptions): boolean {
  return queueNames(options)[0]!.endsWith('.fifo')
}

/** `orders.fifo`, 3 → `orders-3.fifo`; `orders`, 3 → `orders-3`. */
function derivedName(queue: string, index: number): string {
  return queue.endsWith('.fifo') ? `${queue.slice(0, -5)}-${index}.fifo` : `${queue}-${index}`
}

/**
 * The run's queue names in key order: key k goes to `names[k mod names.length]`.
 * One name (`queue`) unless `queues` gives a count or a list.
 */
export function queueNames(options: Pick<ResolvedSqsOptions, 'queue' | 'queues'>): string[] {
  const { queue, queues } = options
  if (Array.isArray(queues)) return queues
  if (typeof queues === 'number') return Array.from({ length: queues }, (_, i) => derivedName(queue!, i + 1))
  return [queue!]
}

/** Index into `queueNames` of the queue that carries `key`; keys are whole numbers. */
export function queueIndexOf(key: number, count: number): number {
  return count === 1 ? 0 : ((key % count) + count) % count
}
