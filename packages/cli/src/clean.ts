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
    ['source', config.source],
    ['sink', config.sink],
    ['verify', config.verify],
  ]
  let cleaned = 0
  for (const [slot, ref] of slots) {
    if (!ref) continue
    const plugin = await importPlugin(ref.moduleUrl, ref.name)
    if (!plugin.clean) continue
    await plugin.clean(slot, ref.options, { dryRun: flags.dryRun, log })
    cleaned++
  }
  if (cleaned === 0) log('none of the plugins in this config leaves anything on a server to clean')
  return 0
}
