/**
 * @platformatic/kafka clients made the same way for every part: the brokers,
 * TLS and SASL from the options, and a first metadata request with a deadline
 * so an unreachable broker fails within `connectTimeout` with one clear line.
 */
import { describeError } from '@cdcb/core'
import type { Base, BaseOptions, SASLMechanismValue } from '@platformatic/kafka'
import { millis, type ResolvedKafkaOptions } from './options.js'

const MECHANISMS: Record<NonNullable<ResolvedKafkaOptions['sasl']>['mechanism'], SASLMechanismValue> = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
}

/**
 * Options every client shares. `retries` are the client's own retries of a
 * failed request (metadata, produce, fetch), 100 ms apart.
 */
export function clientOptions(options: ResolvedKafkaOptions, retries = 3) {
  const { ssl, sasl } = options
  return {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    connectTimeout: millis(options.connectTimeout),
    requestTimeout: millis(options.requestTimeout),
    // The produce/fetch-level timeout (the library's default is 5 s, shorter than a request's).
    timeout: millis(options.requestTimeout),
    retries,
    retryDelay: 100,
    autocreateTopics: false,
    ...(ssl ? { tls: ssl === true ? {} : ssl } : {}),
    ...(sasl
      ? { sasl: { mechanism: MECHANISMS[sasl.mechanism], username: sasl.username, password: sasl.password } }
      : {}),
  } satisfies Partial<BaseOptions>
}

/**
 * Asks the brokers for metadata with a deadline; on failure or timeout throws
 * one line naming the brokers and the cause (never the SASL password: the
 * client does not put it in messages).
 */
export async function connectWithin(
  client: Pick<Base, 'metadata'>,
  options: ResolvedKafkaOptions,
  what: string,
): Promise<void> {
  const timeoutMs = millis(options.connectTimeout)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${options.connectTimeout} (connectTimeout)`)),
      timeoutMs,
    )
  })
  try {
    await Promise.race([client.metadata({ topics: [] }), timeout])
  } catch (error) {
    const said = causeOf(error)
    const cause = /Connection closed/i.test(said)
      ? 'the connection closed before Kafka answered (wrong address, or a TLS/SASL listener?)'
      : said
    // The broker answered, but not in the way the options asked: the fix is in ssl or sasl, not brokers.
    const security = /\bTLS\b|SSL|certificate|handshake/i.test(said)
      ? `Kafka at ${options.brokers.join(',')} answered, but TLS failed (${what}): ${cause} — check the ssl option against the listener (a plain listener needs no ssl; a TLS one needs ssl: true and its CA)`
      : /SASL|authenticat/i.test(said)
        ? `Kafka at ${options.brokers.join(',')} answered, but SASL failed (${what}): ${cause} — check the sasl option (mechanism, username, password) against the listener`
        : undefined
    if (security) throw new Error(security)
    throw new Error(
      `cannot reach Kafka at ${options.brokers.join(',')} (${what}): ${cause} — check the brokers option and that the cluster runs`,
    )
  } finally {
    clearTimeout(timer)
  }
}

interface Nested {
  message?: string
  cause?: unknown
  errors?: unknown[]
}

/**
 * The innermost useful message of a client error: retries and "cannot connect
 * to any broker" wrap the real cause (ECONNREFUSED, a protocol error) in
 * `errors` and `cause`.
 */
export function causeOf(error: unknown): string {
  let current = error as Nested | undefined
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const inner = (current.errors?.at(-1) ?? current.cause) as Nested | undefined
    if (!inner || typeof inner !== 'object') break
    current = inner
  }
  return describeError(current ?? error)
}

/**
 * An error for core's counters: the innermost message (the client wraps every
 * failed produce in "Producing messages failed.") and the innermost code
 * (a Kafka error name such as MESSAGE_TOO_LARGE, or the client's code).
 */
export function innermostError(error: unknown): Error & { code?: string } {
  let current = error as (Nested & { code?: string; apiId?: string }) | undefined
  for (let depth = 0; depth < 6 && current && typeof current === 'object'; depth++) {
    const inner = (current.errors?.at(-1) ?? current.cause) as typeof current
    if (!inner || typeof inner !== 'object') break
    current = inner
  }
  const wrapped: Error & { code?: string } = new Error(describeError(current ?? error))
  const code = current?.apiId ?? current?.code
  if (typeof code === 'string') wrapped.code = code
  return wrapped
}

/** True when the error, or one it wraps, is a request that timed out. */
export function isTimeout(error: unknown): boolean {
  const seen = new Set<unknown>()
  const visit = (e: unknown): boolean => {
    if (!e || typeof e !== 'object' || seen.has(e)) return false
    seen.add(e)
    const n = e as Nested & { name?: string; code?: string }
    if (n.name === 'TimeoutError' || n.code === 'PLT_KFK_TIMEOUT' || /timed? ?out/i.test(n.message ?? ''))
      return true
    return visit(n.cause) || (n.errors ?? []).some(visit)
  }
  return visit(error)
}
