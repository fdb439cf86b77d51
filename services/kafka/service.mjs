import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ServiceError } from '../lib/errors.mjs'
import { consoleLog4j2, JVM_PERFORMANCE_OPTS } from '../lib/jvm.mjs'
import { fetchMavenDependencies } from '../lib/maven.mjs'
import { spawnDetached } from '../lib/process.mjs'
import { requireJava } from '../lib/tools.mjs'
import { canConnect, fileContains } from '../lib/wait.mjs'
import { probeKafka } from './protocol.mjs'

const execFileAsync = promisify(execFile)
const POM = fileURLToPath(new URL('./pom.xml', import.meta.url))
const READY_LINE = 'Kafka Server started'

const libDir = (ctx) => path.join(ctx.cacheDir, 'lib')
const classpath = (ctx) => `${libDir(ctx)}${path.sep}*`
const serverProperties = (ctx) => path.join(ctx.stateDir, 'server.properties')

function controllerPort(ctx) {
  const value = ctx.env.KAFKA_CONTROLLER_PORT ?? ctx.port + 1
  const port = Number(value)
  if (!Number.isInteger(port) || port < 1 || port > 65535 || port === ctx.port) {
    throw new ServiceError(`KAFKA_CONTROLLER_PORT=${value} must be a TCP port other than ${ctx.port}`, {
      exitCode: 2,
    })
  }
  return port
}

function renderServerProperties(ctx, ctrlPort) {
  return `# Written by services/kafka/service.mjs on every start; edit that file, not this one.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${ctx.host}:${ctrlPort}
listeners=PLAINTEXT://${ctx.host}:${ctx.port},CONTROLLER://${ctx.host}:${ctrlPort}
advertised.listeners=PLAINTEXT://${ctx.host}:${ctx.port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${path.join(ctx.stateDir, 'data')}

# One node: every internal topic with one replica, and no waiting for group members.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

auto.create.topics.enable=true
num.partitions=1

# Disposable data: small segments, cleaned up within a day or past 1 GiB per partition.
log.segment.bytes=67108864
log.retention.hours=24
log.retention.bytes=1073741824
log.retention.check.interval.ms=60000
`
}

// Console only: the harness sends stdout to the service's log.
const LOG4J2_PROPERTIES = consoleLog4j2({ 'kafka.request.logger': 'WARN', 'state.change.logger': 'WARN' })

async function runTool(java, ctx, args) {
  try {
    const { stdout } = await execFileAsync(
      java,
      ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-cp', classpath(ctx), ...args],
      {
        cwd: ctx.stateDir,
        env: ctx.env,
      },
    )
    return stdout.trim()
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n')
    throw new ServiceError(`kafka ${args[0]} ${args[1]} failed (${error.code ?? error.signal})`, {
      detail: output,
    })
  }
}

/** Kafka 4.x, one node in KRaft combined mode (broker and controller in one JVM), jars from Maven Central. */
export default {
  name: 'kafka',
  defaultPort: 9092,
  portEnv: 'KAFKA_PORT',
  startTimeoutMs: 90_000,
  stopTimeoutMs: 30_000,

  /** Fetches the jars into the cache on first use; a no-op afterwards. */
  async install(ctx) {
    await requireJava(17, ctx.env)
    await fetchMavenDependencies({ pom: POM, libDir: libDir(ctx), env: ctx.env, log: ctx.log })
  },

  /** Writes the configuration, formats the storage once, and spawns the broker detached. */
  async start(ctx) {
    const java = await requireJava(17, ctx.env)
    const ctrlPort = controllerPort(ctx)
    if (await canConnect(ctx.host, ctrlPort)) {
      throw new ServiceError(
        `the controller port ${ctx.host}:${ctrlPort} is already taken; set KAFKA_CONTROLLER_PORT to a free port`,
        { exitCode: 2 },
      )
    }
    fs.mkdirSync(path.join(ctx.stateDir, 'data'), { recursive: true })
    fs.writeFileSync(serverProperties(ctx), renderServerProperties(ctx, ctrlPort))
    const log4j = path.join(ctx.stateDir, 'log4j2.properties')
    fs.writeFileSync(log4j, LOG4J2_PROPERTIES)

    if (!fs.existsSync(path.join(ctx.stateDir, 'data', 'meta.properties'))) {
      ctx.log('formatting storage (first start of this data folder)')
      const clusterId = await runTool(java, ctx, ['kafka.tools.StorageTool', 'random-uuid'])
      await runTool(java, ctx, [
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        serverProperties(ctx),
        '--ignore-formatted',
      ])
    }

    const heap = (ctx.env.KAFKA_HEAP_OPTS ?? '-Xmx512m').split(/\s+/).filter(Boolean)
    const child = spawnDetached({
      command: java,
      args: [
        ...heap,
        ...JVM_PERFORMANCE_OPTS,
        `-Dlog4j2.configurationFile=${log4j}`,
        '-cp',
        classpath(ctx),
        'kafka.Kafka',
        serverProperties(ctx),
      ],
      cwd: ctx.stateDir,
      env: ctx.env,
      logFile: ctx.logFile,
    })
    return { child, match: serverProperties(ctx) }
  },

  /** Ready once the log says so and the broker lists itself in a metadata response. */
  async isReady(ctx) {
    if (!fileContains(ctx.logFile, READY_LINE)) return false
    const probe = await probeKafka(ctx.host, ctx.port)
    return probe.matches && (probe.brokers === null || probe.brokers.some((b) => b.port === ctx.port))
  },

  /** Whether something listens on the port, and whether it is a Kafka broker. */
  probe(ctx) {
    return probeKafka(ctx.host, ctx.port)
  },
}
