/**
 * Connectors that runs which died left registered. A run killed outright
 * (kill -9, a lost machine) never reaches its teardown, and Connect keeps its
 * connectors running for ever: a source goes on reading (a Debezium
 * PostgreSQL source holds its slot, a Cassandra source reads the commit log
 * the next run writes), a sink goes on writing. So every connector cdcb
 * registers carries two settings of its own, which Connect stores and hands
 * back with the config without passing them on to anything: `cdcb.run` (the
 * run id) and `cdcb.process` (`processOwner()`, host and pid of the cdcb that
 * registered it). At setup, and in `cdcb clean`, a connector whose cdcb ran on
 * this host and is gone is deleted, with the slot and publication its
 * Debezium PostgreSQL source made (what the run's teardown would have
 * dropped), and — given the brokers — the topics and sink consumer group it
 * used that are named for its run (`topics.ts`: the same rule as teardown's).
 * A connector of a live run, or of a run on another host, is left and named.
 */
import {
  type CleanContext,
  describeError,
  type LogKind,
  type OwnerState,
  ownerStateOf,
  processOwner,
} from '@cdcb/core'
import { debeziumPostgresObjects, dropObjects } from './debezium-postgres.js'
import type { ConnectRest } from './rest.js'
import { type ConnectorLeftovers, deleteLeftovers, describeLeftovers, leftoversOf } from './topics.js'

export const RUN_SETTING = 'cdcb.run'
export const PROCESS_SETTING = 'cdcb.process'

/** The settings that mark a connector as run `runId`'s, made by this process. */
export function ownerSettings(runId: string): Record<string, string> {
  return { [RUN_SETTING]: runId, [PROCESS_SETTING]: processOwner() }
}

/** A connector cdcb registered, the run it is for, and whether that run may still be alive. */
export interface OwnedConnector {
  readonly name: string
  readonly runId: string
  readonly owner: OwnerState
  readonly config: Readonly<Record<string, string>>
}

/** Every connector at the worker that carries cdcb's run setting, in name order. */
export async function findOwned(rest: ConnectRest): Promise<OwnedConnector[]> {
  const owned: OwnedConnector[] = []
  for (const [name, config] of await rest.listWithConfigs()) {
    const runId = config[RUN_SETTING]
    if (!runId) continue
    owned.push({ name, runId, owner: ownerStateOf(config[PROCESS_SETTING]), config })
  }
  return owned.sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * Deletes the connectors of dead runs (not `ownRunId`'s) at the worker, each
 * with the PostgreSQL slot and publication its run would have dropped, saying
 * what each was doing; with `dryRun` only says so. Returns what it left: the
 * connectors of runs that may still be alive.
 */
export async function sweepDeadConnectors(
  rest: ConnectRest,
  ownRunId: string | undefined,
  log: (line: string, kind?: LogKind) => void,
  { dryRun = false, brokers = [] }: { dryRun?: boolean; brokers?: readonly string[] } = {},
): Promise<{ left: OwnedConnector[]; dead: number }> {
  const left: OwnedConnector[] = []
  let dead = 0
  // A run's topics go once all its connectors are gone: a source still running would make them again.
  const atBrokersOf = new Map<string, ConnectorLeftovers[]>()
  for (const connector of await findOwned(rest)) {
    if (connector.runId === ownRunId) continue
    if (connector.owner.state !== 'dead') {
      left.push(connector)
      continue
    }
    dead++
    const status = await rest.status(connector.name).catch(() => undefined)
    const state = status
      ? `${status.connector.state}, ${status.tasks.length} task${status.tasks.length === 1 ? '' : 's'}`
      : 'state unknown'
    const postgres = debeziumPostgresObjects(connector.name, connector.config)
    const alsoDrops = postgres
      ? ` and its slot ${postgres.slot}${postgres.createsPublication ? ` and publication ${postgres.publication}` : ''} in ${postgres.where}`
      : ''
    const what = `kafka-connect: at ${rest.url}, connector ${connector.name} (${state}) was registered by cdcb run ${connector.runId}, which is no longer running (${connector.owner.why})`
    // Asked before the delete: Connect forgets a connector's topics with it.
    const leftovers = await leftoversOf(rest, connector.name, connector.config)
    const atBrokers = describeLeftovers([leftovers])
    const alsoAtBrokers = atBrokers
      ? brokers.length
        ? `, and ${atBrokers} at ${brokers.join(',')}`
        : ` (leaving ${atBrokers}: no brokers option)`
      : ''
    if (dryRun) {
      log(
        `${what}; would delete it${alsoDrops}${alsoAtBrokers} (--dry-run); by hand: curl -X DELETE ${rest.url}/connectors/${encodeURIComponent(connector.name)}`,
      )
      continue
    }
    // A notice: even `--quiet` says that cdcb deleted a connector this run did not register.
    log(`${what} — deleting it${alsoDrops}${alsoAtBrokers}`, 'notice')
    await rest.remove(connector.name)
    atBrokersOf.set(connector.runId, [...(atBrokersOf.get(connector.runId) ?? []), leftovers])
    if (!postgres) continue
    try {
      const dropped = await dropObjects(postgres)
      if (dropped.length) log(`kafka-connect: dropped ${dropped.join(' and ')} in ${postgres.where}`)
    } catch (error) {
      log(
        `kafka-connect: could not drop the slot ${postgres.slot} of ${connector.name} in ${postgres.where}: ${describeError(error)}; by hand: SELECT pg_drop_replication_slot('${postgres.slot}')`,
      )
    }
  }
  for (const [runId, leftovers] of atBrokersOf) await deleteLeftovers(brokers, leftovers, log, runId)
  return { left, dead }
}

/** Says why a connector of a run that may be alive is left in place. */
export function describeLeft(rest: ConnectRest, connector: OwnedConnector): string {
  const running = connector.owner.state === 'live' ? 'is still running' : 'may still be running'
  return `kafka-connect: at ${rest.url}, connector ${connector.name} belongs to cdcb run ${connector.runId}, which ${running} (${connector.owner.why}); left in place`
}

/** `cdcb clean` for the pipeline slot: the dead runs' connectors at the worker, deleted unless a dry run. */
export async function cleanConnectors(
  rest: ConnectRest,
  brokers: readonly string[],
  context: CleanContext,
): Promise<void> {
  const { left, dead } = await sweepDeadConnectors(rest, undefined, context.log, {
    dryRun: context.dryRun,
    brokers,
  })
  if (dead === 0) context.log(`kafka-connect: at ${rest.url}, no connector left by a cdcb run that is gone`)
  for (const connector of left) context.log(describeLeft(rest, connector))
}
