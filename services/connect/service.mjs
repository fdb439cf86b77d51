import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { MODULE_OPTS as CASSANDRA_MODULE_OPTS } from '../cassandra/service.mjs'
import { ServiceError } from '../lib/errors.mjs'
import { consoleLog4j2, JVM_PERFORMANCE_OPTS } from '../lib/jvm.mjs'
import { fetchMavenDependencies } from '../lib/maven.mjs'
import { spawnDetached } from '../lib/process.mjs'
import { requireJava } from '../lib/tools.mjs'
import { canConnect } from '../lib/wait.mjs'
import { ensureCassandraConnectorFiles } from './cassandra.mjs'
import { plugins } from './plugins.mjs'

const execFileAsync = promisify(execFile)
const POM = fileURLToPath(new URL('./pom.xml', import.meta.url))
const STAMP = '.cdcb-artifacts'

const libDir = (ctx) => path.join(ctx.cacheDir, 'lib')
const pluginPath = (ctx) => path.join(ctx.cacheDir, 'plugins')
const workerProperties = (ctx) => path.join(ctx.stateDir, 'worker.properties')

/** The broker the worker stores its offsets in and connectors write to: CONNECT_BOOTSTRAP_SERVERS, else the harness's Kafka. */
function bootstrapServers(ctx) {
  return ctx.env.CONNECT_BOOTSTRAP_SERVERS || `${ctx.host}:${ctx.env.KAFKA_PORT || 9092}`
}

function renderWorkerProperties(ctx) {
  return `# Written by services/connect/service.mjs on every start; edit that file, not this one.
bootstrap.servers=${bootstrapServers(ctx)}
# REST on loopback only: it can create connectors that read any database the worker reaches.
listeners=http://${ctx.host}:${ctx.port}
rest.advertised.host.name=${ctx.host}
rest.advertised.port=${ctx.port}
plugin.path=${pluginPath(ctx)}
# Plugins declare themselves through ServiceLoader manifests: 43 s -> 11 s to start than scanning every class.
plugin.discovery=service_load
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.file.filename=${path.join(ctx.stateDir, 'data', 'connect.offsets')}
offset.flush.interval.ms=1000
`
}

// Console only: the harness sends stdout to the service's log.
const LOG4J2_PROPERTIES = consoleLog4j2({ 'org.reflections': 'ERROR' })

/** `group:artifact:version[:type[:classifier]]` → the pieces, with Maven's defaults. */
function parseCoordinates(text) {
  const [groupId, artifactId, version, type = 'jar', classifier] = text.split(':')
  if (!groupId || !artifactId || !version) {
    throw new ServiceError(
      `services/connect/plugins.mjs: '${text}' is not group:artifact:version[:type[:classifier]]`,
      {
        exitCode: 2,
      },
    )
  }
  return { groupId, artifactId, version, type, classifier }
}

// A pom per plugin folder, so the jar cache (stamped by pom digest) refetches only the plugin that changed.
function renderPluginPom(plugin) {
  const deps = plugin.artifacts.map((text) => {
    const c = parseCoordinates(text)
    return `    <dependency>
      <groupId>${c.groupId}</groupId><artifactId>${c.artifactId}</artifactId><version>${c.version}</version>
      <type>${c.type}</type>${c.classifier ? `<classifier>${c.classifier}</classifier>` : ''}
      <exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>
    </dependency>`
  })
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated from services/connect/plugins.mjs; edit that file, not this one. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.cdcb.services.connect-plugins</groupId><artifactId>${plugin.folder}</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
${deps.join('\n')}
  </dependencies>
</project>
`
}

/**
 * Downloads the plugin's artifacts and lays them out in `<plugin.path>/<folder>`:
 * archives unpacked without their top directory, jars copied. A stamp of the
 * artifact list marks a complete folder; an incomplete one is built beside it
 * and renamed into place, so a worker never loads half a plugin.
 */
async function installPlugin(ctx, plugin) {
  const digest = createHash('sha256').update(JSON.stringify(plugin.artifacts)).digest('hex')
  const target = path.join(pluginPath(ctx), plugin.folder)
  if (readStamp(target) === digest) return
  const poms = path.join(ctx.cacheDir, 'plugin-poms')
  fs.mkdirSync(poms, { recursive: true })
  const pom = path.join(poms, `${plugin.folder}.xml`)
  fs.writeFileSync(pom, renderPluginPom(plugin))
  const downloads = path.join(ctx.cacheDir, 'plugin-downloads', plugin.folder)
  await fetchMavenDependencies({ pom, libDir: downloads, env: ctx.env, log: ctx.log })

  ctx.log(`unpacking ${plugin.folder} into ${pluginPath(ctx)}`)
  const tmp = `${target}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp, { recursive: true })
  for (const file of fs.readdirSync(downloads)) {
    const from = path.join(downloads, file)
    if (file.endsWith('.tar.gz') || file.endsWith('.tgz')) {
      await untar(from, tmp)
    } else if (file.endsWith('.jar')) {
      fs.copyFileSync(from, path.join(tmp, file))
    }
  }
  fs.writeFileSync(path.join(tmp, STAMP), digest)
  fs.rmSync(target, { recursive: true, force: true })
  fs.renameSync(tmp, target)
  // The archives are unpacked (and Maven's local repository keeps a copy): 80 MB less in the cache.
  fs.rmSync(downloads, { recursive: true, force: true })
}

async function untar(archive, into) {
  try {
    await execFileAsync('tar', ['-xzf', archive, '--strip-components=1', '-C', into])
  } catch (error) {
    throw new ServiceError(
      `could not unpack ${archive} (${error.code ?? error.signal}); is \`tar\` installed?`,
      {
        detail: `${error.stderr ?? ''}`.trim(),
      },
    )
  }
}

function readStamp(folder) {
  try {
    return fs.readFileSync(path.join(folder, STAMP), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** GET on the REST API: `{ status, body }`, or undefined when nothing answers HTTP there. */
async function rest(ctx, pathname, timeoutMs = 2000) {
  try {
    const response = await fetch(`http://${ctx.host}:${ctx.port}${pathname}`, {
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await response.text()
    let body
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { status: response.status, body }
  } catch {
    return undefined
  }
}

/** Kafka Connect 4.x worker (standalone mode) with the Debezium connectors of plugins.mjs, jars from Maven Central. */
export default {
  name: 'connect',
  defaultPort: 8083,
  portEnv: 'CONNECT_PORT',
  startTimeoutMs: 120_000,
  stopTimeoutMs: 30_000,

  /** Fetches the worker's jars and every plugin folder on first use; a no-op afterwards. */
  async install(ctx) {
    await requireJava(17, ctx.env)
    await fetchMavenDependencies({ pom: POM, libDir: libDir(ctx), env: ctx.env, log: ctx.log })
    for (const plugin of plugins) await installPlugin(ctx, plugin)
  },

  /** Writes the worker configuration and spawns ConnectStandalone detached; it needs Kafka up first. */
  async start(ctx) {
    const java = await requireJava(17, ctx.env)
    const brokers = bootstrapServers(ctx)
    const [host, port] = [
      brokers.split(',')[0].replace(/:\d+$/, ''),
      Number(brokers.split(',')[0].split(':').pop()),
    ]
    if (!(await canConnect(host, port))) {
      throw new ServiceError(
        `Kafka Connect needs a Kafka broker at ${brokers}, and none answers; run \`npm run services -- up kafka\` first (with the same KAFKA_PORT) or set CONNECT_BOOTSTRAP_SERVERS`,
        { exitCode: 2 },
      )
    }
    fs.mkdirSync(path.join(ctx.stateDir, 'data'), { recursive: true })
    fs.writeFileSync(workerProperties(ctx), renderWorkerProperties(ctx))
    const log4j = path.join(ctx.stateDir, 'log4j2.properties')
    fs.writeFileSync(log4j, LOG4J2_PROPERTIES)
    // Debezium's Cassandra connector reads this host's node (see cassandra.mjs).
    ensureCassandraConnectorFiles(ctx.env)
    const heap = (ctx.env.CONNECT_HEAP_OPTS ?? '-Xmx512m').split(/\s+/).filter(Boolean)
    const child = spawnDetached({
      command: java,
      args: [
        ...heap,
        ...JVM_PERFORMANCE_OPTS,
        // Debezium's Cassandra connector runs Cassandra's own classes in this JVM.
        ...CASSANDRA_MODULE_OPTS,
        `-Dlog4j2.configurationFile=${log4j}`,
        '-cp',
        `${libDir(ctx)}${path.sep}*`,
        'org.apache.kafka.connect.cli.ConnectStandalone',
        workerProperties(ctx),
      ],
      cwd: ctx.stateDir,
      env: ctx.env,
      logFile: ctx.logFile,
    })
    return { child, match: workerProperties(ctx) }
  },

  /** Ready once the REST API lists connectors (the herder has started and loaded the plugins). */
  async isReady(ctx) {
    const answer = await rest(ctx, '/connectors')
    return answer?.status === 200 && Array.isArray(answer.body)
  },

  /** Whether something listens on the port, and whether it is a Connect worker (`GET /` names its Kafka cluster). */
  async probe(ctx) {
    if (!(await canConnect(ctx.host, ctx.port))) return { listening: false, matches: false }
    const answer = await rest(ctx, '/')
    const body = answer?.body
    const matches =
      typeof body === 'object' && body !== null && 'version' in body && 'kafka_cluster_id' in body
    return {
      listening: true,
      matches,
      detail: matches
        ? `Kafka Connect ${body.version}`
        : answer
          ? `HTTP ${answer.status}, not Connect`
          : 'not HTTP',
    }
  },
}
