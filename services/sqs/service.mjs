import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { fetchMavenDependencies } from '../lib/maven.mjs'
import { spawnDetached } from '../lib/process.mjs'
import { requireJava } from '../lib/tools.mjs'
import { fileContains } from '../lib/wait.mjs'
import { probeSqs } from './protocol.mjs'

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url))
const READY_LINE = 'ElasticMQ server (1.7.1) started'

const libDir = (ctx) => path.join(ctx.cacheDir, 'lib')
const configFile = (ctx) => path.join(ctx.stateDir, 'elasticmq.conf')

// Queue URLs carry node-address, so it must be the address clients use. The
// stats UI (rest-stats) is off: it would open a second port that could collide
// with another checkout's. `strict` limits are AWS's (10 per batch, 256 KB).
function renderConfig(ctx) {
  return `# Written by services/sqs/service.mjs on every start; edit that file, not this one.
include classpath("application.conf")
node-address {
  protocol = http
  host = ${ctx.host}
  port = ${ctx.port}
  context-path = ""
}
rest-sqs {
  enabled = true
  bind-port = ${ctx.port}
  bind-hostname = "${ctx.host}"
  sqs-limits = strict
}
rest-stats { enabled = false }
generate-node-address = false
aws {
  region = us-east-1
  accountId = 000000000000
}
`
}

// Console only (the harness sends stdout to <state>/sqs.log); Pekko's INFO chatter off.
const LOGBACK_XML = `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} [%thread] %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.elasticmq" level="INFO"/>
  <logger name="org.apache.pekko" level="WARN"/>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`

/** ElasticMQ 1.7.1, an SQS-compatible server (in-memory queues), jars from Maven Central. */
export default {
  name: 'sqs',
  defaultPort: 9324,
  portEnv: 'SQS_PORT',
  startTimeoutMs: 60_000,
  stopTimeoutMs: 15_000,

  /** Fetches the jars into the cache on first use; a no-op afterwards. */
  async install(ctx) {
    await requireJava(17, ctx.env)
    await fetchMavenDependencies({ pom: POM, libDir: libDir(ctx), env: ctx.env, log: ctx.log })
  },

  /** Writes the configuration and spawns the server detached; queues live in memory, so every start is empty. */
  async start(ctx) {
    const java = await requireJava(17, ctx.env)
    fs.mkdirSync(ctx.stateDir, { recursive: true })
    fs.writeFileSync(configFile(ctx), renderConfig(ctx))
    const logback = path.join(ctx.stateDir, 'logback.xml')
    fs.writeFileSync(logback, LOGBACK_XML)
    const heap = (ctx.env.SQS_HEAP_OPTS ?? '-Xmx256m').split(/\s+/).filter(Boolean)
    const child = spawnDetached({
      command: java,
      args: [
        ...heap,
        '-XX:+ExitOnOutOfMemoryError',
        `-Dconfig.file=${configFile(ctx)}`,
        `-Dlogback.configurationFile=${logback}`,
        '-cp',
        `${libDir(ctx)}${path.sep}*`,
        'org.elasticmq.server.Main',
      ],
      cwd: ctx.stateDir,
      env: ctx.env,
      logFile: ctx.logFile,
    })
    return { child, match: configFile(ctx) }
  },

  /** Ready once the log says so and the server answers AmazonSQS.ListQueues. */
  async isReady(ctx) {
    if (!fileContains(ctx.logFile, READY_LINE)) return false
    return (await probeSqs(ctx.host, ctx.port)).matches
  },

  /** Whether something listens on the port, and whether it answers as SQS. */
  probe(ctx) {
    return probeSqs(ctx.host, ctx.port)
  },
}
