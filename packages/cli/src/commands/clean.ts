import { Command, Flags } from '@oclif/core'
import { parseCommandLine, pathFlag } from '../command-line.js'
import { exitWithError } from '../exit.js'

export default class Clean extends Command {
  static override summary =
    'Find what killed runs left on the servers a config names, say what it holds, and drop it.'
  static override description =
    'A run killed with kill -9 or cut off from its server leaves slots, publications, subscriptions and tables (PostgreSQL), tables (Cassandra), queues (SQS), topics it meant to delete (Kafka, deleteTopic) or running connectors (Kafka Connect, with the topics and sink consumer groups named for their run, given the pipeline brokers option) behind; a slot keeps WAL on the server until it is dropped. `cdcb run` does the same sweep when it starts; this does it on demand. Objects of runs still running are left alone.'
  static override examples = [
    '<%= config.bin %> clean --config bench.config.ts --dry-run',
    '<%= config.bin %> clean --config bench.config.ts',
  ]
  static override flags = {
    config: pathFlag(
      Flags.string({
        char: 'c',
        description: 'Config file naming the servers (as for cdcb run).',
        helpValue: 'FILE',
      }),
    ),
    'dry-run': Flags.boolean({
      description: 'Only say what would be dropped, and how to do it by hand (SQL, REST call).',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const { flags } = await parseCommandLine(() => this.parse(Clean), Clean, 'clean')
    try {
      const { cleanFromCli } = await import('../clean.js')
      process.exit(await cleanFromCli({ config: flags.config, dryRun: flags['dry-run'] }))
    } catch (error) {
      exitWithError(error)
    }
  }
}
