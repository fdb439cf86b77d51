import { z } from 'zod'
import { ConfigError, redactUrl } from '../errors.js'
import { parseShard, parseStartAt, RUN_ID_PATTERN } from '../load/shard.js'
import { durationOption, positiveIntOption } from '../options.js'
import { parseDurationMicros } from '../units.js'

const duration = durationOption('"30s", "500ms" or "2m"')
/** A measured window or stage: a duration above zero (an empty window measures nothing, and fails for it). */
const window = duration.refine((v) => parseDurationMicros(v)! > 0, {
  error: 'expected a duration longer than 0, such as "30s"',
})

const positive = z
  .number({ error: 'expected a positive number' })
  .positive({ error: 'expected a positive number' })
const positiveInt = positiveIntOption()
/** Shortest reporting interval: each interval is a snapshot from every worker and a line of output. */
export const MIN_INTERVAL_MICROS = 100e3

/** The most worker threads one process runs: beyond this, threads cost more memory and scheduling than they add. */
export const MAX_WORKERS = 256

const workerCount = z
  .number({ error: `expected a whole number from 1 to ${MAX_WORKERS}` })
  .int({ error: `expected a whole number from 1 to ${MAX_WORKERS}` })
  .min(1, { error: `expected a whole number from 1 to ${MAX_WORKERS}` })
  .max(MAX_WORKERS, {
    error: `expected a whole number from 1 to ${MAX_WORKERS} (the most worker threads cdcb runs)`,
  })
const seed = z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' })
const shard = z.string({ error: 'expected INDEX/COUNT such as "0/3"' }).superRefine((text, ctx) => {
  const parsed = parseShard(text)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
})
const runId = z
  .string({ error: 'expected a run id of 1 to 24 lowercase letters and digits' })
  .regex(RUN_ID_PATTERN, {
    error: 'expected 1 to 24 lowercase letters and digits (it becomes part of slot, table and topic names)',
  })
const startAt = z
  .union([z.number(), z.string()], {
    error: 'expected epoch seconds or an ISO 8601 time with a zone such as 2026-12-06T21:30:00Z',
  })
  .superRefine((value, ctx) => {
    const parsed = parseStartAt(value)
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
  })
const nonNegative = z
  .number({ error: 'expected a number ≥ 0' })
  .nonnegative({ error: 'expected a number ≥ 0' })

const pluginRef = z.strictObject({
  plugin: z.string({ error: 'expected a plugin name such as "memory" or "postgres"' }).min(1),
  options: z.record(z.string(), z.unknown(), { error: 'expected an object of options' }).optional(),
})

const stage = z
  .strictObject({
    duration: window,
    rate: positive.optional(),
    target: nonNegative.optional(),
  })
  .refine((s) => (s.rate === undefined) !== (s.target === undefined), {
    error: 'a stage takes either "rate" (hold) or "target" (ramp to), not both or neither',
  })

const mix = z
  .strictObject({
    insert: nonNegative.optional(),
    update: nonNegative.optional(),
    delete: nonNegative.optional(),
  })
  .refine((m) => (m.insert ?? 0) + (m.update ?? 0) + (m.delete ?? 0) > 0, {
    error: 'the mix needs at least one kind with a share above 0',
  })

const load = z.strictObject({
  rate: positive.optional(),
  duration: window.optional(),
  warmup: duration.optional(),
  stages: z.array(stage).min(1, { error: 'expected at least one stage' }).optional(),
  concurrency: positiveInt.optional(),
  maxInFlight: positiveInt.optional(),
  batchSize: positiveInt.optional(),
  mix: mix.optional(),
  keys: positiveInt.optional(),
  payloadSize: z
    .number({ error: 'expected a whole number of bytes from 0 to 1,000,000' })
    .int({ error: 'expected a whole number of bytes from 0 to 1,000,000' })
    .nonnegative({ error: 'expected a whole number of bytes from 0 to 1,000,000' })
    .max(1_000_000, { error: 'expected a whole number of bytes from 0 to 1,000,000' })
    .optional(),
  seed: seed.optional(),
  drainTimeout: duration.optional(),
  lateAfter: duration.optional(),
})

const sloCondition = z.string({ error: 'expected an SLO condition such as "< 2s"' })
const slo = z.union(
  [z.array(z.string()), z.record(z.string(), z.union([sloCondition, z.array(sloCondition)]))],
  { error: 'expected a map such as { "e2e.p99": "< 2s" } or a list of expressions' },
)

const reporter = z.union([z.string(), z.tuple([z.string(), z.record(z.string(), z.unknown())]), pluginRef], {
  error: 'expected a reporter name, [name, options] or { plugin, options }',
})

const command = z.union([z.string().min(1), z.array(z.string()).min(1)], {
  error: 'expected a command: a string for /bin/sh, or ["program", "arg", …]',
})
const faultAction = z.union(
  [
    z.strictObject({ exec: command, undo: command.optional() }),
    z.strictObject({
      signal: z.string().regex(/^SIG[A-Z0-9]+$/, { error: 'expected a signal name such as "SIGSTOP"' }),
      pidFile: z
        .string({
          error:
            "expected the path of the file holding the process's pid (relative to the config file's folder)",
        })
        .min(1, {
          error:
            "expected the path of the file holding the process's pid (relative to the config file's folder)",
        }),
    }),
    z.strictObject({
      pipeline: z.string().min(1),
      args: z.record(z.string(), z.unknown()).optional(),
      undo: z.string().min(1).optional(),
      undoArgs: z.record(z.string(), z.unknown()).optional(),
    }),
  ],
  { error: 'expected { exec }, { signal, pidFile } or { pipeline } (see UserConfig.faults)' },
)
const fault = z.strictObject({
  name: z.string().min(1).optional(),
  at: duration,
  for: duration
    .refine((v) => parseDurationMicros(v)! > 0, {
      error: 'expected a duration longer than 0, such as "10s" (leave "for" out for a fault with no undo)',
    })
    .optional(),
  action: faultAction,
})
const recovery = z.strictObject({
  baseline: window.optional(),
  latencyFactor: z.number().min(1, { error: 'expected a factor ≥ 1' }).optional(),
})

/**
 * A name printed in the summary, the live lines and reports: one line of printable text. A control
 * character (an escape sequence, a newline) could clear the terminal or print a verdict the run never had.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const printable = z.string().refine((v) => !/[\u0000-\u001f\u007f-\u009f]/.test(v), {
  error: 'expected one line of printable text (no control characters such as escapes or newlines)',
})

/** The schema of a config file; see `UserConfig` for what each field means. */
export const userConfigSchema = z.strictObject({
  name: printable.optional(),
  source: pluginRef,
  sink: pluginRef,
  verify: z.union([pluginRef, z.literal(false)]).optional(),
  pipeline: pluginRef.optional(),
  verifySample: z.number().positive().max(1, { error: 'expected a fraction in (0, 1]' }).optional(),
  load: load.optional(),
  workers: workerCount.optional(),
  interval: duration
    .refine((v) => (parseDurationMicros(v) ?? 0) >= MIN_INTERVAL_MICROS, {
      error: `expected a duration of at least ${MIN_INTERVAL_MICROS / 1e3}ms, such as "1s"`,
    })
    .optional(),
  slo: slo.optional(),
  abortOnFail: z.boolean({ error: 'expected true or false' }).optional(),
  reporters: z.array(reporter).optional(),
  faults: z.array(fault).optional(),
  recovery: recovery.optional(),
  shard: shard.optional(),
  runId: runId.optional(),
  startAt: startAt.optional(),
})

export type ParsedConfig = z.infer<typeof userConfigSchema>

/**
 * The schema of the config key each command-line flag overrides: a flag is
 * checked exactly as that key would be (`--workers 1000` as `workers: 1000`).
 */
export const overrideSchemas = {
  rate: positive,
  duration: window,
  workers: workerCount,
  seed,
  shard,
  'run-id': runId,
  'start-at': startAt,
} as const

/** Checks a flag's value against its key's schema; throws ConfigError naming the flag. */
export function checkOverride(flag: keyof typeof overrideSchemas, value: unknown): void {
  const result = overrideSchemas[flag].safeParse(value, { reportInput: true })
  if (result.success) return
  const message = result.error.issues[0]!.message.replace(/^Invalid input: /, '')
  throw new ConfigError(`--${flag}: ${message}, got ${describeValue(value)}`)
}

/** Validates a config object; the first problem becomes a ConfigError naming its path. */
export function parseUserConfig(value: unknown, origin: string): ParsedConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      `${origin}: expected the config to be an object (export default defineConfig({ ... })), got ${describeValue(value)}`,
    )
  }
  const result = userConfigSchema.safeParse(value, { reportInput: true })
  if (result.success) return result.data
  // A misspelt key also leaves its right spelling missing: the did-you-mean says more than "is required".
  const issues = result.error.issues
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!
  throw new ConfigError(`${origin}: ${formatIssue(issue, value)}`)
}

type Issue = z.core.$ZodIssue

/**
 * `load.rate: expected a positive number, got "fast"`; unknown keys get a did-you-mean or the known keys.
 * A value that matches none of a union's object shapes (a fault's action) is judged by the shape it
 * comes closest to (fewest problems), so `{ signal }` says its pidFile is missing.
 */
export function formatIssue(issue: Issue, root: unknown): string {
  const narrowed = narrowUnion(issue, root)
  if (narrowed) return formatIssue(narrowed, root)
  const path = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!
    const where = path ? `${path}.${key}` : key
    const misplaced = keyOfAnotherKind(key, issue.path, root)
    if (misplaced) return `${where}: ${misplaced}`
    const known = knownKeys(issue.path, root)
    // In a union (a fault's action) the typo may be of another branch's key: `{ pipline }` beside `undo`.
    const everyBranch = unionKeys(schemaAt(issue.path, root))
    const suggestion =
      closest(key, known) ?? (everyBranch.includes(key) ? undefined : closest(key, everyBranch))
    const hint = suggestion
      ? `did you mean "${suggestion}"?`
      : `known keys: ${(known.length > 0 ? known : everyBranch).join(', ') || '(none)'}`
    return `${where}: unknown key — ${hint}`
  }
  const where = path || '(config)'
  const message = issue.message.replace(/^Invalid input: /, '')
  if (issue.code === 'invalid_type' && issue.input === undefined && valueAt(root, issue.path) === undefined) {
    return `${where}: is required — ${message.replace(/, received undefined$/, '')}`
  }
  const input = 'input' in issue ? issue.input : valueAt(root, issue.path)
  if (input === undefined) return `${where}: ${message}`
  // zod's "expected object, received string" and our ", got …" would say the same thing twice.
  return `${where}: ${message.replace(/, received [a-z]+$/, '')}, got ${describeValue(input)}`
}

/**
 * `pidFile goes with a signal action ({ signal, pidFile }); a pipeline action takes only …` when a
 * union branch (a fault's action, its kind named by its first key) has a key that another kind takes:
 * not a typo, so a did-you-mean would only echo the key back. Undefined for anything else.
 */
function keyOfAnotherKind(key: string, path: readonly PropertyKey[], root: unknown): string | undefined {
  const value = valueAt(root, path)
  if (value === null || typeof value !== 'object') return undefined
  const kinds = unionOptions(schemaAt(path, root))
    .map((option) => Object.keys(shapeOf(option) ?? {}))
    .filter((keys) => keys.length > 0)
  const own = kinds.find((keys) => keys[0]! in value)
  if (!own || own.includes(key)) return undefined
  const owners = kinds.filter((keys) => keys.includes(key))
  if (owners.length === 0) return undefined
  const kindOf = (keys: string[]) => `${/^[aeiou]/.test(keys[0]!) ? 'an' : 'a'} ${keys[0]} action`
  const takes = own.length === 1 ? own[0] : `${own.slice(0, -1).join(', ')} and ${own.at(-1)}`
  const goesWith = owners.map((keys) => `${kindOf(keys)} ({ ${keys.join(', ')} })`).join(' or ')
  return `${key} goes with ${goesWith}; ${kindOf(own)} takes only ${takes}`
}

function unionOptions(schema: unknown): unknown[] {
  const def = (schema as { def?: { type?: string; options?: unknown[] } } | undefined)?.def
  return def?.type === 'union' && def.options ? def.options : []
}

/** The one issue of the union branch with the fewest problems, its path made whole; undefined when no branch stands out. */
function narrowUnion(issue: Issue, root: unknown): Issue | undefined {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return undefined
  const input = valueAt(root, issue.path)
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined
  const fewest = Math.min(...issue.errors.map((e) => e.length))
  const best = issue.errors.filter((e) => e.length === fewest)
  if (best.length !== 1 || fewest === 0) return unknownToEveryBranch(issue, input)
  const branch = best[0]!
  const inner = branch.find((i) => i.code === 'unrecognized_keys') ?? branch[0]!
  return { ...inner, path: [...issue.path, ...inner.path] } as Issue
}

/**
 * A key no branch of the union knows (`{ exce: … }`, `{ pipline: … }`): a typo
 * leaves every branch one key short, so none stands out, yet the key is what to fix.
 */
function unknownToEveryBranch(issue: Issue & { code: 'invalid_union' }, input: object): Issue | undefined {
  const unknown = issue.errors.map(
    (branch) => new Set(branch.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []))),
  )
  const key = Object.keys(input).find((k) => unknown.every((keys) => keys.has(k)))
  if (key === undefined) return undefined
  return { code: 'unrecognized_keys', keys: [key], path: issue.path, input, message: '' } as Issue
}

/** The schema at a config path, through optional wrappers, lists and (by the value there) union branches. */
function schemaAt(path: readonly PropertyKey[], root: unknown): unknown {
  let schema: unknown = userConfigSchema
  for (let index = 0; index < path.length; index++) {
    const segment = path[index]!
    const element = elementOf(schema)
    if (typeof segment === 'number') {
      if (!element) return undefined
      schema = element
      continue
    }
    const shape = shapeOf(schema) ?? shapeOf(branchFor(schema, valueAt(root, path.slice(0, index))))
    if (!shape || typeof segment !== 'string' || !(segment in shape)) return undefined
    schema = shape[segment]
  }
  return schema
}

function knownKeys(path: readonly PropertyKey[], root: unknown): string[] {
  const schema = schemaAt(path, root)
  const shape = shapeOf(schema) ?? shapeOf(branchFor(schema, valueAt(root, path)))
  return shape ? Object.keys(shape) : unionKeys(schema)
}

/** Every key any object branch of a union knows, each once; empty for other schemas. */
function unionKeys(schema: unknown): string[] {
  const options = (schema as { def?: { type?: string; options?: unknown[] } } | undefined)?.def
  if (options?.type !== 'union' || !options.options) return []
  return [...new Set(options.options.flatMap((option) => Object.keys(shapeOf(option) ?? {})))]
}

/** A list schema's element schema (through optional wrappers); undefined for other schemas. */
function elementOf(schema: unknown): unknown {
  let current = schema as { unwrap?: () => unknown; def?: { type?: string; element?: unknown } } | undefined
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current.def?.type === 'array') return current.def.element
    if (current.def?.type !== 'optional' || typeof current.unwrap !== 'function') return undefined
    current = current.unwrap() as typeof current
  }
  return undefined
}

/** Of a union of object schemas, the branch that knows the most of the value's keys. */
function branchFor(schema: unknown, value: unknown): unknown {
  const options = (schema as { def?: { type?: string; options?: unknown[] } } | undefined)?.def
  if (options?.type !== 'union' || !options.options) return undefined
  if (value === null || typeof value !== 'object') return undefined
  const keys = Object.keys(value)
  let best: unknown
  let bestCount = 0
  for (const option of options.options) {
    const count = keys.filter((k) => k in (shapeOf(option) ?? {})).length
    if (count > bestCount) {
      best = option
      bestCount = count
    }
  }
  return best
}

/** The keys a zod object schema knows (through optional/default wrappers); `undefined` for other schemas. */
export function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let current = schema as {
    shape?: Record<string, unknown>
    unwrap?: () => unknown
    def?: { type?: string; in?: unknown }
  }
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current.shape) return current.shape
    if (typeof current.unwrap === 'function') current = current.unwrap() as typeof current
    else if (current.def?.type === 'pipe') current = current.def.in as typeof current
    else return undefined
  }
  return undefined
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return current
}

/** A value as a message shows it: strings quoted, a URL's password masked, cut at 40 characters; objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = redactUrl(value)
    return JSON.stringify(shown.length > 40 ? `${shown.slice(0, 40)}…` : shown)
  }
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  return String(value)
}

/** The known word closest to `word` by edit distance, if it is close enough to be a typo. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}
