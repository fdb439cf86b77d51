import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CdcbError, ConfigError, describeError } from '../errors.js'

const BASENAMES = ['cdcb.config', 'bench.config']
const EXTENSIONS = ['.ts', '.mts', '.mjs', '.js', '.cjs', '.json', '.yaml', '.yml']

/** The config files `cdcb run` looks for, in order, in the current directory. */
export const CONFIG_SEARCH_PLACES = BASENAMES.flatMap((base) => EXTENSIONS.map((ext) => base + ext))

/**
 * TypeScript and JavaScript configs load through jiti, so users need no build
 * step. A config imports defineConfig and plugin helpers from @cdcb/core and
 * the official plugins; those point at the packages installed with this very
 * core, so a config works from any directory, even without node_modules.
 */
async function loadModule(file: string): Promise<unknown> {
  const { createJiti } = await import('jiti')
  const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url))
  const jiti = createJiti(import.meta.url, {
    moduleCache: false,
    fsCache: false,
    alias: {
      ...officialPluginAliases(),
      '@cdcb/core/runtime': here('../runtime/index.js'),
      '@cdcb/core/testing': here('../testing/index.js'),
      '@cdcb/core': here('../index.js'),
    },
  })
  const module = (await jiti.import(file)) as Record<string, unknown> | undefined
  if (module && typeof module === 'object' && 'default' in module && module.default !== undefined) {
    return module.default
  }
  const named = Object.keys(module ?? {}).filter((key) => key !== '__esModule')
  throw new ConfigError(
    `${path.basename(file)}: has no default export${named.length ? ` (it exports ${named.join(', ')})` : ''} — ` +
      'write export default defineConfig({ ... })',
  )
}

/** Each export of each official plugin installed beside this core (`@cdcb/plugin-postgres/quickstart` too) → its file. */
function officialPluginAliases(): Record<string, string> {
  const require = createRequire(import.meta.url)
  const aliases: Record<string, string> = {}
  for (const dir of require.resolve.paths('@cdcb/core') ?? []) {
    let names: string[]
    try {
      names = readdirSync(path.join(dir, '@cdcb')).filter((name) => name.startsWith('plugin-'))
    } catch {
      continue
    }
    for (const name of names) {
      let exports: Record<string, unknown> = { '.': {} }
      try {
        const manifest = JSON.parse(readFileSync(path.join(dir, '@cdcb', name, 'package.json'), 'utf8'))
        if (manifest.exports && typeof manifest.exports === 'object') exports = manifest.exports
      } catch {}
      // Subpaths first: an alias also matches as a prefix.
      const subpaths = Object.keys(exports)
        .filter((key) => key.startsWith('.') && !key.endsWith('.json') && !key.includes('*'))
        .sort((a, b) => b.length - a.length)
      for (const subpath of subpaths) {
        const specifier = `@cdcb/${name}${subpath.slice(1)}`
        if (specifier in aliases) continue
        try {
          aliases[specifier] = fileURLToPath(import.meta.resolve(specifier))
        } catch {
          // Not resolvable from here: the config's own resolution still applies.
        }
      }
    }
  }
  return aliases
}

async function explorer() {
  const { cosmiconfig } = await import('cosmiconfig')
  const loaders = Object.fromEntries(
    ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'].map((ext) => [ext, loadModule]),
  )
  return cosmiconfig('cdcb', { searchPlaces: CONFIG_SEARCH_PLACES, searchStrategy: 'none', loaders })
}

/** Finds the config file in `dir`, or returns undefined. */
export async function findConfigFile(dir: string): Promise<string | undefined> {
  for (const name of CONFIG_SEARCH_PLACES) {
    const candidate = path.join(dir, name)
    if (existsSync(candidate)) return candidate
  }
  return undefined
}

/**
 * Loads a config file (TypeScript, JavaScript, JSON or YAML). Errors become one
 * line naming the file, never a stack trace.
 */
export async function loadConfigFile(file: string): Promise<unknown> {
  const absolute = path.resolve(file)
  const name = path.basename(absolute)
  if (!existsSync(absolute)) {
    throw new ConfigError(`config file not found: ${file} — check the path, or run: cdcb init`)
  }
  try {
    const result = await (await explorer()).load(absolute)
    if (!result || result.isEmpty)
      throw new ConfigError(`${name}: the file is empty — run: cdcb init for an example`)
    return result.config
  } catch (error) {
    // A config that checks a server as it loads (and finds it unreachable) already said what to fix, and how to exit.
    if (error instanceof CdcbError) throw error
    throw new ConfigError(
      `${name}: cannot load: ${whyNotLoaded(error, absolute)} — fix the file and run again`,
    )
  }
}

/**
 * The reason a config did not parse, with its line and column: YAML errors
 * carry a mark, JSON errors a character position, TypeScript errors end with
 * `file:line:column`. cosmiconfig puts its own heading on the first line, so
 * the reason is looked for below it.
 */
export function whyNotLoaded(error: unknown, file: string): string {
  const e = error as {
    message?: unknown
    reason?: unknown
    mark?: { line?: number; column?: number }
    loc?: { line?: number; column?: number }
  }
  const message = typeof e.message === 'string' ? e.message : describeError(error)
  if (typeof e.reason === 'string' && e.mark?.line !== undefined) {
    return `${e.reason}${at(e.mark.line + 1, (e.mark.column ?? 0) + 1)}`
  }
  if (e.loc?.line !== undefined)
    return `${oneLine(describeError(error))}${at(e.loc.line, (e.loc.column ?? 0) + 1)}`
  const json = /^(?!>|\s*\|)(.*\bat position (\d+).*)$/m.exec(message)
  if (json) {
    const reason = json[1]!
      .replace(/ while parsing .*$/, '')
      .replace(/ in JSON at position \d+/, '')
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .trim()
    const position = Number(json[2])
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {}
    const before = text.slice(0, position).split('\n')
    return `${reason}${at(before.length, before[before.length - 1]!.length + 1)}`
  }
  const located = new RegExp(`^(.*?)\\s*${escapeRegExp(file)}:(\\d+):(\\d+)\\s*$`, 's').exec(message)
  if (located)
    return `${oneLine(located[1]!.replace(/^\w*Error: /, ''))}${at(Number(located[2]), Number(located[3]))}`
  // Drop a heading that only names the file, and keep the first line that says something.
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^(JSON|YAML|JS|TS)? ?Error in .*:$/.test(line) && !/^[>|\d]/.test(line))
  return oneLine(lines[0] ?? describeError(error))
}

function at(line: number, column: number): string {
  return ` (line ${line}, column ${column})`
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
function oneLine(message: string): string {
  return message
    .replace(/^\w*Error: /, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300)
}
