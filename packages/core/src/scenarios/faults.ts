/**
 * Planned disturbances (`faults` in a config): at a time in the run, do
 * something to the pipeline under test, and undo it `for` later. Runs on the
 * main thread beside the ticker; each start and end is a run event.
 *
 * Actions:
 * - `{ exec: "cmd …" | ["cmd", …], undo? }`: runs a command (a string through
 *   /bin/sh), waiting at most `ACTION_TIMEOUT_MS`;
 * - `{ signal: "SIGSTOP", pidFile, undo? }`: signals the process whose pid the
 *   file holds, as a number or as the services harness's JSON `{ "pid": … }`
 *   (SIGSTOP is undone with SIGCONT unless `undo` says otherwise);
 * - `{ pipeline: "pause", args?, undo?, undoArgs? }`: calls an action of the
 *   config's `pipeline` part (e.g. Kafka Connect's pause and resume).
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { constants } from 'node:os'
import path from 'node:path'

/** How long one action may take before it counts as failed. */
export const ACTION_TIMEOUT_MS = 30_000

export type FaultAction =
  | { readonly exec: string | readonly string[]; readonly undo?: string | readonly string[] }
  | { readonly signal: string; readonly pidFile: string; readonly undo?: string }
  | {
      readonly pipeline: string
      readonly args?: Record<string, unknown>
      readonly undo?: string
      readonly undoArgs?: Record<string, unknown>
    }

/** A fault as resolved from the config; times in microseconds from the schedule's start. */
export interface FaultPlan {
  readonly name: string
  readonly atMicros: number
  /** How long the fault lasts before it is undone; undefined when it is never undone. */
  readonly forMicros: number | undefined
  readonly action: FaultAction
}

/** What happened to one fault, as the result lists it; times in seconds from the schedule's start. */
export interface FaultRecord {
  readonly name: string
  readonly at: number
  readonly for: number | null
  /** When the action completed; null when it failed or never ran (the run ended first). */
  readonly startedAt: number | null
  /** When the undo completed; null when there is none, it failed, or it never ran. */
  readonly endedAt: number | null
  /** Why the action or its undo failed. */
  readonly error: string | null
}

/** The calls a pipeline part offers, by name. */
export type PipelineActions = Readonly<Record<string, (args?: Record<string, unknown>) => Promise<void>>>

export interface FaultRunnerContext {
  /** Folder relative paths (pid files) resolve against: the config file's. */
  readonly baseDir: string
  readonly pipelineActions: PipelineActions | undefined
  /** Epoch microseconds now (the run's clock). */
  readonly now: () => number
  /** A run event: shown live and in the result's warnings when it is a failure. */
  readonly onEvent: (message: string, failed: boolean) => void
}

/** Names the default undo of a signal: SIGSTOP is undone by SIGCONT. */
export function undoSignal(signal: string): string | undefined {
  return signal === 'SIGSTOP' || signal === 'SIGTSTP' ? 'SIGCONT' : undefined
}

/**
 * Checks what can be checked before the run: signal names, and pipeline action
 * names once the pipeline part exists (`pipelineChecked: false` skips those).
 * Returns the problem, or undefined.
 */
export function checkFault(
  plan: FaultPlan,
  pipelineActions: PipelineActions | undefined,
  { pipelineChecked = true } = {},
): string | undefined {
  const { action } = plan
  if ('signal' in action) {
    for (const signal of [action.signal, action.undo]) {
      if (signal !== undefined && !(signal in constants.signals)) {
        return `unknown signal "${signal}" (use a name such as SIGSTOP, SIGCONT, SIGTERM)`
      }
    }
  }
  if ('pipeline' in action && pipelineChecked) {
    if (!pipelineActions)
      return `calls pipeline action "${action.pipeline}" but the config has no pipeline part`
    for (const name of [action.pipeline, action.undo]) {
      if (name !== undefined && !pipelineActions[name]) {
        return `pipeline action "${name}" does not exist (the pipeline offers: ${Object.keys(pipelineActions).join(', ') || 'none'})`
      }
    }
  }
  return undefined
}

/**
 * Runs the faults against the schedule's start; `stop` undoes every fault still
 * in force (a SIGSTOPped broker is always continued) and returns the records.
 */
export function startFaults(plans: readonly FaultPlan[], startAtMicros: number, context: FaultRunnerContext) {
  const records = plans.map((plan): { -readonly [K in keyof FaultRecord]: FaultRecord[K] } => ({
    name: plan.name,
    at: plan.atMicros / 1e6,
    for: plan.forMicros === undefined ? null : plan.forMicros / 1e6,
    startedAt: null,
    endedAt: null,
    error: null,
  }))
  const timers: NodeJS.Timeout[] = []
  const pending = new Set<Promise<void>>()
  const active = new Set<number>()
  let stopped = false
  const seconds = () => (context.now() - startAtMicros) / 1e6
  const track = (work: Promise<void>) => {
    pending.add(work)
    void work.finally(() => pending.delete(work))
  }

  const undo = async (i: number) => {
    if (!active.delete(i)) return
    const plan = plans[i]!
    const record = records[i]!
    try {
      const did = await perform(plan.action, 'undo', context)
      if (did) {
        record.endedAt = seconds()
        context.onEvent(`fault "${plan.name}" ended at ${record.endedAt.toFixed(1)}s`, false)
      }
    } catch (error) {
      record.error = `undo failed: ${message(error)}`
      context.onEvent(`fault "${plan.name}": ${record.error}`, true)
    }
  }

  plans.forEach((plan, i) => {
    const delayMs = Math.max(0, (startAtMicros + plan.atMicros - context.now()) / 1e3)
    timers.push(
      setTimeout(() => {
        if (stopped) return
        const record = records[i]!
        track(
          (async () => {
            try {
              await perform(plan.action, 'do', context)
              record.startedAt = seconds()
              active.add(i)
              context.onEvent(`fault "${plan.name}" started at ${record.startedAt.toFixed(1)}s`, false)
            } catch (error) {
              record.error = message(error)
              context.onEvent(`fault "${plan.name}" failed: ${record.error}`, true)
              return
            }
            if (plan.forMicros === undefined) return
            const endMs = Math.max(0, (startAtMicros + plan.atMicros + plan.forMicros - context.now()) / 1e3)
            timers.push(setTimeout(() => !stopped && track(undo(i)), endMs))
          })(),
        )
      }, delayMs),
    )
  })

  return {
    /** Cancels what has not started, waits for running actions, undoes what is in force. */
    async stop(): Promise<FaultRecord[]> {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      await Promise.allSettled([...pending])
      for (const i of [...active]) await undo(i)
      return records
    },
  }
}

/** Runs an action or its undo; resolves false when there is nothing to undo. */
async function perform(
  action: FaultAction,
  which: 'do' | 'undo',
  context: FaultRunnerContext,
): Promise<boolean> {
  if ('exec' in action) {
    const command = which === 'do' ? action.exec : action.undo
    if (command === undefined) return false
    await run(command)
    return true
  }
  if ('signal' in action) {
    const signal = which === 'do' ? action.signal : (action.undo ?? undoSignal(action.signal))
    if (signal === undefined) return false
    const file = path.resolve(context.baseDir, action.pidFile)
    const text = await readFile(file, 'utf8').catch(() => {
      throw new Error(`cannot read pid file ${file}`)
    })
    const pid = pidIn(text)
    if (pid === undefined)
      throw new Error(`pid file ${file} holds no pid (expected a number, or JSON with a "pid" number)`)
    try {
      process.kill(pid, signal as NodeJS.Signals)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const why =
        code === 'ESRCH'
          ? 'no such process (it has exited, or the pid file is stale)'
          : code === 'EPERM'
            ? 'not permitted (the process belongs to another user)'
            : message(error)
      throw new Error(`cannot send ${signal} to pid ${pid} from pid file ${file}: ${why}`)
    }
    return true
  }
  const name = which === 'do' ? action.pipeline : action.undo
  if (name === undefined) return false
  const call = context.pipelineActions?.[name]
  if (!call) throw new Error(`the pipeline has no action "${name}"`)
  await withTimeout(call(which === 'do' ? action.args : action.undoArgs), `pipeline action "${name}"`)
  return true
}

/**
 * The pid a pid file names: a plain number (`12345\n`, as most daemons write), or
 * JSON with a `pid` number, as the project's services harness writes
 * (`<CDCB_SERVICES_TMP>/kafka/kafka.pid`); undefined when it holds neither.
 */
export function pidIn(text: string): number | undefined {
  const trimmed = text.trim()
  let pid: unknown
  if (trimmed.startsWith('{')) {
    try {
      pid = (JSON.parse(trimmed) as { pid?: unknown }).pid
    } catch {
      return undefined
    }
  } else pid = /^\d+$/.test(trimmed) ? Number(trimmed) : undefined
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined
}

function run(command: string | readonly string[]): Promise<void> {
  const [file, ...args] = typeof command === 'string' ? ['/bin/sh', '-c', command] : command
  return new Promise((resolve, reject) => {
    execFile(file!, args, { timeout: ACTION_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve()
      const last = String(stderr).trim().split('\n').at(-1)
      reject(
        new Error(`${typeof command === 'string' ? command : command.join(' ')}: ${last || error.message}`),
      )
    })
  })
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${ACTION_TIMEOUT_MS / 1000}s`)),
      ACTION_TIMEOUT_MS,
    )
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
