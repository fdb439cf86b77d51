/**
 * Planned disturbances (`faults` in a config): at a time in the run, do
 * something to the pipeline under test, and undo it `for` later. Runs on the
 * main thread beside the ticker; each start and end is a run event.
 *
 * Actions:
 * - `{ exec: "cmd …" | ["cmd", …], undo? }`: runs a command (a string through
 *   /bin/sh) in the config file's folder and its own process group, waiting at
 *   most `ACTION_TIMEOUT_MS`; the whole group is killed on timeout and when the
 *   run stops, so a hanging command's children are not left behind;
 * - `{ signal: "SIGSTOP", pidFile }`: signals the process whose pid the file
 *   holds, as a number or as the services harness's JSON `{ "pid": … }`
 *   (SIGSTOP and SIGTSTP are undone with SIGCONT; other signals have no undo);
 * - `{ pipeline: "pause", args?, undo?, undoArgs? }`: calls an action of the
 *   config's `pipeline` part (e.g. Kafka Connect's pause and resume).
 *
 * A fault without `for` is a one-shot action, never undone; `checkFault` refuses
 * an undo without `for`, and a `for` that nothing undoes.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { constants } from 'node:os'
import path from 'node:path'
import { closest } from '../config/schema.js'

/** How long one action may take before it counts as failed. */
export const ACTION_TIMEOUT_MS = 30_000

export type FaultAction =
  | { readonly exec: string | readonly string[]; readonly undo?: string | readonly string[] }
  | { readonly signal: string; readonly pidFile: string }
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
  /**
   * True when the run stopped (Ctrl-C, abortOnFail) while the fault was in force and its undo ran
   * then, before `at + for`: the fault held for less than planned, so its recovery is unknown.
   */
  readonly cutShort?: true
}

/** The calls a pipeline part offers, by name. */
export type PipelineActions = Readonly<Record<string, (args?: Record<string, unknown>) => Promise<void>>>

export interface FaultRunnerContext {
  /** Folder relative paths (pid files) resolve against and commands run in: the config file's. */
  readonly baseDir: string
  readonly pipelineActions: PipelineActions | undefined
  /** How long one action may take; tests shorten it. @default ACTION_TIMEOUT_MS */
  readonly actionTimeoutMs?: number
  /** Epoch microseconds now (the run's clock). */
  readonly now: () => number
  /** A run event: shown live, and in the result's warnings when `warning` (a failure, a fault held short). */
  readonly onEvent: (message: string, warning: boolean) => void
}

/** The undo of a signal: SIGSTOP and SIGTSTP are undone by SIGCONT; no other signal has one. */
export function undoSignal(signal: string): string | undefined {
  return signal === 'SIGSTOP' || signal === 'SIGTSTP' ? 'SIGCONT' : undefined
}

/** A fault the config asks for that cannot run as written: where in the fault (`action.undo`, `for`) and why. */
export interface FaultProblem {
  readonly key: string
  readonly message: string
}

/**
 * Checks what can be checked before the run: signal names, that an undo has a
 * `for` to wait and a `for` has an undo to end it, that a pipeline action is not
 * its own undo, and pipeline action names once the pipeline part's actions are
 * known (`undefined`: not known yet; `undoOf`, when the plugin lists them, names
 * each action's counterpart).
 */
export function checkFault(
  plan: FaultPlan,
  pipeline:
    | {
        readonly name: string
        readonly actions: readonly string[]
        readonly undoOf?: (action: string) => string | undefined
      }
    | undefined,
): FaultProblem | undefined {
  const { action } = plan
  if ('signal' in action && !(action.signal in constants.signals)) {
    return {
      key: 'action.signal',
      message: `unknown signal "${action.signal}" (use a name such as SIGSTOP, SIGCONT, SIGTERM)`,
    }
  }
  if ('pipeline' in action && pipeline) {
    for (const [key, name] of [
      ['action.pipeline', action.pipeline],
      ['action.undo', action.undo],
    ] as const) {
      if (name === undefined || pipeline.actions.includes(name)) continue
      const suggestion = closest(name, pipeline.actions)
      return {
        key,
        message: `the ${pipeline.name} pipeline has no action "${name}"${suggestion ? ` — did you mean "${suggestion}"?` : ''} (its actions: ${pipeline.actions.join(', ') || 'none'})`,
      }
    }
  }
  // `{ pipeline: 'stall', undo: 'stall' }` stalled again at the fault's end: the fault was never undone.
  if ('pipeline' in action && action.undo === action.pipeline) {
    const counterpart = pipeline?.undoOf?.(action.pipeline)
    return {
      key: 'action.undo',
      message: `'${action.undo}' is the action itself — ${counterpart ? `use '${counterpart}'` : 'name the action that reverses it'}`,
    }
  }
  return checkUndo(plan)
}

/** A fault's `for` and its undo go together: one without the other does not do what the config says. */
function checkUndo(plan: FaultPlan): FaultProblem | undefined {
  const { action } = plan
  const undo = 'signal' in action ? undoSignal(action.signal) : action.undo
  if (plan.forMicros === undefined && undo !== undefined) {
    return 'signal' in action
      ? {
          key: 'for',
          message: `is required — ${action.signal} is undone with ${undo}, and "for" says when (without it the process would stay stopped)`,
        }
      : {
          key: 'action.undo',
          message: `a fault without "for" is a one-shot action, never undone — add "for" (how long the fault lasts), or remove "undo"`,
        }
  }
  if (plan.forMicros !== undefined && undo === undefined) {
    return {
      key: 'for',
      message:
        'signal' in action
          ? `nothing undoes ${action.signal} (only SIGSTOP and SIGTSTP are, with SIGCONT) — remove "for" for a one-shot fault`
          : `the action has no "undo", so nothing ends the fault after "for" — add an undo${'exec' in action ? ' command' : ' action'}, or remove "for" for a one-shot fault`,
    }
  }
  return undefined
}

/**
 * Runs the faults against the schedule's start; `stop` kills the commands still
 * running, undoes every fault still in force (a SIGSTOPped broker is always
 * continued) and returns the records.
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
  const timeoutMs = context.actionTimeoutMs ?? ACTION_TIMEOUT_MS
  const commands = new CommandGroups(context.baseDir, timeoutMs)
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
      const did = await perform(plan.action, 'undo', context, commands)
      if (did) {
        record.endedAt = seconds()
        context.onEvent(`fault "${plan.name}" ended at ${record.endedAt.toFixed(1)}s`, false)
        if (!stopped) warnIfHeldShort(plan, record, context)
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
            const launchedAt = seconds()
            try {
              await perform(plan.action, 'do', context, commands)
              record.startedAt = seconds()
              context.onEvent(`fault "${plan.name}" started at ${record.startedAt.toFixed(1)}s`, false)
            } catch (error) {
              // The command did run: "never started" would hide that it hung until the run stopped.
              record.error =
                error instanceof KilledAtStop
                  ? `its command, started at ${launchedAt.toFixed(1)}s, ${error.message}`
                  : message(error)
              context.onEvent(`fault "${plan.name}" failed: ${record.error}`, true)
              return
            }
            // Without `for` the fault is a one-shot action: nothing to undo, now or when the run stops.
            if (plan.forMicros === undefined) return
            active.add(i)
            const endMs = Math.max(0, (startAtMicros + plan.atMicros + plan.forMicros - context.now()) / 1e3)
            timers.push(setTimeout(() => !stopped && track(undo(i)), endMs))
          })(),
        )
      }, delayMs),
    )
  })

  return {
    /** Cancels what has not started, kills the commands still running, undoes what is in force. */
    async stop(): Promise<FaultRecord[]> {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      commands.killAll()
      await Promise.allSettled([...pending])
      for (const i of [...active]) {
        // Undone before its time: the fault measured is not the one planned, and its recovery is unknown.
        const plan = plans[i]!
        const plannedEnd = (plan.atMicros + (plan.forMicros ?? 0)) / 1e6
        const now = seconds()
        if (now < plannedEnd) {
          records[i]!.cutShort = true
          context.onEvent(
            `fault "${plan.name}" cut short: the run stopped at ${now.toFixed(1)}s, before its planned end at ${plannedEnd.toFixed(1)}s, and undid it then — its recovery is unknown`,
            true,
          )
        }
        await undo(i)
      }
      return records
    },
  }
}

/**
 * Says so when a fault was in force for much less than its `for`: an action slower than `for` leaves
 * the undo nothing to wait for, and the recovery measured is that of a fault that hardly happened.
 */
function warnIfHeldShort(plan: FaultPlan, record: FaultRecord, context: FaultRunnerContext): void {
  if (plan.forMicros === undefined || record.startedAt === null || record.endedAt === null) return
  const held = record.endedAt - record.startedAt
  const planned = plan.forMicros / 1e6
  if (held >= planned * 0.9) return
  const took = record.startedAt - record.at
  context.onEvent(
    `fault "${plan.name}" was in force ${held.toFixed(1)}s, not the ${formatSeconds(planned)} of its "for": its action took ${took.toFixed(1)}s to complete — lengthen "for" or make the action faster`,
    true,
  )
}

function formatSeconds(value: number): string {
  return `${Number(value.toFixed(3))}s`
}

/** Runs an action or its undo; resolves false when there is nothing to undo. */
async function perform(
  action: FaultAction,
  which: 'do' | 'undo',
  context: FaultRunnerContext,
  commands: CommandGroups,
): Promise<boolean> {
  if ('exec' in action) {
    const command = which === 'do' ? action.exec : action.undo
    if (command === undefined) return false
    // The fault's own command is in its config (its name says which); an undo's is named, as nothing else does.
    await commands.run(command).catch((error: unknown) => {
      throw which === 'undo' ? new Error(`${showCommand(command)}: ${message(error)}`) : error
    })
    return true
  }
  if ('signal' in action) {
    const signal = which === 'do' ? action.signal : undoSignal(action.signal)
    if (signal === undefined) return false
    await sendSignal(signal, action.pidFile, context.baseDir)
    return true
  }
  const name = which === 'do' ? action.pipeline : action.undo
  if (name === undefined) return false
  const call = context.pipelineActions?.[name]
  if (!call) throw new Error(`the pipeline has no action "${name}"`)
  await withTimeout(
    call(which === 'do' ? action.args : action.undoArgs),
    `pipeline action "${name}"`,
    context.actionTimeoutMs ?? ACTION_TIMEOUT_MS,
  )
  return true
}

/**
 * Whether a signal fault's pid file names a running process, checked before the load starts (once
 * the pipeline parts are up: one may start the process): a missing file found only when the fault
 * fired failed the run after it had written its load. Undefined when it does.
 */
export async function checkPidFile(plan: FaultPlan, baseDir: string): Promise<FaultProblem | undefined> {
  const { action } = plan
  if (!('signal' in action)) return undefined
  const file = path.resolve(baseDir, action.pidFile)
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => error)
  if (typeof text !== 'string') {
    const why = text.code === 'ENOENT' ? 'does not exist' : `cannot be read (${text.code ?? text.message})`
    return {
      key: 'action.pidFile',
      message: `${file} ${why} — start the process first, or fix the path (a relative one resolves against the config file's folder)`,
    }
  }
  const pid = pidIn(text)
  if (pid === undefined)
    return {
      key: 'action.pidFile',
      message: `${file} holds no pid — it must hold a number, or JSON with a "pid" number`,
    }
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH')
      return {
        key: 'action.pidFile',
        message: `${file} names pid ${pid}, which is not running (the pid file is stale) — start the process first`,
      }
  }
  return undefined
}

async function sendSignal(signal: string, pidFile: string, baseDir: string): Promise<void> {
  const file = path.resolve(baseDir, pidFile)
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

/** A command killed because the run stopped while it was still running (not a timeout, not its own failure). */
class KilledAtStop extends Error {
  constructor() {
    super('was still running when the run stopped and was killed')
  }
}

/** How much of a command's stderr is kept: its last line is all a failure shows. */
const STDERR_KEPT_BYTES = 4096

/** How long after a command exits its stderr may still be read, when a child it left holds the pipe open. */
const STDERR_GRACE_MS = 200

/** Process groups of the commands running now, in every runner: killed if cdcb exits with them still running. */
const runningGroups = new Set<number>()
let exitHookInstalled = false

/**
 * The exec actions' commands of one run: each in its own process group (a
 * command through /bin/sh forks its program; killing the shell alone would
 * orphan it), in the config file's folder, killed as a whole group on timeout
 * and when the run stops.
 */
class CommandGroups {
  private readonly running = new Map<ChildProcess, (why: string) => void>()

  constructor(
    private readonly cwd: string,
    private readonly timeoutMs: number,
  ) {
    if (!exitHookInstalled) {
      exitHookInstalled = true
      // A second Ctrl-C or an uncaught error exits without `stop`: the groups must not outlive cdcb.
      process.on('exit', () => {
        for (const group of runningGroups) killGroup(group)
      })
    }
  }

  /** Runs a command to its end; rejects with one line: its exit code and last stderr line, or why it was killed. */
  run(command: string | readonly string[]): Promise<void> {
    const [file, ...args] = typeof command === 'string' ? ['/bin/sh', '-c', command] : command
    return new Promise((resolve, reject) => {
      let stderr = ''
      // Why it was killed: a timeout's one-line reason, or `stop` when the run stopped.
      let killedFor: string | undefined
      const child = spawn(file!, args, { cwd: this.cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
      const group = child.pid
      if (group !== undefined) runningGroups.add(group)
      const kill = (why: string) => {
        killedFor ??= why
        if (group !== undefined) killGroup(group)
      }
      this.running.set(child, kill)
      const timer = setTimeout(
        () =>
          kill(
            `did not finish within ${formatSeconds(this.timeoutMs / 1000)} (killed with its child processes)`,
          ),
        this.timeoutMs,
      )
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT_BYTES)
      })
      let settled = false
      const settle = (outcome: string | undefined) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.running.delete(child)
        if (group !== undefined) runningGroups.delete(group)
        child.stderr!.destroy()
        if (outcome === undefined) resolve()
        else reject(outcome === 'stop' ? new KilledAtStop() : new Error(outcome))
      }
      child.on('error', (error) => settle(`cannot run it: ${error.message}`))
      const exited = (code: number | null, signal: NodeJS.Signals | null) => {
        const last = lastLine(stderr)
        if (killedFor !== undefined) settle(killedFor)
        else if (code === 0) settle(undefined)
        else if (code !== null) settle(`exit code ${code}${last ? `: ${last}` : ''}`)
        else settle(`killed by ${signal}${last ? `: ${last}` : ''}`)
      }
      // 'close' comes once stderr is read to its end; a child left in the background may hold it open,
      // so the command's own exit settles it a moment later.
      child.on('close', exited)
      child.on('exit', (code, signal) => setTimeout(() => exited(code, signal), STDERR_GRACE_MS).unref())
    })
  }

  /** Kills every command still running, with its whole process group, as the run stops; each fails with `KilledAtStop`. */
  killAll(): void {
    for (const kill of this.running.values()) kill('stop')
  }
}

/** SIGKILLs a process group; one already gone is no error. */
function killGroup(group: number): void {
  try {
    process.kill(-group, 'SIGKILL')
  } catch {
    // The group has exited already.
  }
}

/** The last non-empty line of a command's stderr, without control characters (it goes into a one-line reason). */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => oneLine(line).trim())
  return lines.filter((line) => line !== '').at(-1) ?? ''
}

/**
 * A command as a message shows it: a shell string as written, a list with each argument that needs
 * it single-quoted as a shell would take it (`sh -c 'echo x; exit 4'`), so its boundaries show.
 */
export function showCommand(command: string | readonly string[]): string {
  if (typeof command === 'string') return oneLine(command)
  return command
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .map(oneLine)
    .join(' ')
}

/** Text for a one-line message: line breaks become spaces, other control characters go. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '')
}

function withTimeout<T>(work: Promise<T>, what: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${formatSeconds(timeoutMs / 1000)}`)),
      timeoutMs,
    )
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
