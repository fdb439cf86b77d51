import cassandra from './cassandra/service.mjs'
import { cassandraConnectorFiles } from './connect/cassandra.mjs'
import connect from './connect/service.mjs'
import kafka from './kafka/service.mjs'
import { ServiceError } from './lib/errors.mjs'
import * as lifecycle from './lib/lifecycle.mjs'
import sqs from './sqs/service.mjs'
import sqsBridge from './sqs-bridge/service.mjs'

/**
 * The servers cdcb's tests, benchmarks and quickstart run against, started on
 * loopback from Maven Central artifacts (see README.md). Typical use in a
 * vitest globalSetup:
 *
 *   const kafka = await up('kafka');
 *   process.env.KAFKA_BROKERS = kafka.address;
 *   return async () => { if (kafka.startedByUs) await down('kafka'); };
 */

/** Every known service by name; `cli.mjs up` with no name starts them in this order. */
export const services = { kafka, connect, cassandra, sqs, 'sqs-bridge': sqsBridge }

/** @type {string[]} */
export const serviceNames = Object.keys(services)

export { cassandraConnectorFiles, ServiceError }

function lookup(name) {
  if (!Object.hasOwn(services, name)) {
    throw new ServiceError(`unknown service '${name}'; known: ${serviceNames.join(', ')}`, { exitCode: 2 })
  }
  return services[name]
}

/**
 * Makes `name` answer on loopback: reuses a running one (started by an earlier
 * `up`, or the user's own on the same port), else downloads if needed, starts
 * it detached and waits until it is ready. Calls for the same service
 * serialise on a lock, also across processes.
 * @param {string} name
 * @param {{ port?: number, timeoutMs?: number, log?: (line: string) => void, env?: NodeJS.ProcessEnv }} [opts]
 * @returns {Promise<{ name: string, address: string, startedByUs: boolean, pid: number | null, reused?: 'cdcb' | 'external', logFile: string, startMs?: number }>}
 */
export function up(name, opts) {
  return lifecycle.up(lookup(name), opts)
}

/**
 * Stops `name` if this harness started it (pid file), SIGTERM then SIGKILL;
 * never touches a server it did not start.
 * @param {string} name
 * @param {{ log?: (line: string) => void, env?: NodeJS.ProcessEnv }} [opts]
 * @returns {Promise<{ name: string, stopped: boolean, pid: number | null, note: string }>}
 */
export function down(name, opts) {
  return lifecycle.down(lookup(name), opts)
}

/**
 * Whether `name` answers now, and whether this harness started it.
 * @param {string} name
 * @param {{ port?: number, env?: NodeJS.ProcessEnv }} [opts]
 * @returns {Promise<{ name: string, state: 'running' | 'starting' | 'stopped', running: boolean, startedByCdcb: boolean, pid: number | null, address: string, logFile: string, note?: string }>}
 */
export function status(name, opts) {
  return lifecycle.status(lookup(name), opts)
}

/**
 * The end of `name`'s log (stdout and stderr of its last start), or undefined if it never ran.
 * @param {string} name
 * @param {{ lines?: number, env?: NodeJS.ProcessEnv }} [opts]
 * @returns {string | undefined}
 */
export function logs(name, opts) {
  return lifecycle.logs(lookup(name), opts)
}

export { ensureDebianBinary } from './lib/debian.mjs'
