import { existsSync, readdirSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Command, Flags } from '@oclif/core'
import { parseCommandLine, pathFlag } from '../command-line.js'
import { fail } from '../exit.js'
import { PLUGIN_NAME, pluginPackageFiles } from '../scaffold/plugin-package.js'

const TEMPLATE = `// cdcb benchmark config. Run it with: npx cdcb run
// Docs: https://www.npmjs.com/package/cdcb — every field below is optional except source and sink.
import { defineConfig, memory } from '@cdcb/core'

export default defineConfig({
  name: 'my-pipeline',
  // Where cdcb writes changes. The built-in memory pipeline needs no server: swap in
  // postgres({ url: process.env.SOURCE_URL }) from @cdcb/plugin-postgres, kafka(...) from @cdcb/plugin-kafka, …
  source: memory({ delay: { median: '20ms', p99: '80ms' } }),
  // Where cdcb watches the changes arrive.
  sink: memory(),
  // Compare the expected final state with the target after the run.
  verify: memory(),
  load: {
    rate: 5_000, // operations per second (open model: a slow target never slows the schedule)
    duration: '30s',
    warmup: '5s', // excluded from the results
    mix: { insert: 70, update: 20, delete: 10 },
    keys: 100_000,
  },
  // Checked at the end: exit code 1 when one fails.
  slo: {
    'e2e.p95': '< 2s',
    'e2e.p99': '< 5s',
    throughput: '>= 4900/s',
    errors: '< 0.1%',
    lost: '== 0',
    verified: '>= 99.9%',
  },
  // Also write the result as JSON; a relative path here is relative to this file's folder.
  reporters: [['json', { file: 'cdcb-result.json' }]],
})
`

export default class Init extends Command {
  static override summary = 'Write a commented bench.config.ts to start from, or scaffold a plugin package.'
  static override description =
    'The config uses the built-in memory pipeline, so `cdcb run` works right away; swap the source and sink for your systems.\n' +
    'With --plugin <name>, writes a plugin package cdcb-plugin-<name> instead (TypeScript, ESM, @cdcb/core as a peer, ' +
    'a source, sink and verifier over an in-process queue, a test running the conformance kit): `npm install && npm test` passes in it.'
  static override flags = {
    file: pathFlag(Flags.string({ description: 'Where to write the config.', default: 'bench.config.ts' })),
    force: Flags.boolean({ description: 'Overwrite an existing file.', default: false }),
    plugin: Flags.string({
      description: 'Scaffold a plugin package with this short name (e.g. redis) instead of a config.',
    }),
    dir: pathFlag(
      Flags.string({
        description: 'With --plugin: where to write the package.',
        default: 'cdcb-plugin-<name>',
      }),
    ),
  }

  async run(): Promise<void> {
    const { flags } = await parseCommandLine(() => this.parse(Init), Init, 'init')
    if (flags.plugin !== undefined) return this.scaffoldPlugin(flags.plugin, flags.dir, flags.force)
    const file = path.resolve(flags.file)
    if (existsSync(file) && !flags.force) {
      fail(2, `${flags.file} already exists — pass --force to overwrite it, or --file to write elsewhere`)
    }
    // Checked first: besides the message, Node's recursive mkdir never returns for some paths (under /proc).
    const { whyNotWritable } = await import('@cdcb/core/runtime')
    const problem = whyNotWritable(file)
    if (problem) fail(2, `cannot write ${flags.file}: ${problem} — choose another --file`)
    try {
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(file, TEMPLATE)
    } catch (error) {
      fail(
        2,
        `cannot write ${flags.file}: ${(error as Error).message.split('\n')[0]} — choose another --file`,
      )
    }
    this.log(`wrote ${path.relative(process.cwd(), file) || file} — run it with: npx cdcb run`)
  }

  private async scaffoldPlugin(requested: string, dirFlag: string, force: boolean): Promise<void> {
    const name = requested.replace(/^cdcb-plugin-/, '')
    if (!PLUGIN_NAME.test(name)) {
      fail(
        2,
        `--plugin: "${requested}" is not a plugin name — use lowercase letters, digits and dashes, starting with a letter (e.g. redis-streams)`,
      )
    }
    const dir = path.resolve(dirFlag.replace('<name>', name))
    if (existsSync(dir) && readdirSync(dir).length > 0 && !force) {
      fail(
        2,
        `${dirFlag.replace('<name>', name)} already exists and is not empty — pass --force, or --dir to write elsewhere`,
      )
    }
    const { CORE_VERSION } = await import('@cdcb/core/runtime')
    for (const [file, content] of Object.entries(pluginPackageFiles(name, CORE_VERSION))) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
      await writeFile(path.join(dir, file), content)
    }
    const shown = path.relative(process.cwd(), dir) || dir
    this.log(
      `wrote the plugin package cdcb-plugin-${name} in ${shown} — next: cd ${shown} && npm install && npm test`,
    )
  }
}
