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
  const slots: Array<[Slot, typeof config.source | undefined]> = [
    // The pipeline first: a dead run's connector still reads the tables the source's clean drops.
    ['pipeline', config.pipeline],
    ['source', config.source],
    ['sink', config.sink],
    ['verify', config.verify],
  ]
  const without: string[] = []
  for (const [slot, ref] of slots) {
    if (!ref) continue
    const plugin = await importPlugin(ref.moduleUrl, ref.name)
    if (!plugin.clean) {
      without.push(`${slot} (${ref.name})`)
      continue
    }
    await plugin.clean(slot, ref.options, { dryRun: flags.dryRun, log })
  }
  // Said, not implied: a plugin without `clean` may still leave things behind after a killed run.
  if (without.length > 0) log(`not looked at: ${without.join(', ')} — no clean step in the plugin`)
  return 0
}
