import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { probeKafka } from '../kafka/protocol.mjs'
import { ServiceError } from '../lib/errors.mjs'
import { fetchMavenDependencies } from '../lib/maven.mjs'
import { isAlive, readPidFile, spawnDetached } from '../lib/process.mjs'
import { requireJava } from '../lib/tools.mjs'
import { fileContains } from '../lib/wait.mjs'
import { probeSqs } from '../sqs/protocol.mjs'

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url))
const ROUTE_ID = 'sqs-to-kafka'
const FIFO_ROUTE_ID = 'sqs-fifo-to-kafka'
const READY_LINE = 'Apache Camel 4.8.0 (cdcb-sqs-bridge) started'

const libDir = (ctx) => path.join(ctx.cacheDir, 'lib')
const routeFile = (ctx) => path.join(ctx.stateDir, 'route.yaml')
const propertiesFile = (ctx) => path.join(ctx.stateDir, 'application.properties')

/**
 * What the bridge connects: two queues at SQS_PORT (the context's port), a
 * standard one and a FIFO one, each into its own topic at KAFKA_PORT.
 */
export function settingsOf(ctx) {
  const kafkaPort = Number(ctx.env.KAFKA_PORT ?? 9092)
  const consumers = Number(ctx.env.SQS_BRIDGE_CONSUMERS ?? 4)
  const queue = ctx.env.SQS_BRIDGE_QUEUE ?? 'cdcb-bridge'
  const topic = ctx.env.SQS_BRIDGE_TOPIC ?? 'cdcb-bridge'
  const fifoQueue = ctx.env.SQS_BRIDGE_FIFO_QUEUE ?? 'cdcb-bridge.fifo'
  const fifoTopic = ctx.env.SQS_BRIDGE_FIFO_TOPIC ?? 'cdcb-bridge-fifo'
  const visibility = Number(ctx.env.SQS_BRIDGE_VISIBILITY_TIMEOUT ?? 120)
  if (!Number.isInteger(kafkaPort) || kafkaPort < 1 || kafkaPort > 65535)
    throw new ServiceError(`KAFKA_PORT=${ctx.env.KAFKA_PORT} is not a TCP port number (1-65535)`, {
      exitCode: 2,
    })
  if (!Number.isInteger(visibility) || visibility < 2 || visibility > 43_200)
    throw new ServiceError(
      `SQS_BRIDGE_VISIBILITY_TIMEOUT=${ctx.env.SQS_BRIDGE_VISIBILITY_TIMEOUT} is not a whole number of seconds from 2 to 43200 (SQS allows up to 12 hours)`,
      { exitCode: 2 },
    )
  if (!Number.isInteger(consumers) || consumers < 1)
    throw new ServiceError(
      `SQS_BRIDGE_CONSUMERS=${ctx.env.SQS_BRIDGE_CONSUMERS} is not a positive whole number`,
      {
        exitCode: 2,
      },
    )
  // A name ending in .fifo is a FIFO queue: Camel creates it as one (autoCreateQueue) and reads it as any other.
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(queue))
    throw new ServiceError(`SQS_BRIDGE_QUEUE=${queue} is not a standard SQS queue name (a-z A-Z 0-9 - _)`, {
      exitCode: 2,
    })
  if (!/^[A-Za-z0-9_-]{1,75}\.fifo$/.test(fifoQueue))
    throw new ServiceError(
      `SQS_BRIDGE_FIFO_QUEUE=${fifoQueue} is not a FIFO SQS queue name (a-z A-Z 0-9 - _, ending in .fifo)`,
      { exitCode: 2 },
    )
  for (const [name, value] of [
    ['SQS_BRIDGE_TOPIC', topic],
    ['SQS_BRIDGE_FIFO_TOPIC', fifoTopic],
  ])
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(value))
      throw new ServiceError(`${name}=${value} is not a Kafka topic name`, { exitCode: 2 })
  return { kafkaPort, consumers, queue, topic, fifoQueue, fifoTopic, visibility }
}

// The routes: Camel's aws2-sqs consumer (the component Camel's Kafka Connect
// SQS source connector wraps) long-polls a queue with several consumers, each
// message becomes a Kafka record keyed by the cdcb-key message attribute, and
// the consumer deletes each message once Kafka acknowledged its record
// (deleteAfterRead, the default). delay 0 + greedy: poll again at once. The
// same route reads the FIFO queue (Camel creates a queue whose name ends in
// .fifo as a FIFO queue): SQS hands out a message group's next messages only
// after the earlier ones are deleted, and Camel deletes only after Kafka's
// acknowledgement, so a key's records reach its partition in the group's order.
//
// Visibility: each receive hides its messages for SQS_BRIDGE_VISIBILITY_TIMEOUT
// (30 s), and extendMessageVisibility makes Camel extend it, in the background,
// for every message whose exchange is still in progress (its record not yet
// acknowledged by Kafka). A message the bridge is still working on therefore
// never comes back to another consumer: a redelivery means the bridge failed
// (its Kafka send failed, or it died), not that it was slow. Camel's Kafka
// producer retries a request that timed out (a broker that stalls); it is
// idempotent (enableIdempotence; Camel's default is off) so that a retry whose
// first attempt was written after all adds no second record, and keeps order.
export function renderRoute(ctx, s) {
  const route = (id, queue, topic) => `- route:
    id: ${id}
    from:
      uri: aws2-sqs:${queue}
      parameters:
        overrideEndpoint: true
        uriEndpointOverride: http://${ctx.host}:${ctx.port}
        region: us-east-1
        accessKey: cdcb
        secretKey: cdcb
        autoCreateQueue: true
        maxMessagesPerPoll: 10
        waitTimeSeconds: 1
        concurrentConsumers: ${s.consumers}
        delay: 0
        greedy: true
        messageAttributeNames: All
        attributeNames: All
        visibilityTimeout: ${s.visibility}
        extendMessageVisibility: true
      steps:
        - setHeader:
            name: kafka.KEY
            simple: "\${header.cdcb-key}"
        - to:
            uri: kafka:${topic}
            parameters:
              brokers: ${ctx.host}:${s.kafkaPort}
              enableIdempotence: true
`
  return `# Written by services/sqs-bridge/service.mjs on every start; edit that file, not this one.
${route(ROUTE_ID, s.queue, s.topic)}${route(FIFO_ROUTE_ID, s.fifoQueue, s.fifoTopic)}`
}

/**
 * Apache Camel 4.8 Main running two YAML routes, from a standard and from a
 * FIFO SQS queue each into a Kafka topic, jars from Maven Central. It has no port of its own: its address is
 * the SQS endpoint it reads, and it needs `sqs` and `kafka` up first.
 */
export default {
  name: 'sqs-bridge',
  defaultPort: 9324,
  portEnv: 'SQS_PORT',
  startTimeoutMs: 90_000,
  stopTimeoutMs: 30_000,

  /** Fetches the jars into the cache on first use; a no-op afterwards. */
  async install(ctx) {
    await requireJava(17, ctx.env)
    await fetchMavenDependencies({ pom: POM, libDir: libDir(ctx), env: ctx.env, log: ctx.log })
  },

  /** Checks that SQS and Kafka answer, writes the route and spawns Camel Main detached. */
  async start(ctx) {
    const java = await requireJava(17, ctx.env)
    const s = settingsOf(ctx)
    const [sqs, kafka] = await Promise.all([probeSqs(ctx.host, ctx.port), probeKafka(ctx.host, s.kafkaPort)])
    const missing = [
      !sqs.matches && `sqs at ${ctx.address}`,
      !kafka.matches && `kafka at ${ctx.host}:${s.kafkaPort}`,
    ]
      .filter(Boolean)
      .join(' and ')
    if (missing) {
      throw new ServiceError(
        `sqs-bridge moves messages from SQS into Kafka, and ${missing} does not answer; start them first: npm run services -- up sqs kafka sqs-bridge`,
        { exitCode: 2 },
      )
    }
    fs.mkdirSync(ctx.stateDir, { recursive: true })
    fs.writeFileSync(routeFile(ctx), renderRoute(ctx, s))
    fs.writeFileSync(
      propertiesFile(ctx),
      `camel.main.name = cdcb-sqs-bridge\ncamel.main.routesIncludePattern = file:${routeFile(ctx)}\n`,
    )
    const heap = (ctx.env.SQS_BRIDGE_HEAP_OPTS ?? '-Xmx256m').split(/\s+/).filter(Boolean)
    const child = spawnDetached({
      command: java,
      args: [
        ...heap,
        '-XX:+ExitOnOutOfMemoryError',
        // slf4j-simple: Camel at INFO (route start and stop), the AWS and Kafka clients at WARN.
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
        '-Dorg.slf4j.simpleLogger.log.org.apache.kafka=warn',
        '-Dorg.slf4j.simpleLogger.log.software.amazon=warn',
        '-Dorg.slf4j.simpleLogger.showDateTime=true',
        '-cp',
        `${libDir(ctx)}${path.sep}*`,
        'org.apache.camel.main.Main',
        '-pl',
        `file:${propertiesFile(ctx)}`,
      ],
      cwd: ctx.stateDir,
      env: ctx.env,
      logFile: ctx.logFile,
    })
    return { child, match: propertiesFile(ctx) }
  },

  /** Ready once Camel says the context (and so the route) started. */
  async isReady(ctx) {
    return fileContains(ctx.logFile, READY_LINE)
  },

  /**
   * The bridge has no port to ask: it matches when the process of the last
   * `up` lives and has logged its start; it never claims the SQS port as taken.
   */
  async probe(ctx) {
    const running = readPidFile(ctx.pidFile)
    const matches = Boolean(
      running && isAlive(running.pid, running.match) && fileContains(ctx.logFile, READY_LINE),
    )
    return { listening: matches, matches }
  },
}
