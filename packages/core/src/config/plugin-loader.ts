/**
 * Finding and loading plugins by name. The main thread resolves each name once
 * (so a missing plugin is a config error before anything is written) and hands
 * the workers a file URL to import.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import semver from 'semver'
import { ConfigError, describeError } from '../errors.js'
import type { PluginDefinition, Slot } from '../plugin.js'

/** Plugins that ship inside core, by short name. */
const BUILT_IN_PLUGINS = {
  memory: new URL('../plugins/memory.js', import.meta.url).href,
} as const

export const CORE_VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version

/** Package names a short name may stand for, in the order they are tried. */
export function candidatePackages(name: string): string[] {
  if (
    name.startsWith('@') ||
    name.startsWith('cdcb-plugin-') ||
    name.startsWith('.') ||
    path.isAbsolute(name)
  )
    return [name]
  return [`@cdcb/plugin-${name}`, `cdcb-plugin-${name}`]
}

/** Resolves a plugin name to a module URL, looking from each directory in turn (the config's first). */
export function resolvePluginModule(name: string, searchFrom: readonly string[]): string {
  if (name in BUILT_IN_PLUGINS) return BUILT_IN_PLUGINS[name as keyof typeof BUILT_IN_PLUGINS]
  const candidates = candidatePackages(name)
  for (const dir of searchFrom) {
    const require = createRequire(path.join(dir, 'noop.js'))
    for (const candidate of candidates) {
      const specifier = candidate.startsWith('.') ? path.resolve(dir, candidate) : candidate
      try {
        return pathToFileURL(require.resolve(specifier)).href
      } catch (error) {
        if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') {
          throw new ConfigError(`plugin "${candidate}" cannot be resolved: ${describeError(error)}`)
        }
      }
    }
  }
  const suggestion = candidates[candidates.length - 1]!
  throw new ConfigError(
    `plugin "${suggestion}" is not installed — run: npm i -D ${suggestion}` +
      (candidates.length > 1 ? ` (or ${candidates[0]})` : ''),
  )
}

const loaded = new Map<string, Promise<PluginDefinition<unknown>>>()

/** Imports a plugin module and checks that its default export is a plugin for this core. */
export function importPlugin(moduleUrl: string, displayName: string): Promise<PluginDefinition<unknown>> {
  let promise = loaded.get(moduleUrl)
  if (!promise) {
    promise = load(moduleUrl, displayName)
    loaded.set(moduleUrl, promise)
  }
  return promise
}

async function load(moduleUrl: string, displayName: string): Promise<PluginDefinition<unknown>> {
  let module: { default?: unknown }
  try {
    module = await import(moduleUrl)
  } catch (error) {
    throw new ConfigError(`plugin "${displayName}" failed to load: ${describeError(error)}`)
  }
  const plugin = module.default as PluginDefinition<unknown> | undefined
  if (
    !plugin ||
    typeof plugin !== 'object' ||
    typeof plugin.name !== 'string' ||
    typeof plugin.core !== 'string'
  ) {
    throw new ConfigError(
      `plugin "${displayName}" does not default-export a plugin — its package must \`export default definePlugin({ ... })\``,
    )
  }
  if (!semver.satisfies(CORE_VERSION, plugin.core, { includePrerelease: true })) {
    throw new ConfigError(
      `plugin "${displayName}" supports @cdcb/core ${plugin.core}, but this is ${CORE_VERSION} — install a matching version of one or the other`,
    )
  }
  return plugin
}

const FACTORY_BY_SLOT: Record<Slot, keyof PluginDefinition> = {
  source: 'createSource',
  sink: 'createSink',
  verify: 'createVerifier',
  pipeline: 'createPipeline',
  reporter: 'createReporter',
}

/** Fails unless the plugin provides the part a slot needs. */
export function checkSlot(plugin: PluginDefinition<unknown>, slot: Slot, displayName: string): void {
  if (typeof plugin[FACTORY_BY_SLOT[slot]] === 'function') return
  const provides = (Object.keys(FACTORY_BY_SLOT) as Slot[]).filter(
    (s) => typeof plugin[FACTORY_BY_SLOT[s]] === 'function',
  )
  throw new ConfigError(
    `${slot}: plugin "${displayName}" has no ${slot === 'verify' ? 'verifier' : slot}` +
      (provides.length ? ` (it provides: ${provides.join(', ')})` : ''),
  )
}
