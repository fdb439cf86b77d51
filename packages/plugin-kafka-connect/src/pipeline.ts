/**
 * The pipeline part: registers the connectors a config names, waits until each
 * task runs, watches their states during the run, offers pause / resume /
 * restart as actions, and removes what it registered afterwards.
 */
import {
  CdcbError,
  ConfigError,
  describeError,
  type Pipeline,
  type PipelineActionList,
  type PipelineEvents,
  parseDurationMicros,
  type RunContext,
} from '@cdcb/core'
import {
  checkNothingExists,
  type DebeziumPostgresObjects,
  debeziumPostgresObjects,
  dropObjects,
} from './debezium-postgres.js'
import type { ResolvedKafkaConnectOptions } from './options.js'
import { ownerSettings, sweepDeadConnectors } from './owners.js'
import { type ConnectorStatus, ConnectRest, firstTraceLine } from './rest.js'
import { type ConnectorLeftovers, deleteLeftovers, leftoversOf, runScopes, SCOPES_SETTING } from './topics.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `{runId}` in a name or value becomes the run's id, so concurrent runs get their own slots and connectors. */
function withRunId(text: string, runId: string): string {
  return text.replaceAll('{runId}', runId)
}

/** The part's fault actions (`faults: [{ action: { pipeline: 'pause', undo: 'resume' } }]`), checked with the config. */
export const CONNECT_PIPELINE_ACTIONS = {
  pause: { undo: 'resume' },
  resume: {},
  restartTask: {},
} as const satisfies PipelineActionList

type Action = (args?: Record<string, unknown>) => Promise<void>

export function createConnectPipeline(options: ResolvedKafkaConnectOptions, context: RunContext): Pipeline {
  const rest = new ConnectRest(options.url.replace(/\/+$/, ''))
  const readyMs = parseDurationMicros(options.readyTimeout)! / 1e3
  const intervalMs = parseDurationMicros(options.watchInterval)! / 1e3
  const owned = options.connectors.map((c) => {
    const name = withRunId(c.name, context.runId)
    const config = Object.fromEntries(
      Object.entries(c.config).map(([k, v]) => [k, withRunId(String(v), context.runId)]),
    )
    const scopes = runScopes(c.name, c.config, context.runId)
    return { name, config, scopes, postgres: debeziumPostgresObjects(name, config) }
  })
  const watched = [...owned.map((c) => c.name), ...options.observe]
  const registered: Array<{ name: string; config: Record<string, string> }> = []
  const postgresToDrop: DebeziumPostgresObjects[] = []
  // States changed by our own actions are not the pipeline misbehaving.
  const expected = new Map<string, string>()

  const pick = (args?: Record<string, unknown>): string => {
    const name = args?.connector
    if (typeof name === 'string') {
      if (!watched.includes(name))
        throw new CdcbError(
          `kafka-connect: no connector "${name}" in this run (it has: ${watched.join(', ')})`,
          3,
        )
      return name
    }
    if (watched.length === 1) return watched[0]!
    throw new CdcbError(
      `kafka-connect: name the connector ({ connector: "…" }); this run has ${watched.join(', ')}`,
      3,
    )
  }

  return {
    async setup() {
      // What killed runs left goes first: a dead run's source would go on reading beside this run's.
      const { left } =
        owned.length > 0
          ? await sweepDeadConnectors(rest, context.runId, (line, kind) => context.log(line, kind), {
              brokers: options.brokers,
            })
          : { left: [] }
      const existing = new Set(await rest.list())
      for (const name of options.observe) {
        if (!existing.has(name))
          throw new CdcbError(`kafka-connect: connector "${name}" (observe) does not exist at ${rest.url}`, 3)
      }
      for (const c of owned) {
        const other = left.find((o) => o.name === c.name)
        if (other) {
          throw new ConfigError(
            `pipeline.options.connectors: connector "${c.name}" at ${rest.url} belongs to cdcb run ${other.runId}, which ${other.owner.state === 'live' ? 'is still running' : 'may still be running'} (${other.owner.why}); two runs cannot share a connector — put {runId} in its name (e.g. "cdcb-{runId}-source"), or wait until that run ends`,
          )
        }
        if (existing.has(c.name)) {
          throw new CdcbError(
            `kafka-connect: connector "${c.name}" already exists at ${rest.url}; cdcb removes only what it registered, so it will not take it over: list it under "observe", or give another name`,
            2,
          )
        }
        if (c.postgres) await checkNothingExists(c.postgres)
      }
      for (const c of owned) {
        context.log(`kafka-connect: registering ${c.name}`)
        // Recorded in the connector itself, so a run killed before its teardown can be told dead later,
        // and its topics told from others' by the same rule as teardown's.
        const config = {
          ...c.config,
          ...ownerSettings(context.runId),
          [SCOPES_SETTING]: c.scopes.join(','),
        }
        await rest.create(c.name, config)
        registered.push({ name: c.name, config })
        if (c.postgres) postgresToDrop.push(c.postgres)
      }
      for (const name of watched) await waitRunning(rest, name, readyMs, context.signal)
      context.log(`kafka-connect: ${watched.join(', ')} running`)
    },

    watch(events: PipelineEvents, signal: AbortSignal) {
      watchStates(rest, watched, intervalMs, events, signal, expected).catch((error: unknown) =>
        events.fail('WatchFailed', `kafka-connect stopped watching: ${describeError(error)}`),
      )
    },

    actions: {
      async pause(args) {
        const name = pick(args)
        expected.set(name, 'PAUSED')
        await rest.pause(name)
        await waitState(rest, name, 'PAUSED', readyMs)
      },
      async resume(args) {
        const name = pick(args)
        expected.set(name, 'RUNNING')
        await rest.resume(name)
        await waitRunning(rest, name, readyMs)
      },
      async restartTask(args) {
        const name = pick(args)
        const task = typeof args?.task === 'number' ? args.task : 0
        expected.set(name, 'RESTARTING')
        await rest.restartTask(name, task)
        await waitRunning(rest, name, readyMs)
        expected.set(name, 'RUNNING')
      },
    } satisfies Record<keyof typeof CONNECT_PIPELINE_ACTIONS, Action>,

    async teardown() {
      const connectors = registered.splice(0).reverse()
      // Connect forgets which topics a connector used once it is deleted: ask first.
      const leftovers: ConnectorLeftovers[] = []
      for (const c of connectors) leftovers.push(await leftoversOf(rest, c.name, c.config))
      for (const c of connectors) {
        if (await rest.remove(c.name)) context.log(`kafka-connect: removed ${c.name}`)
      }
      await deleteLeftovers(options.brokers, leftovers, (line) => context.log(line), context.runId)
      for (const objects of postgresToDrop.splice(0)) {
        const dropped = await dropObjects(objects)
        if (dropped.length)
          context.log(
            `kafka-connect: dropped ${dropped.join(' and ')} of ${objects.connector} in ${objects.where}`,
          )
      }
    },
  }
}

/** Resolves once the connector and every task are RUNNING; throws naming the connector and its first trace line on FAILED. */
async function waitRunning(
  rest: ConnectRest,
  name: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: ConnectorStatus | undefined
  while (Date.now() < deadline && !signal?.aborted) {
    last = await rest.status(name)
    if (last) {
      if (last.connector.state === 'FAILED') {
        throw new CdcbError(`connector ${name} FAILED: ${firstTraceLine(last.connector.trace)}`, 3)
      }
      const failed = last.tasks.find((t) => t.state === 'FAILED')
      if (failed)
        throw new CdcbError(`connector ${name} task ${failed.id} FAILED: ${firstTraceLine(failed.trace)}`, 3)
      if (
        last.connector.state === 'RUNNING' &&
        last.tasks.length > 0 &&
        last.tasks.every((t) => t.state === 'RUNNING')
      )
        return
    }
    await sleep(200)
  }
  if (signal?.aborted) throw new CdcbError('interrupted while waiting for the connectors', 3)
  throw new CdcbError(
    `connector ${name} was not RUNNING after ${Math.round(timeoutMs / 1000)}s (${describe(last)}); raise readyTimeout or check the worker's log`,
    3,
  )
}

async function waitState(rest: ConnectRest, name: string, state: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const status = await rest.status(name)
    if (status?.connector.state === state && status.tasks.every((t) => t.state === state)) return
    await sleep(100)
  }
  throw new CdcbError(`connector ${name} did not reach ${state} within ${Math.round(timeoutMs / 1000)}s`, 3)
}

function describe(status: ConnectorStatus | undefined): string {
  if (!status) return 'not found'
  const tasks = status.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ')
  return `connector ${status.connector.state}${tasks ? `, ${tasks}` : ', no tasks yet'}`
}

/**
 * Polls every connector's status until `signal` aborts. A connector that
 * disappears or FAILS, or a task that FAILS, is a failure of the run; a task
 * seen leaving RUNNING and coming back without an action of ours is a restart
 * (an error that does not fail the run); other changes are events.
 */
async function watchStates(
  rest: ConnectRest,
  names: readonly string[],
  intervalMs: number,
  events: PipelineEvents,
  signal: AbortSignal,
  expected: Map<string, string>,
): Promise<void> {
  const lastState = new Map<string, string>()
  const gone = new Set<string>()
  let unreachable = false
  while (!signal.aborted) {
    for (const name of names) {
      if (gone.has(name) || signal.aborted) continue
      let status: ConnectorStatus | undefined
      try {
        status = await rest.status(name)
        if (unreachable) events.event('WorkerReachable', `Kafka Connect at ${rest.url} answers again`)
        unreachable = false
      } catch (error) {
        if (!unreachable) events.error('WorkerUnreachable', (error as Error).message)
        unreachable = true
        continue
      }
      if (signal.aborted) break
      if (!status) {
        gone.add(name)
        events.fail(
          'ConnectorMissing',
          `connector ${name} no longer exists at ${rest.url} (deleted during the run)`,
        )
        continue
      }
      const parts: Array<[string, string, string | undefined]> = [
        [`connector ${name}`, status.connector.state, status.connector.trace],
        ...status.tasks.map((t): [string, string, string | undefined] => [
          `connector ${name} task ${t.id}`,
          t.state,
          t.trace,
        ]),
      ]
      for (const [what, state, trace] of parts) {
        const before = lastState.get(what)
        lastState.set(what, state)
        if (before === undefined || before === state) continue
        if (state === 'FAILED') {
          events.fail(
            what.includes(' task ') ? 'TaskFailed' : 'ConnectorFailed',
            `${what} FAILED: ${firstTraceLine(trace)}`,
          )
        } else if (expected.has(name)) {
          events.event('StateChanged', `${what}: ${before} → ${state} (by an action)`)
        } else if (state === 'RUNNING' && before !== 'PAUSED') {
          events.error('TaskRestarted', `${what} restarted (${before} → RUNNING)`)
        } else {
          events.event('StateChanged', `${what}: ${before} → ${state}`)
        }
      }
      if (expected.get(name) === 'RUNNING' && parts.every(([, state]) => state === 'RUNNING'))
        expected.delete(name)
    }
    await sleep(intervalMs)
  }
}
