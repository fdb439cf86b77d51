import fs from 'node:fs'
import { ServiceError } from './errors.mjs'
import { servicePaths } from './paths.mjs'
import { isAlive, readPidFile, removePidFile, stopProcess, withLock, writePidFile } from './process.mjs'
import { tailFile, waitUntil } from './wait.mjs'

/**
 * The generic half of every service: reuse, pid files, readiness waits and
 * stopping. A service module (see ../README.md) only knows how to install,
 * start and recognise its own server.
 */

const HOST = '127.0.0.1'
const DEFAULT_START_TIMEOUT_MS = 90_000
const DEFAULT_STOP_TIMEOUT_MS = 30_000

/** Everything a service hook gets: where to listen, where its files go, how to report progress. */
export function createContext(service, opts = {}) {
  const env = opts.env ?? process.env
  const port = resolvePort(service, opts, env)
  return {
    name: service.name,
    host: HOST,
    port,
    address: `${HOST}:${port}`,
    env,
    log: opts.log ?? (() => {}),
    ...servicePaths(service.name, env),
  }
}

function resolvePort(service, opts, env) {
  if (opts.port !== undefined) return checkPort(opts.port, 'port option')
  const fromEnv = service.portEnv && env[service.portEnv]
  if (fromEnv) return checkPort(fromEnv, service.portEnv)
  return service.defaultPort
}

function checkPort(value, source) {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ServiceError(`${source}=${value} is not a TCP port number (1-65535)`, { exitCode: 2 })
  }
  return port
}

function resolveTimeout(service, opts, env) {
  if (opts.timeoutMs !== undefined) return opts.timeoutMs
  if (env.CDCB_SERVICES_TIMEOUT) {
    const seconds = Number(env.CDCB_SERVICES_TIMEOUT)
    if (!(seconds > 0)) {
      throw new ServiceError(
        `CDCB_SERVICES_TIMEOUT=${env.CDCB_SERVICES_TIMEOUT} is not a number of seconds`,
        { exitCode: 2 },
      )
    }
    return seconds * 1000
  }
  return service.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS
}

/**
 * Makes the service answer at its address: reuses a server started by an
 * earlier `up` (pid file) or one the user runs themselves, otherwise installs
 * and starts one and waits until it is ready. `startedByUs` is true only in
 * the last case, so a caller knows whether it should stop the server again.
 */
export async function up(service, opts = {}) {
  const ctx = createContext(service, opts)
  const timeoutMs = resolveTimeout(service, opts, ctx.env)
  const result = (fields) => ({ name: ctx.name, address: ctx.address, logFile: ctx.logFile, ...fields })

  return withLock(
    ctx.lockDir,
    async () => {
      const running = readPidFile(ctx.pidFile)
      if (running && isAlive(running.pid, running.match)) {
        if (running.port !== ctx.port) {
          throw new ServiceError(
            `${ctx.name} already runs at ${running.address} (pid ${running.pid}) from an earlier up; run \`down ${ctx.name}\` before starting it on port ${ctx.port}`,
            { exitCode: 2 },
          )
        }
        // It may still be starting if the up that spawned it was interrupted.
        await waitReady(
          service,
          ctx,
          timeoutMs,
          () => !isAlive(running.pid, running.match) && `${ctx.name} (pid ${running.pid}) exited`,
        )
        return result({ startedByUs: false, pid: running.pid, reused: 'cdcb' })
      }
      if (running) removePidFile(ctx.pidFile)

      const probe = await service.probe(ctx)
      if (probe.matches) return result({ startedByUs: false, pid: null, reused: 'external' })
      if (probe.listening) {
        throw new ServiceError(
          `${ctx.address} is already taken by something that is not ${ctx.name} (${probe.detail}); stop it or set ${service.portEnv} to a free port`,
          { exitCode: 2 },
        )
      }

      await service.install(ctx)
      const startedAt = Date.now()
      const { child, match } = await service.start(ctx)
      ctx.log(`starting on ${ctx.address} (pid ${child.pid}, log: ${ctx.logFile})`)
      let exited
      child.once('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exit code ${code}`))
      child.once('error', (error) => (exited = error.message))
      if (!child.pid) throw new ServiceError(`could not start ${ctx.name}: ${exited ?? 'no pid'}`)
      writePidFile(ctx.pidFile, {
        pid: child.pid,
        port: ctx.port,
        address: ctx.address,
        match,
        startedAt: new Date(startedAt).toISOString(),
      })

      try {
        await waitReady(
          service,
          ctx,
          timeoutMs,
          () => exited && `${ctx.name} exited during startup (${exited})`,
        )
      } catch (error) {
        await stopProcess(child.pid, { match, timeoutMs: 10_000 })
        removePidFile(ctx.pidFile)
        throw error
      }
      return result({ startedByUs: true, pid: child.pid, startMs: Date.now() - startedAt })
    },
    { onWait: ctx.log },
  )
}

async function waitReady(service, ctx, timeoutMs, abort) {
  const check = async () => {
    try {
      return await service.isReady(ctx)
    } catch {
      return false
    }
  }
  const logHint = `log: ${ctx.logFile} (last 20 lines below)`
  let ready
  try {
    ready = await waitUntil(check, { timeoutMs, abort })
  } catch (error) {
    throw new ServiceError(`${error.message}; ${logHint}`, { detail: logTail(ctx.logFile) })
  }
  if (!ready) {
    throw new ServiceError(
      `${ctx.name} was not ready at ${ctx.address} after ${Math.round(timeoutMs / 1000)} s (CDCB_SERVICES_TIMEOUT raises the limit); ${logHint}`,
      { detail: logTail(ctx.logFile) },
    )
  }
}

function logTail(file) {
  return tailFile(file, 20) || '(the log is empty: the process wrote nothing yet)'
}

/**
 * Stops the server only if this harness started it (pid file): SIGTERM, then
 * SIGKILL after the service's stop timeout. A server the user runs is left alone.
 */
export async function down(service, opts = {}) {
  const ctx = createContext(service, opts)
  return withLock(
    ctx.lockDir,
    async () => {
      const running = readPidFile(ctx.pidFile)
      if (!running || !isAlive(running.pid, running.match)) {
        if (running) removePidFile(ctx.pidFile)
        const probe = await service.probe(ctx)
        const note = probe.matches
          ? `${ctx.address} answers but was not started by cdcb; left running`
          : 'not running'
        return { name: ctx.name, stopped: false, pid: null, note }
      }
      ctx.log(`stopping pid ${running.pid}`)
      const how = await stopProcess(running.pid, {
        match: running.match,
        timeoutMs: service.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
      })
      removePidFile(ctx.pidFile)
      return {
        name: ctx.name,
        stopped: true,
        pid: running.pid,
        note: how === 'killed' ? 'did not stop on SIGTERM; killed' : how,
      }
    },
    { onWait: ctx.log },
  )
}

/**
 * What runs now. `state` is 'running' (answers its protocol), 'starting'
 * (our process is alive but does not answer yet) or 'stopped'.
 */
export async function status(service, opts = {}) {
  const ctx = createContext(service, opts)
  const running = readPidFile(ctx.pidFile)
  const ours = running && isAlive(running.pid, running.match)
  const probeCtx = ours ? { ...ctx, port: running.port, address: running.address } : ctx
  const probe = await service.probe(probeCtx)
  const state = probe.matches ? 'running' : ours ? 'starting' : 'stopped'
  return {
    name: ctx.name,
    state,
    running: probe.matches === true,
    startedByCdcb: Boolean(ours),
    pid: ours ? running.pid : null,
    address: probeCtx.address,
    logFile: ctx.logFile,
    note:
      !ours && !probe.matches && probe.listening
        ? `${ctx.address} is taken by something else (${probe.detail})`
        : undefined,
  }
}

/** The last `lines` lines of the service's log, or undefined when it never ran. */
export function logs(service, { lines = 50, env } = {}) {
  const { logFile } = servicePaths(service.name, env)
  if (!fs.existsSync(logFile)) return undefined
  return tailFile(logFile, lines)
}
