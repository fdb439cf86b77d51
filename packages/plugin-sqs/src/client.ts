/**
 * SQS clients made the same way for every part, and the one retry loop every
 * call goes through. The SDK's own retries are off (`maxAttempts: 1`) so that
 * cdcb sees, and counts by kind, every throttle and service error; it retries
 * throttling, 5xx and network errors itself with capped exponential backoff.
 * Credentials go to the SDK only: no message cdcb writes names them.
 */
import { GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs'
import { describeError } from '@cdcb/core'
import { millis, queueNames, type ResolvedSqsOptions } from './options.js'

export function createClient(options: ResolvedSqsOptions): SQSClient {
  const loopback =
    options.endpoint !== undefined && /^https?:\/\/(127\.|localhost|\[::1\])/.test(options.endpoint)
  const envCredentials = process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE
  return new SQSClient({
    endpoint: options.endpoint,
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    // ElasticMQ ignores signatures but the SDK must sign with something. A copy: the SDK marks the
    // object it is given (`$source`), which would then show in the result's recorded options.
    credentials:
      (options.credentials && { ...options.credentials }) ??
      (loopback && !envCredentials ? { accessKeyId: 'cdcb', secretAccessKey: 'cdcb' } : undefined),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: millis(options.connectTimeout), requestTimeout: 60_000 },
  })
}

/** Where the options point, for messages: the endpoint or the region, never a credential. */
export function describeEndpoint(options: ResolvedSqsOptions): string {
  return options.endpoint ?? `AWS SQS in ${options.region ?? process.env.AWS_REGION ?? 'us-east-1'}`
}

/** The AWS error code (`ThrottlingException`, `QueueDoesNotExist`, `ECONNREFUSED` …) by which errors are counted. */
export function awsErrorKind(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; code?: unknown; cause?: { code?: unknown } }
    if (typeof e.code === 'string' && e.code) return e.code
    if (typeof e.cause?.code === 'string' && e.cause.code) return e.cause.code
    if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name
  }
  return 'Error'
}

const THROTTLING = new Set([
  'ThrottlingException',
  'RequestThrottled',
  'Throttling',
  'TooManyRequestsException',
  'KmsThrottled',
  'KMS.ThrottlingException',
])

/** Whether a retry can help: throttling, a 5xx, or the network. */
export function isRetriable(error: unknown): boolean {
  const e = error as {
    $fault?: string
    $retryable?: unknown
    $metadata?: { httpStatusCode?: number }
    name?: string
  }
  if (THROTTLING.has(awsErrorKind(error))) return true
  if (e?.$retryable) return true
  if (e?.$fault === 'server' || (e?.$metadata?.httpStatusCode ?? 0) >= 500) return true
  if (e?.name === 'AbortError') return false
  // No HTTP answer at all: connection refused or reset, timeouts.
  return e?.$metadata?.httpStatusCode === undefined && e?.$fault === undefined
}

export function isThrottling(kind: string): boolean {
  return THROTTLING.has(kind)
}

/** Counts failed attempts by AWS error kind (`ThrottlingException: 3`) for a part's `stats()`. */
export class ErrorCounts {
  readonly byKind = new Map<string, number>()
  throttled = 0
  retries = 0

  count(error: unknown): string {
    const kind = awsErrorKind(error)
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1)
    if (isThrottling(kind)) this.throttled++
    return kind
  }

  /** `errors.<kind>` entries plus `throttled` and `retries`, as a part reports them. */
  toStats(): Record<string, number> {
    const stats: Record<string, number> = { throttled: this.throttled, retries: this.retries }
    for (const [kind, n] of this.byKind) stats[`errors.${kind}`] = n
    return stats
  }
}

/**
 * Runs `call` up to `1 + retries` times while its error is retriable (counting
 * each failure by kind), waiting 50 ms, 100 ms … up to 2 s between attempts;
 * stops early when `signal` aborts. Throws the last error.
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  retries: number,
  errors: ErrorCounts,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      errors.count(error)
      if (attempt >= retries || !isRetriable(error) || signal?.aborted) throw error
      errors.retries++
      const backoff = Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2)
      await new Promise((resolve) => setTimeout(resolve, backoff))
    }
  }
}

/**
 * The URL of the queue named `queue` (one of `queueNames(options)`); throws one
 * line naming the endpoint and the cause when the endpoint cannot be reached
 * within `connectTimeout` or the queue is missing.
 */
export async function queueUrlOf(
  client: SQSClient,
  options: ResolvedSqsOptions,
  what: string,
  queue: string,
): Promise<string> {
  try {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queue }), {
      abortSignal: AbortSignal.timeout(millis(options.connectTimeout)),
    })
    if (!QueueUrl) throw new Error('GetQueueUrl returned no URL')
    return QueueUrl
  } catch (error) {
    throw unreachable(error, options, what, queue)
  }
}

/** The URLs of all the run's queues, in `queueNames` order (key k → index k mod N). */
export function queueUrlsOf(client: SQSClient, options: ResolvedSqsOptions, what: string): Promise<string[]> {
  return Promise.all(queueNames(options).map((name) => queueUrlOf(client, options, what, name)))
}

/** Whether the queue named `queue` exists, as ListQueues by prefix sees it (no error for a missing queue). */
export async function queueExists(
  client: SQSClient,
  options: ResolvedSqsOptions,
  queue: string,
): Promise<string | undefined> {
  try {
    const { QueueUrls } = await client.send(new ListQueuesCommand({ QueueNamePrefix: queue }), {
      abortSignal: AbortSignal.timeout(millis(options.connectTimeout)),
    })
    return QueueUrls?.find((url) => url.endsWith(`/${queue}`))
  } catch (error) {
    throw unreachable(error, options, 'prepare', queue)
  }
}

function unreachable(error: unknown, options: ResolvedSqsOptions, what: string, queue: string): Error {
  const kind = awsErrorKind(error)
  const where = describeEndpoint(options)
  if (kind === 'QueueDoesNotExist' || kind === 'AWS.SimpleQueueService.NonExistentQueue') {
    return new Error(`sqs ${what}: queue "${queue}" does not exist at ${where}`)
  }
  const cause =
    kind === 'TimeoutError' || kind === 'AbortError'
      ? `no answer within ${options.connectTimeout} (connectTimeout)`
      : `${kind}: ${describeError(error)}`
  return new Error(
    `sqs ${what}: cannot reach ${where}: ${cause} — check the endpoint option and that SQS runs`,
  )
}
