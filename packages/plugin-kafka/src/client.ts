/**
 * kafkajs clients made the same way for every part: low connection retries so
 * an unreachable broker fails within `connectTimeout` with one clear line, and
 * kafkajs's own logger routed (rate limited) through cdcb's log.
 */
import { describeError } from '@cdcb/core'
import kafkajs, { type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs'

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports.
const { Kafka, logLevel } = kafkajs
export type Kafka = InstanceType<typeof Kafka>

import { millis, type ResolvedKafkaOptions } from './options.js'

/** kafkajs logs every failed attempt; one line per message kind per interval is enough for a person. */
const LOG_INTERVAL_MS = 5000

/**
 * Clients whose first connection succeeded. Until then kafkajs's own lines are
 * dropped: `connectWithin` reports a failure to connect as one clear line.
 */
const connected = new WeakSet<Kafka>()

export function createKafka(
  options: ResolvedKafkaOptions,
  log: (message: string) => void,
  overrides: Partial<KafkaConfig> = {},
): Kafka {
  const connectMs = millis(options.connectTimeout)
  const lastLogged = new Map<string, number>()
  const suppressed = new Map<string, number>()
  const kafka: Kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ssl: options.ssl as KafkaConfig['ssl'],
    sasl: options.sasl as SASLOptions | undefined,
    connectionTimeout: Math.min(connectMs, 3000),
    authenticationTimeout: Math.min(connectMs, 10_000),
    requestTimeout: millis(options.requestTimeout),
    // Connection attempts: few and quick, so an unreachable broker fails within connectTimeout.
    retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 3 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (!connected.has(kafka)) return
      const message = entry.log.message
      // Partitioner notice: cdcb chooses the Java-compatible partitioner explicitly.
      if (message.includes('KafkaJS v2.0.0 switched default partitioner')) return
      const kind = `${entry.namespace}:${message}`
      const now = Date.now()
      const last = lastLogged.get(kind) ?? 0
      if (now - last < LOG_INTERVAL_MS) {
        suppressed.set(kind, (suppressed.get(kind) ?? 0) + 1)
        return
      }
      if (lastLogged.size > 100) lastLogged.clear()
      lastLogged.set(kind, now)
      const more = suppressed.get(kind)
      suppressed.delete(kind)
      const error = (entry.log as { error?: unknown }).error
      const detail = typeof error === 'string' ? `: ${error}` : ''
      log(
        `kafka: ${entry.level === logLevel.ERROR ? 'error' : 'warning'}: ${message}${detail}` +
          (more ? ` (${more} more like it)` : ''),
      )
    },
    ...overrides,
  })
  return kafka
}

/**
 * Runs `connect` with a deadline; on failure or timeout throws one line naming
 * the brokers and the cause (never the SASL password: kafkajs does not put it in messages).
 */
export async function connectWithin(
  kafka: Kafka,
  options: ResolvedKafkaOptions,
  what: string,
  client: { connect(): Promise<void>; disconnect(): Promise<void> },
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
    await Promise.race([client.connect(), timeout])
    connected.add(kafka)
  } catch (error) {
    void client.disconnect().catch(() => {})
    let cause = causeOf(error)
    if (/Connection timeout/i.test(cause))
      cause = `no answer within ${options.connectTimeout} (connectTimeout)`
    else if (/Closed connection/i.test(cause))
      cause = 'the connection closed before Kafka answered (wrong address, or a TLS/SASL listener?)'
    throw new Error(
      `cannot reach Kafka at ${options.brokers.join(',')} (${what}): ${cause} — check the brokers option and that the cluster runs`,
    )
  } finally {
    clearTimeout(timer)
  }
}

/** The innermost useful message of a kafkajs error (retries wrap the real cause). */
export function causeOf(error: unknown): string {
  let current = error as { cause?: unknown; originalError?: unknown; message?: string } | undefined
  for (let depth = 0; depth < 5 && current; depth++) {
    const inner = (current.originalError ?? current.cause) as typeof current
    if (!inner || typeof inner !== 'object') break
    current = inner
  }
  return describeError(current ?? error)
}
