import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError, describeError } from '../errors.js'

const BASENAMES = ['cdcb.config', 'bench.config']
const EXTENSIONS = ['.ts', '.mts', '.mjs', '.js', '.cjs', '.json', '.yaml', '.yml']

/** The config files `cdcb run` looks for, in order, in the current directory. */
export const CONFIG_SEARCH_PLACES = BASENAMES.flatMap((base) => EXTENSIONS.map((ext) => base + ext))

/** TypeScript configs load through jiti, so users need no build step. */
async function loadTypeScript(file: string): Promise<unknown> {
  const { createJiti } = await import('jiti')
  // A config imports defineConfig and plugin helpers from @cdcb/core; point that at
  // this very core, so a config works from any directory, even without node_modules.
  const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url))
  const jiti = createJiti(import.meta.url, {
    moduleCache: false,
    fsCache: false,
    interopDefault: true,
    alias: {
      '@cdcb/core/runtime': here('../runtime/index.js'),
      '@cdcb/core/testing': here('../testing/index.js'),
      '@cdcb/core': here('../index.js'),
    },
  })
  return jiti.import(file, { default: true })
}

async function explorer() {
  const { cosmiconfig } = await import('cosmiconfig')
  return cosmiconfig('cdcb', {
    searchPlaces: CONFIG_SEARCH_PLACES,
    searchStrategy: 'none',
    loaders: { '.ts': loadTypeScript, '.mts': loadTypeScript, '.cts': loadTypeScript },
  })
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
    if (error instanceof ConfigError) throw error
    const loc = (error as { loc?: { line?: number; column?: number } }).loc
    const where = loc?.line ? ` (line ${loc.line}, column ${(loc.column ?? 0) + 1})` : ''
    throw new ConfigError(
      `${name}: cannot load: ${oneLine(describeError(error))}${where} — fix the file and run again`,
    )
  }
}

function oneLine(message: string): string {
  return message
    .replace(/^\w*Error: /, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300)
}
