/**
 * Validating a plugin's options through the Standard Schema interface only, so a
 * zod, valibot or ArkType schema gets the same one-line errors. Validation is the
 * schema's `~standard.validate`; the keys an object knows (for "unknown key — did
 * you mean …?") come from the Standard JSON Schema interface
 * (`~standard.jsonSchema.input`) when the schema offers it: zod ≥ 4.2 and ArkType
 * do natively, valibot through `toStandardJsonSchema` from `@valibot/to-json-schema`.
 * Core never reads a vendor's internals or matches a vendor's messages.
 */
import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec'
import { ConfigError } from '../errors.js'
import { closest, describeValue } from './schema.js'

type JsonSchema = Record<string, unknown>

/**
 * Validates `options` with `schema`; resolves with the schema's output.
 * Throws a ConfigError of one line naming the config path (`where.options.key`).
 */
export async function validatePluginOptions(
  schema: StandardSchemaV1 | undefined,
  options: unknown,
  where: string,
): Promise<unknown> {
  const input = options ?? {}
  if (!schema) return input
  const result = await schema['~standard'].validate(input)
  if (!result.issues) return result.value
  const unknown = findUnknownKey(inputJsonSchema(schema), input, [])
  if (unknown) {
    const at = [where, 'options', ...unknown.path, unknown.key].join('.')
    const hint = unknown.suggestion
      ? `did you mean "${unknown.suggestion}"?`
      : `known keys: ${unknown.known.join(', ') || '(none)'}`
    throw new ConfigError(`${at}: unknown key — ${hint}`)
  }
  const issue = result.issues[0]
  const issuePath = (issue?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p))
  const message = oneLine(issue?.message ?? 'invalid options').replace(/^Invalid input: /, '')
  // A range or type error says what it got, as core's own keys do.
  const got = valueAt(input, issuePath)
  const shown = got === undefined || /\bgot\b/.test(message) ? '' : `, got ${describeValue(got)}`
  throw new ConfigError(`${[where, 'options', ...issuePath].join('.')}: ${message}${shown}`)
}

function valueAt(root: unknown, keys: readonly string[]): unknown {
  let current = root
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** The JSON Schema of what the schema accepts, when it implements Standard JSON Schema and can express itself in it. */
export function inputJsonSchema(schema: StandardSchemaV1): JsonSchema | undefined {
  const converter = (schema['~standard'] as Partial<StandardJSONSchemaV1.Props>).jsonSchema
  if (!converter || typeof converter.input !== 'function') return undefined
  try {
    return converter.input({ target: 'draft-2020-12' })
  } catch {
    // Conversion may throw for what JSON Schema cannot express (functions, transforms): no key list then.
    return undefined
  }
}

interface UnknownKey {
  readonly path: readonly string[]
  readonly key: string
  readonly known: readonly string[]
  readonly suggestion: string | undefined
}

/** The first key of `value` that a closed object schema (`additionalProperties: false`) does not list, depth first. */
function findUnknownKey(
  schema: JsonSchema | undefined,
  value: unknown,
  path: string[],
): UnknownKey | undefined {
  if (!schema || value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const properties = schema.properties as Record<string, JsonSchema> | undefined
  if (schema.type !== 'object' || !properties) return undefined
  const known = Object.keys(properties)
  for (const [key, child] of Object.entries(value)) {
    if (key in properties) {
      const nested = findUnknownKey(properties[key], child, [...path, key])
      if (nested) return nested
    } else if (schema.additionalProperties === false) {
      return { path, key, known, suggestion: closest(key, known) }
    }
  }
  return undefined
}

function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim()
}

/**
 * Fails unless `options` survive a structured clone: validated options cross into
 * every worker thread that way, so a function or class instance with methods would
 * crash the workers (`() => {} could not be cloned`) long after the config was read.
 */
export function assertCloneable(options: unknown, where: string): void {
  try {
    structuredClone(options)
  } catch {
    const { path, value } = firstUncloneable(options, [])
    const at = [where, 'options', ...path].join('.')
    throw new ConfigError(
      `${at}: cannot be handed to the worker threads (${describeKind(value)}) — plugin options must be plain data (strings, numbers, booleans, arrays, plain objects), as structured clone copies them`,
    )
  }
}

function firstUncloneable(value: unknown, path: string[]): { path: string[]; value: unknown } {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      try {
        structuredClone(child)
      } catch {
        return firstUncloneable(child, [...path, key])
      }
    }
  }
  return { path, value }
}

function describeKind(value: unknown): string {
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'symbol') return 'a symbol'
  const name = (value as object | null)?.constructor?.name
  return name ? `a ${name}` : typeof value
}
