import { availableParallelism } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError } from '../errors.js'
import type { Mix } from '../load/keyspace.js'
import { createSchedule, type Schedule, type StagePlan } from '../load/schedule.js'
import {
  formatShard,
  parseShard,
  parseStartAt,
  type RunShard,
  START_AT_MAX_AHEAD_MICROS,
  START_AT_TOLERANCE_MICROS,
} from '../load/shard.js'
import { MAX_SEQ } from '../metrics/tracker.js'
import type { PipelineActionList, Slot } from '../plugin.js'
import { checkFault, type FaultAction, type FaultPlan } from '../scenarios/faults.js'
import { DEFAULT_SLO, parseSlo, type SloExpression, sloExpressions } from '../slo/parser.js'
import { parseDurationMicros } from '../units.js'
import { checkSlot, importPlugin, resolvePluginModule } from './plugin-loader.js'
import { assertCloneable, validatePluginOptions } from './plugin-options.js'
import { checkOverride, type ParsedConfig, parseUserConfig } from './schema.js'

/** A plugin in a slot, resolved to a module URL every worker can import, with validated options. */
export interface ResolvedPlugin {
  /** The name as the config wrote it. */
  readonly name: string
  readonly moduleUrl: string
  readonly options: unknown
}

/** A reporter: a built-in by name, or a plugin. */
export type ResolvedReporter =
  | {
      readonly kind: 'builtin'
      readonly name: string
      readonly options: Record<string, unknown>
      /** The command-line flag that asked for it (`--out`), for messages; undefined for a config entry. */
      readonly flag?: string
    }
  | { readonly kind: 'plugin'; readonly plugin: ResolvedPlugin }

export interface ResolvedLoad {
  readonly model: 'open' | 'closed'
  /** Open model: the whole schedule, warmup first. Closed model: one segment of rate 0 giving the duration. */
  readonly schedule: Schedule
  readonly warmupMicros: number
  /** Length of the load phase, warmup included. */
  readonly totalMicros: number
  readonly concurrency: number
  readonly maxInFlight: number
  readonly batchSize: number
  readonly mix: Mix
  readonly keys: number
  readonly payloadSize: number
  readonly seed: number
  readonly drainTimeoutMicros: number
  readonly lateAfterMicros: number
}

/** A config after validation and defaults; built once by `resolveConfig`, read-only after. */
export interface ResolvedConfig {
  readonly name: string
  readonly configPath: string | undefined
  readonly source: ResolvedPlugin
  readonly sink: ResolvedPlugin
  readonly verify: ResolvedPlugin | undefined
  readonly pipeline: ResolvedPlugin | undefined
  readonly verifySample: number
  readonly load: ResolvedLoad
  readonly workers: number
  readonly intervalMicros: number
  readonly slo: readonly SloExpression[]
  readonly abortOnFail: boolean
  readonly reporters: readonly ResolvedReporter[]
  /** Planned disturbances, in the config's order. */
  readonly faults: readonly FaultPlan[]
  /** The config file's folder (the current folder without one): its relative paths (reporters' files, faults' pid files) resolve against it. */
  readonly baseDir: string
  readonly recovery: { readonly baselineSeconds: number; readonly latencyFactor: number }
  /** This process's shard of the run (`--shard`, `shard`); undefined for a run in one process. */
  readonly shard: RunShard | undefined
  /** The run id given (`--run-id`, `runId`); a random one otherwise. */
  readonly runId: string | undefined
  /** When the schedule starts, epoch µs (`--start-at`, `startAt`); as soon as the workers are ready otherwise. */
  readonly startAtMicros: number | undefined
}

/**
 * Command-line flags that override the config, as numbers where the text read
 * as one; each is checked exactly as the key it overrides (ConfigError naming the flag).
 */
export interface ConfigOverrides {
  rate?: number | string
  duration?: string
  workers?: number | string
  seed?: number | string
  /** `--shard INDEX/COUNT`. */
  shard?: string
  /** `--run-id`. */
  runId?: string
  /** `--start-at`: epoch seconds or ISO 8601. */
  startAt?: number | string
}

/** Names of the reporters built into cdcb (the CLI adds `tui`). */
export const BUILT_IN_REPORTERS = ['plain', 'summary', 'json', 'junit', 'tui'] as const

const DEFAULT_MIX = { insert: 70, update: 20, delete: 10 }

/**
 * Validates a config object and applies defaults and overrides; imports each
 * plugin once to validate its options. Throws ConfigError naming the first problem.
 */
export async function resolveConfig(
  raw: unknown,
  options: {
    configPath?: string
    origin?: string
    overrides?: ConfigOverrides
    /** Only the config's SLOs are wanted (`cdcb merge --config`): a start time in the past is no error. */
    sloOnly?: boolean
  } = {},
): Promise<ResolvedConfig> {
  const origin = options.origin ?? (options.configPath ? path.basename(options.configPath) : 'config')
  const config = applyOverrides(parseUserConfig(raw, origin), options.overrides ?? {}, origin)
  const configDir = options.configPath ? path.dirname(options.configPath) : process.cwd()
  const searchFrom = [configDir, process.cwd(), path.dirname(fileURLToPath(import.meta.url))]

  // Every plugin problem names the file and the slot: `bench.config.ts: sink.plugin: …`, `… source.options.url: …`.
  const resolvePlugin = async (slot: Slot, where: string, ref: { plugin: string; options?: unknown }) => {
    try {
      return await resolvePluginIn(slot, where, ref)
    } catch (error) {
      if (!(error instanceof ConfigError) || error.message.startsWith(`${origin}: `)) throw error
      const named = error.message.startsWith(`${where}.`) || error.message.startsWith(`${slot}:`)
      throw new ConfigError(`${origin}: ${named ? '' : `${where}.plugin: `}${error.message}`)
    }
  }
  const resolvePluginIn = async (slot: Slot, where: string, ref: { plugin: string; options?: unknown }) => {
    const moduleUrl = resolvePluginModule(ref.plugin, searchFrom)
    const plugin = await importPlugin(moduleUrl, ref.plugin)
    checkSlot(plugin, slot, ref.plugin)
    const unset = firstUndefined(ref.options, `${where}.options`)
    if (unset) {
      throw new ConfigError(
        `${origin}: ${unset}: is undefined — is it read from an environment variable that is not set? ` +
          'Set the variable, or remove the key (cdcb never guesses a server)',
      )
    }
    if (plugin.optionsIn && !plugin.optionsIn.includes(slot) && Object.keys(ref.options ?? {}).length > 0) {
      throw new ConfigError(
        `${origin}: ${where}.options: the ${ref.plugin} ${slot} takes no options (they would be ignored) — ` +
          `set them on ${plugin.optionsIn.join(' or ')}.options instead, or remove them`,
      )
    }
    const validated = await validatePluginOptions(plugin.options, ref.options, where)
    // Reporters and the pipeline part stay on the main thread; every other part's options are cloned into the workers.
    if (slot !== 'reporter' && slot !== 'pipeline') assertCloneable(validated, where)
    return { name: ref.plugin, moduleUrl, options: validated }
  }

  const sharding = resolveSharding(config, options.overrides ?? {}, origin, options.sloOnly === true)
  const load = resolveLoad(config, origin, sharding.runId)
  const workers = config.workers ?? Math.max(1, availableParallelism())
  const planWorkers = workers * (sharding.shard?.count ?? 1)
  if (load.keys < planWorkers) {
    throw new ConfigError(
      sharding.shard
        ? `${origin}: load.keys (${load.keys}) must be at least workers × shards (${planWorkers}) — raise load.keys`
        : `${origin}: load.keys (${load.keys}) must be at least workers (${workers}) — raise load.keys`,
    )
  }
  const parse = (expression: string) => {
    try {
      return parseSlo(expression)
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`${origin}: ${error.message}`)
      throw error
    }
  }
  const configured = sloExpressions(config.slo ?? {}).map(parse)
  const needsVerifier = configured.find((s) => s.metric.kind === 'counter' && s.metric.name === 'verified')
  if (needsVerifier && !config.verify) {
    throw new ConfigError(
      `${origin}: slo: "${needsVerifier.source}" needs a verifier, and this config has none — add verify: (e.g. the sink's plugin), or remove the SLO`,
    )
  }
  const intervalMicros = micros(config.interval, 1e6)
  for (const expression of configured) checkWindow(expression, load, intervalMicros, origin)
  // A run is never judged on nothing: with no SLO, cdcb holds it to the defaults and says so.
  const slo =
    configured.length > 0
      ? configured
      : DEFAULT_SLO.map((source) => ({ ...parseSlo(source), isDefault: true }))

  const source = await resolvePlugin('source', 'source', config.source)
  const sink = await resolvePlugin('sink', 'sink', config.sink)
  const verify = config.verify ? await resolvePlugin('verify', 'verify', config.verify) : undefined

  const pipeline = config.pipeline ? await resolvePlugin('pipeline', 'pipeline', config.pipeline) : undefined
  // A misspelt action is found now, before a server is touched, when the plugin names its part's actions.
  const pipelineActions = pipeline && (await importPlugin(pipeline.moduleUrl, pipeline.name)).pipelineActions
  const faults = resolveFaults(
    config,
    load,
    origin,
    pipeline && pipelineActions ? { name: pipeline.name, actions: pipelineActions } : undefined,
  )
  const reporters: ResolvedReporter[] = []
  for (const [index, spec] of (config.reporters ?? []).entries()) {
    const [name, reporterOptions] =
      typeof spec === 'string' ? [spec, {}] : Array.isArray(spec) ? spec : [undefined, {}]
    if (name !== undefined) {
      if (!(BUILT_IN_REPORTERS as readonly string[]).includes(name)) {
        throw new ConfigError(
          `${origin}: reporters.${index}: unknown reporter "${name}" (built in: ${BUILT_IN_REPORTERS.join(', ')}; or use { plugin: "<package>" })`,
        )
      }
      reporters.push({
        kind: 'builtin',
        name,
        options: resolveReportFile(reporterOptions as Record<string, unknown>, configDir),
      })
    } else {
      const ref = spec as { plugin: string; options?: unknown }
      reporters.push({ kind: 'plugin', plugin: await resolvePlugin('reporter', `reporters.${index}`, ref) })
    }
  }

  return {
    name:
      config.name ??
      (options.configPath ? path.basename(options.configPath).replace(/\.[^.]+$/, '') : 'cdcb'),
    configPath: options.configPath,
    source,
    sink,
    verify,
    pipeline,
    verifySample: config.verifySample ?? 1,
    load,
    workers,
    intervalMicros,
    slo,
    abortOnFail: config.abortOnFail ?? false,
    reporters,
    faults,
    baseDir: configDir,
    recovery: {
      baselineSeconds: micros(config.recovery?.baseline, 10e6) / 1e6,
      latencyFactor: config.recovery?.latencyFactor ?? 2,
    },
    ...sharding,
  }
}

/**
 * A built-in reporter's `file`, resolved against the config's folder: a path in a config means the same
 * file wherever cdcb is started from, as a fault's pidFile does (flags, typed at the prompt, are relative
 * to the current folder).
 */
function resolveReportFile(options: Record<string, unknown>, configDir: string): Record<string, unknown> {
  const file = options.file
  return typeof file === 'string' && file !== ''
    ? { ...options, file: path.resolve(configDir, file) }
    : options
}

/**
 * The shard, run id and start time, from the flags or else the config's keys;
 * each problem names the flag or key it came from. A shard of several needs a
 * run id and a start time (shards must recognise each other's events and start
 * together), and a start time already past is refused, not silently moved.
 */
function resolveSharding(
  config: ParsedConfig,
  overrides: ConfigOverrides,
  origin: string,
  sloOnly: boolean,
): Pick<ResolvedConfig, 'shard' | 'runId' | 'startAtMicros'> {
  const name = (flag: string, key: string, fromFlag: boolean) =>
    fromFlag ? `--${flag}` : `${origin}: ${key}`
  const shardText = overrides.shard ?? config.shard
  const shard = shardText === undefined ? undefined : (parseShard(shardText) as RunShard)
  const runId = overrides.runId ?? config.runId
  const startText = overrides.startAt ?? config.startAt
  const startAtMicros = startText === undefined ? undefined : (parseStartAt(startText) as number)
  const shardName = name('shard', 'shard', overrides.shard !== undefined)
  if (shard && shard.count > 1 && runId === undefined) {
    throw new ConfigError(
      `${shardName}: shard ${formatShard(shard)} needs a run id shared by every shard, so each recognises the run's events — add --run-id ID (or runId)`,
    )
  }
  if (shard && shard.count > 1 && startAtMicros === undefined) {
    throw new ConfigError(
      `${shardName}: shard ${formatShard(shard)} needs a start time shared by every shard — add --start-at T (or startAt), epoch seconds or ISO 8601`,
    )
  }
  if (shard && shard.count > 1 && config.pipeline) {
    throw new ConfigError(
      `${shardName}: the config's pipeline part is set up and torn down by the process that runs it, so each of ${shard.count} shards would do it again — set the pipeline up yourself and remove pipeline:, or run in one process`,
    )
  }
  if (startAtMicros !== undefined && !sloOnly) {
    const past = Date.now() * 1e3 - startAtMicros
    if (past > START_AT_TOLERANCE_MICROS) {
      throw new ConfigError(
        `${name('start-at', 'startAt', overrides.startAt !== undefined)}: ${new Date(startAtMicros / 1e3).toISOString()} is ${(past / 1e6).toFixed(1)}s in the past (at most ${START_AT_TOLERANCE_MICROS / 1e6}s is allowed) — give a later start time`,
      )
    }
    if (-past > START_AT_MAX_AHEAD_MICROS) {
      throw new ConfigError(
        `${name('start-at', 'startAt', overrides.startAt !== undefined)}: ${new Date(startAtMicros / 1e3).toISOString()} is ${(-past / 3600e6).toFixed(1)} h ahead (at most ${START_AT_MAX_AHEAD_MICROS / 3600e6} h is allowed: each shard would wait holding what it prepared) — give a start time within ${START_AT_MAX_AHEAD_MICROS / 3600e6} h, as epoch seconds or ISO 8601`,
      )
    }
  }
  return { shard, runId, startAtMicros }
}

/** Checks each flag exactly as the config key it overrides; throws ConfigError naming the flag. */
export function checkOverrides(overrides: ConfigOverrides): void {
  for (const flag of ['rate', 'duration', 'workers', 'seed', 'shard'] as const) {
    if (overrides[flag] !== undefined) checkOverride(flag, overrides[flag])
  }
  if (overrides.runId !== undefined) checkOverride('run-id', overrides.runId)
  if (overrides.startAt !== undefined) checkOverride('start-at', overrides.startAt)
}

/**
 * The path of the first key whose value is `undefined` in plugin options. A
 * config writes `url: process.env.SOURCE_URL`; with the variable unset the
 * key is there but empty, and a driver would fall back to its own defaults
 * (libpq's PGHOST, localhost) and benchmark a server the config never named.
 */
function firstUndefined(value: unknown, at: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (Object.getPrototypeOf(value) !== Object.prototype && !Array.isArray(value)) return undefined
  for (const [key, child] of Object.entries(value)) {
    const keyPath = `${at}.${key}`
    if (child === undefined) return keyPath
    const inner = firstUndefined(child, keyPath)
    if (inner) return inner
  }
  return undefined
}

function resolveFaults(
  config: ParsedConfig,
  load: ResolvedLoad,
  origin: string,
  pipeline: { readonly name: string; readonly actions: PipelineActionList } | undefined,
): FaultPlan[] {
  checkRecoveryBaseline(config, load, origin)
  const plans = (config.faults ?? []).map((fault, i) => {
    const plan: FaultPlan = {
      name: fault.name ?? defaultFaultName(fault.action, i, config.faults!),
      atMicros: micros(fault.at, 0),
      forMicros: fault.for === undefined ? undefined : micros(fault.for, 0),
      action: withImpliedUndo(fault.action, fault.for !== undefined, pipeline?.actions),
    }
    const problem = checkFault(
      plan,
      pipeline && {
        name: pipeline.name,
        actions: Object.keys(pipeline.actions),
        undoOf: (name) => pipeline.actions[name]?.undo,
      },
    )
    if (problem) throw new ConfigError(`${origin}: faults.${i}.${problem.key}: ${problem.message}`)
    // A plugin that does not list its part's actions has them checked once the part exists, before the load.
    if ('pipeline' in plan.action && !config.pipeline) {
      throw new ConfigError(
        `${origin}: faults.${i}.action: calls pipeline action "${plan.action.pipeline}" but the config has no pipeline part — add one (e.g. kafkaConnect(...)) or use an exec or signal action`,
      )
    }
    if (plan.atMicros >= load.totalMicros) {
      throw new ConfigError(
        `${origin}: faults.${i}.at: ${fault.at} is after the load ends (${load.totalMicros / 1e6}s with the warmup) — move it earlier`,
      )
    }
    // Undone after the load ended, its recovery could never be measured ("never recovered within the run").
    if (plan.forMicros !== undefined && plan.atMicros + plan.forMicros > load.totalMicros) {
      throw new ConfigError(
        `${origin}: faults.${i}.for: at ${fault.at} + for ${fault.for} ends at ${(plan.atMicros + plan.forMicros) / 1e6}s, after the load ends (${load.totalMicros / 1e6}s with the warmup) — shorten it, start it earlier or lengthen the load`,
      )
    }
    return plan
  })
  // Results, events and recovery lines name faults: two of one name cannot be told apart.
  plans.forEach((plan, i) => {
    const first = plans.findIndex((p) => p.name === plan.name)
    if (first !== i) {
      throw new ConfigError(
        `${origin}: faults.${i}.name: "${plan.name}" is also faults.${first}'s name — give each fault its own name (faults.N.name)`,
      )
    }
  })
  return plans
}

/** A pipeline fault with `for` and no `undo` is undone with the action its plugin names (`stall` → `resume`). */
function withImpliedUndo(
  action: FaultAction,
  lasts: boolean,
  actions: PipelineActionList | undefined,
): FaultAction {
  if (!lasts || !('pipeline' in action) || action.undo !== undefined) return action
  const undo = actions?.[action.pipeline]?.undo
  return undo === undefined ? action : { ...action, undo }
}

/** recovery.baseline no longer than the load: a baseline reaching back past the run's start is not what was asked for. */
function checkRecoveryBaseline(config: ParsedConfig, load: ResolvedLoad, origin: string): void {
  const baseline = config.recovery?.baseline
  if (baseline === undefined) return
  if (micros(baseline, 0) > load.totalMicros) {
    throw new ConfigError(
      `${origin}: recovery.baseline: ${baseline} is longer than the load (${load.totalMicros / 1e6}s with the warmup) — use a baseline shorter than the time before the first fault or burst`,
    )
  }
}

/** How long a default exec fault name may be: it is printed in every line about the fault. */
const DEFAULT_NAME_CHARS = 30

/**
 * A fault without a name is named by its action: its signal, its pipeline action, or its command's
 * program (`docker`, `kill-broker.sh`), not the whole command — that made one error line repeat it
 * three times. A default shared with an earlier fault gets its place (`docker (faults.2)`).
 */
function defaultFaultName(
  action: FaultAction,
  index: number,
  faults: readonly { name?: string; action: FaultAction }[],
): string {
  const name = actionName(action)
  const taken = faults.slice(0, index).some((f) => (f.name ?? actionName(f.action)) === name)
  return taken ? `${name} (faults.${index})` : name
}

function actionName(action: FaultAction): string {
  if ('signal' in action) return action.signal
  if ('pipeline' in action) return action.pipeline
  const program =
    (typeof action.exec === 'string' ? action.exec.trim().split(/\s+/)[0] : action.exec[0]) ?? ''
  const name = program.split('/').filter(Boolean).at(-1) ?? 'exec'
  return name.length > DEFAULT_NAME_CHARS ? `${name.slice(0, DEFAULT_NAME_CHARS - 1)}…` : name
}

function applyOverrides(config: ParsedConfig, overrides: ConfigOverrides, origin: string): ParsedConfig {
  const load = { ...config.load }
  checkOverrides(overrides)
  // Stages make the whole plan; a duration beside them would be silently ignored (--duration replaces the stages).
  if (load.duration !== undefined && load.stages !== undefined) {
    throw new ConfigError(
      `${origin}: load.duration: cannot be combined with load.stages — the stages' durations make the plan; remove load.duration, or add it as a stage`,
    )
  }
  if (overrides.rate !== undefined) {
    load.rate = overrides.rate as number
    delete load.stages
    delete load.concurrency
  }
  if (overrides.duration !== undefined) {
    load.duration = overrides.duration
    delete load.stages
  }
  if (overrides.seed !== undefined) load.seed = overrides.seed as number
  // A closed model has no rate: a load.rate beside load.concurrency was silently ignored (ran at 277.8k/s, not 100/s).
  if (load.concurrency !== undefined && load.rate !== undefined) {
    throw new ConfigError(
      `${origin}: load.rate: cannot be combined with load.concurrency — the closed model's writers send as fast as acks come back and have no rate; remove load.rate (or load.concurrency for an open model at that rate)`,
    )
  }
  if (load.concurrency !== undefined && load.stages !== undefined) {
    throw new ConfigError(
      `${origin}: load.concurrency (closed model) cannot be combined with load.stages (open model)`,
    )
  }
  return { ...config, load, workers: (overrides.workers as number | undefined) ?? config.workers }
}

/**
 * `runId`: the run id given (`--run-id`, `runId`). Without a configured seed, every shard
 * of a run must still draw the same seed (it picks each operation's key and payload, so a
 * shard checks another's digests and the shards' keys add up to one process's), so a given
 * run id derives it — and one process given the same run id runs the very same plan. A run
 * with neither draws a random one.
 */
function resolveLoad(config: ParsedConfig, origin: string, runId?: string): ResolvedLoad {
  const load = config.load ?? {}
  const warmupMicros = micros(load.warmup, 0)
  const rate = load.rate ?? 1000
  const durationMicros = micros(load.duration, 30e6)
  const model = load.concurrency !== undefined ? 'closed' : 'open'

  let stages: StagePlan[]
  if (model === 'closed') {
    stages = [{ durationMicros: warmupMicros + durationMicros, rate: 0 }]
  } else if (load.stages) {
    // The level the plan starts at: load.rate, else the first stage's held rate, else 0
    // for a first ramp (as in k6). The warmup holds it, so the plan after the warmup is
    // the same as without one; holding a ramp's target would flatten the ramp.
    const first = load.stages[0]!
    const initialRate = load.rate ?? first.rate ?? 0
    stages = load.stages.map((s) => {
      const stageMicros = micros(s.duration, 0)
      return s.rate !== undefined
        ? { durationMicros: stageMicros, rate: s.rate }
        : { durationMicros: stageMicros, target: s.target! }
    })
    if (warmupMicros > 0) stages.unshift({ durationMicros: warmupMicros, rate: initialRate })
  } else {
    stages = [{ durationMicros: warmupMicros + durationMicros, rate }]
  }
  if (stages.some((s) => s.durationMicros <= 0) && model === 'open') {
    throw new ConfigError(`${origin}: load: every stage and the duration must be longer than 0`)
  }
  // Ramps start from load.rate, or from 0 as in k6. A warmup holds the rate the plan starts at, so the plan
  // after it is the same as without one.
  const schedule = createSchedule(model === 'open' ? (load.rate ?? 0) : 0, stages)
  if (schedule.plannedOperations > MAX_SEQ) {
    throw new ConfigError(
      `${origin}: load plans ${schedule.plannedOperations} operations, more than one run can track (${MAX_SEQ}) — shorten the duration or lower the rate`,
    )
  }
  const mix = load.mix ?? DEFAULT_MIX
  const totalShare = (mix.insert ?? 0) + (mix.update ?? 0) + (mix.delete ?? 0)
  return {
    model,
    schedule,
    warmupMicros,
    totalMicros: schedule.totalMicros,
    concurrency: load.concurrency ?? 0,
    maxInFlight: load.maxInFlight ?? 10_000,
    batchSize: load.batchSize ?? 1000,
    mix: {
      insert: (mix.insert ?? 0) / totalShare,
      update: (mix.update ?? 0) / totalShare,
      delete: (mix.delete ?? 0) / totalShare,
    },
    keys: load.keys ?? 100_000,
    payloadSize: load.payloadSize ?? 100,
    seed: load.seed ?? (runId !== undefined ? seedOfRunId(runId) : Math.floor(Math.random() * 0x7fffffff)),
    drainTimeoutMicros: micros(load.drainTimeout, 30e6),
    lateAfterMicros: micros(load.lateAfter, 10e3),
  }
}

/** A whole seed in [0, 2³¹ − 1) from a run id (FNV-1a over its UTF-16 units): the same id gives the same seed on every machine. */
export function seedOfRunId(runId: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < runId.length; i++) hash = Math.imul(hash ^ runId.charCodeAt(i), 0x01000193) >>> 0
  return hash % 0x7fffffff
}

function micros(value: string | number | undefined, fallback: number): number {
  return value === undefined ? fallback : parseDurationMicros(value)!
}

/**
 * A windowed SLO's window must be a whole number of reporting intervals (worker
 * snapshots are what a window is made of), no longer than the measured run, and
 * start on a reporting tick (the warmup a whole number of intervals). Throws a
 * one-line ConfigError naming the expression and the fix.
 */
function checkWindow(expression: SloExpression, load: ResolvedLoad, intervalMicros: number, origin: string) {
  const window = expression.windowMicros
  if (window === undefined) return
  const fail = (problem: string) => {
    throw new ConfigError(`${origin}: slo: "${expression.source}": ${problem}`)
  }
  const s = (micros: number) => `${micros / 1e6}s`
  const measured = load.totalMicros - load.warmupMicros
  if (window < intervalMicros)
    fail(
      `the window (${s(window)}) is shorter than the reporting interval (${s(intervalMicros)}) — use a window of at least ${s(intervalMicros)}, or a shorter interval`,
    )
  if (window % intervalMicros !== 0)
    fail(
      `the window (${s(window)}) is not a whole number of reporting intervals (${s(intervalMicros)}) — use a multiple of ${s(intervalMicros)}`,
    )
  if (window > measured)
    fail(
      `the window (${s(window)}) is longer than the measured run (${s(measured)}) — use a window of at most ${s(measured)}, or a longer load.duration`,
    )
  if (load.warmupMicros % intervalMicros !== 0)
    fail(
      `windows start on a reporting tick, and load.warmup (${s(load.warmupMicros)}) is not a whole number of intervals (${s(intervalMicros)}) — round load.warmup to a multiple of ${s(intervalMicros)}`,
    )
}
