/** What `cdcb clean` does once its flags are parsed; loaded lazily like run-benchmark. */
import path from 'node:path'
import { ConfigError, type Slot } from '@cdcb/core'
import { findConfigFile, importPlugin, loadConfigFile, resolveConfig } from '@cdcb/core/runtime'

export async function cleanFromCli(flags: { config?: string; dryRun: boolean }): Promise<number> {
  const configPath = flags.config ? path.resolve(flags.config) : await findConfigFile(process.cwd())
  if (!configPath) {
    throw new ConfigError(
      `no config found in ${process.cwd()} — pass --config FILE naming the servers to clean`,
    )
  }
  const config = await resolveConfig(await loadConfigFile(configPath), { configPath })
  const log = (message: string) => process.stdout.write(`cdcb: ${message}\n`)
  // The far end first: what a pipeline's last hop made there (a subscription) holds what its head made (the
  // slot at the source), so it goes first — in the dry run's printed SQL too, which must run in the order shown.
  // The pipeline before them all: a dead run's connector still reads the tables the source's clean drops.
  const slots: Array<[Slot, typeof config.source | undefined]> = [
    ['pipeline', config.pipeline],
    ['sink', config.sink],
    ['verify', config.verify],
    ['source', config.source],
  ]
  // Shared by every slot: a server the config names twice is cleaned and reported once.
  const servers = new Set<string>()
  const without: string[] = []
  for (const [slot, ref] of slots) {
    if (!ref) continue
    const plugin = await importPlugin(ref.moduleUrl, ref.name)
    if (!plugin.clean) {
      without.push(`${slot} (${ref.name})`)
      continue
    }
    await plugin.clean(slot, ref.options, { dryRun: flags.dryRun, log, cleaned: servers })
  }
  // Said, not implied: a plugin without `clean` may still leave things behind after a killed run.
  if (without.length > 0) log(`not looked at: ${without.join(', ')} — no clean step in the plugin`)
  return 0
}
