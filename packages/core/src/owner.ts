/**
 * Which cdcb process made an object on a server, and whether it may still run.
 *
 * A run killed outright (kill -9, a lost machine) never reaches its teardown,
 * so plugins whose servers have no session to hold a lease (Cassandra tables,
 * SQS queues, Kafka topics) record `<host> <pid>` of the cdcb that made each
 * object beside it (a tag, a comment). A later run, or `cdcb clean`, then
 * drops the object only when that process ran on this host and is gone; on
 * another host nothing here can tell, so it is left and named.
 */
import { hostname } from 'node:os'

/** `<host> <pid>` of this process, to record beside an object cdcb creates; called on any thread. */
export function processOwner(): string {
  return `${hostname()} ${process.pid}`
}

/** Whether the process an owner record names may still run; `why` says how cdcb knows, for messages. */
export interface OwnerState {
  readonly state: 'dead' | 'live' | 'unknown'
  readonly why: string
}

/**
 * Reads a `processOwner()` record: `dead` only when it names this host and no
 * process has its pid (a reused pid reads as live: the object is then kept,
 * the safe side); `unknown` for another host or no record.
 */
export function ownerStateOf(record: string | undefined): OwnerState {
  const maker = /^(\S+) (\d+)$/.exec(record?.trim() ?? '')
  if (!maker) return { state: 'unknown', why: 'it names no cdcb process' }
  const host = maker[1]!
  const pid = Number(maker[2])
  if (host !== hostname()) return { state: 'unknown', why: `its cdcb ran on host ${host}` }
  try {
    process.kill(pid, 0)
    return { state: 'live', why: `its cdcb process ${pid} is running` }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM')
      return { state: 'live', why: `its cdcb process ${pid} exists` }
    return { state: 'dead', why: `its cdcb process ${pid} on this host is gone` }
  }
}
