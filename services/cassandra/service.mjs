import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ServiceError } from '../lib/errors.mjs'
import { fetchMavenDependencies } from '../lib/maven.mjs'
import { spawnDetached } from '../lib/process.mjs'
import { requireJava } from '../lib/tools.mjs'
import { canConnect, fileContains } from '../lib/wait.mjs'
import { probeCassandra } from './protocol.mjs'

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url))
const READY_LINE = 'Startup complete'
const SUPERUSER_LINE = "Created default superuser role 'cassandra'"

/**
 * The module flags of Cassandra's conf/jvm17-server.options: any JVM that runs
 * Cassandra's classes needs them on Java 17, the node itself and the Kafka
 * Connect worker that hosts Debezium's Cassandra connector (which reads the
 * node's commit log with those classes).
 */
export const MODULE_OPTS = [
  '--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports=java.sql/java.sql=ALL-UNNAMED',
  '--add-exports=java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
]

// Cassandra's conf/jvm17-server.options: its GC settings and the module flags above;
// without the --add-exports/--add-opens Cassandra 5 fails at start on Java 17.
const JVM_OPTS = [
  '-ea',
  '-da:net.openhft...',
  '-XX:+UseThreadPriorities',
  '-Xss256k',
  '-XX:+UseTLAB',
  '-XX:+ResizeTLAB',
  '-XX:+PerfDisableSharedMem',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.net.preferIPv4Stack=true',
  '-XX:+UseG1GC',
  '-XX:+ParallelRefProcEnabled',
  '-XX:MaxTenuringThreshold=1',
  '-XX:G1RSetUpdatingPauseTimePercent=5',
  '-XX:MaxGCPauseMillis=300',
  '-XX:InitiatingHeapOccupancyPercent=70',
  '-Djdk.attach.allowAttachSelf=true',
  ...MODULE_OPTS,
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.allocator.useCacheForAllThreads=true',
  '-Dio.netty.allocator.maxOrder=11',
]

const libDir = (ctx) => path.join(ctx.cacheDir, 'lib')
const classpath = (ctx) => `${libDir(ctx)}${path.sep}*`
const cassandraYaml = (ctx) => path.join(ctx.stateDir, 'cassandra.yaml')
const dataDir = (ctx) => path.join(ctx.stateDir, 'data')

function storagePort(ctx) {
  const value = ctx.env.CASSANDRA_STORAGE_PORT ?? 7000
  const port = Number(value)
  if (!Number.isInteger(port) || port < 1 || port > 65535 || port === ctx.port) {
    throw new ServiceError(
      `CASSANDRA_STORAGE_PORT=${value} must be a TCP port other than the CQL port ${ctx.port}`,
      { exitCode: 2 },
    )
  }
  return port
}

const AUTHENTICATORS = ['AllowAllAuthenticator', 'PasswordAuthenticator']

function authenticator(ctx) {
  const value = ctx.env.CASSANDRA_AUTHENTICATOR ?? 'AllowAllAuthenticator'
  if (!AUTHENTICATORS.includes(value)) {
    throw new ServiceError(`CASSANDRA_AUTHENTICATOR=${value} must be one of ${AUTHENTICATORS.join(', ')}`, {
      exitCode: 2,
    })
  }
  return value
}

function renderCassandraYaml(ctx, gossipPort) {
  const data = dataDir(ctx)
  return `# Written by services/cassandra/service.mjs on every start; edit that file, not this one.
cluster_name: cdcb
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
# SimpleSnitch names the datacenter 'datacenter1', which clients give as their local DC.
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${ctx.host}:${gossipPort}"
listen_address: ${ctx.host}
rpc_address: ${ctx.host}
storage_port: ${gossipPort}
native_transport_port: ${ctx.port}
start_native_transport: true

# CDC on, and the commit log synced every 100 ms: CDC readers (Debezium) only
# see a segment's changes once synced, so the default 10 s would be their latency.
commitlog_sync: periodic
commitlog_sync_period: 100ms
cdc_enabled: true

data_file_directories: [ ${path.join(data, 'data')} ]
commitlog_directory: ${path.join(data, 'commitlog')}
saved_caches_directory: ${path.join(data, 'saved_caches')}
hints_directory: ${path.join(data, 'hints')}
cdc_raw_directory: ${path.join(data, 'cdc_raw')}

# PasswordAuthenticator (CASSANDRA_AUTHENTICATOR) creates the superuser cassandra/cassandra at start.
authenticator: ${authenticator(ctx)}
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
# Disposable data: no snapshot on TRUNCATE or DROP.
auto_snapshot: false
`
}

const LOGBACK_XML = `<configuration scan="false">
  <!-- Console only: the harness sends stdout to <state>/cassandra/cassandra.log. -->
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`

/**
 * Apache Cassandra 5.0, one node on loopback with CDC on, jars from Maven
 * Central. Opens the CQL port (CASSANDRA_PORT) and the storage (gossip) port
 * (CASSANDRA_STORAGE_PORT); no JMX port, since neither cassandra.jmx.*.port
 * property is set (so nodetool does not work against it).
 */
export default {
  name: 'cassandra',
  defaultPort: 9042,
  portEnv: 'CASSANDRA_PORT',
  startTimeoutMs: 120_000,
  stopTimeoutMs: 30_000,

  /** Fetches the jars into the cache on first use; a no-op afterwards. */
  async install(ctx) {
    await requireJava(17, ctx.env)
    await fetchMavenDependencies({ pom: POM, libDir: libDir(ctx), env: ctx.env, log: ctx.log })
  },

  /** Writes cassandra.yaml and logback.xml and spawns the node detached. */
  async start(ctx) {
    const java = await requireJava(17, ctx.env)
    const gossipPort = storagePort(ctx)
    if (await canConnect(ctx.host, gossipPort)) {
      throw new ServiceError(
        `the storage port ${ctx.host}:${gossipPort} is already taken; set CASSANDRA_STORAGE_PORT to a free port`,
        { exitCode: 2 },
      )
    }
    const jamm = fs.readdirSync(libDir(ctx)).find((f) => /^jamm-.*\.jar$/.test(f))
    if (!jamm) throw new ServiceError(`no jamm jar in ${libDir(ctx)}; delete that folder to fetch again`)
    fs.mkdirSync(dataDir(ctx), { recursive: true })
    fs.writeFileSync(cassandraYaml(ctx), renderCassandraYaml(ctx, gossipPort))
    const logback = path.join(ctx.stateDir, 'logback.xml')
    fs.writeFileSync(logback, LOGBACK_XML)

    const heap = (ctx.env.CASSANDRA_HEAP_OPTS ?? '-Xms512m -Xmx512m').split(/\s+/).filter(Boolean)
    const child = spawnDetached({
      command: java,
      args: [
        ...heap,
        ...JVM_OPTS,
        `-javaagent:${path.join(libDir(ctx), jamm)}`,
        `-Dcassandra.config=${pathToFileURL(cassandraYaml(ctx)).href}`,
        `-Dcassandra.storagedir=${dataDir(ctx)}`,
        `-Dcassandra.logdir=${ctx.stateDir}`,
        `-Dlogback.configurationFile=${logback}`,
        '-Dcassandra-foreground=yes',
        // With PasswordAuthenticator, create the default superuser at once instead of 10 s after start.
        '-Dcassandra.superuser_setup_delay_ms=0',
        '-cp',
        classpath(ctx),
        'org.apache.cassandra.service.CassandraDaemon',
      ],
      cwd: ctx.stateDir,
      env: ctx.env,
      logFile: ctx.logFile,
    })
    return { child, match: cassandraYaml(ctx) }
  },

  /** Ready once the log says so and the node answers a CQL query (or, with authentication on, a login request). */
  async isReady(ctx) {
    if (!fileContains(ctx.logFile, READY_LINE)) return false
    const probe = await probeCassandra(ctx.host, ctx.port)
    if (!probe.matches) return false
    if (probe.authenticate) return fileContains(ctx.logFile, SUPERUSER_LINE)
    return probe.release !== null
  },

  /** Whether something listens on the port, and whether it is a Cassandra node. */
  probe(ctx) {
    return probeCassandra(ctx.host, ctx.port)
  },
}
