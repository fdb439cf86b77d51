/**
 * The files `cdcb init --plugin <name>` writes: a TypeScript ESM package with
 * `@cdcb/core` as a peer, a source, sink and verifier over an in-process queue
 * that pass the conformance kit as they are, a test that runs the kit, and a
 * README. Kept as plain strings so the scaffold needs nothing at run time.
 */

/** A plugin's short name: lowercase letters, digits and dashes, starting with a letter. */
export const PLUGIN_NAME = /^[a-z][a-z0-9-]*$/

/** `redis-streams` → `redisStreams`, the name of the config helper. */
function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** Relative path → file content, for plugin `name` against core `coreVersion`. */
export function pluginPackageFiles(name: string, coreVersion: string): Record<string, string> {
  const pkg = `cdcb-plugin-${name}`
  const helper = camel(name)
  const Options = `${helper[0]!.toUpperCase()}${helper.slice(1)}Options`
  const coreRange = `^${coreVersion}`
  return {
    'package.json': `${JSON.stringify(
      {
        name: pkg,
        version: '0.1.0',
        description: `cdcb plugin for ${name}: source, sink and verifier`,
        keywords: ['cdcb-plugin', 'cdcb', 'benchmark', 'cdc'],
        type: 'module',
        license: 'Apache-2.0',
        engines: { node: '>=22.19' },
        exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
        files: ['dist'],
        scripts: { build: 'tsc', test: 'tsc && vitest run', prepublishOnly: 'npm test' },
        peerDependencies: { '@cdcb/core': coreRange },
        dependencies: { zod: '^4.2.0' },
        devDependencies: {
          '@cdcb/core': coreRange,
          '@types/node': '^24.0.0',
          typescript: '~5.9.3',
          vitest: '^4.0.0',
        },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2024'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          exactOptionalPropertyTypes: true,
          verbatimModuleSyntax: true,
          declaration: true,
          skipLibCheck: true,
          rootDir: 'src',
          outDir: 'dist',
          types: ['node'],
        },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
    '.gitignore': 'node_modules/\ndist/\n',
    'src/index.ts': `/**
 * ${pkg}: a cdcb plugin with a source, a sink and a verifier.
 *
 * This skeleton runs over an in-process queue, so it works and passes the
 * conformance kit before you change anything. Replace the queue with your
 * system's client, keeping the contract: the source writes each operation with
 * its marker and acknowledges only what the system committed, the sink observes
 * each change of this run once with the system's commit time, the verifier
 * compares the final state. See cdcb's docs/writing-a-plugin.md.
 */
import { definePlugin, digestOf, encodeMarker, nowMicros, pluginRef } from '@cdcb/core'
import { z } from 'zod'

const options = z.strictObject({
  /** How long the queue holds a change before the sink sees it, in milliseconds. @default 0 */
  delayMs: z.number().min(0).optional(),
})

export type ${Options} = z.infer<typeof options>

/** Config helper: \`source: ${helper}({ delayMs: 5 })\`. */
export const ${helper} = pluginRef<${Options}>('${pkg}')

/** What the system stores per record: the change's kind, cdcb's marker and the payload. */
interface Message {
  readonly key: number
  readonly kind: 'insert' | 'update' | 'delete'
  readonly marker: string
  readonly payload: string
  /** When the system committed it, epoch microseconds (a real system stamps this itself). */
  committedAt: number
}

/**
 * The stand-in for your system. Each worker thread imports the plugin once, and
 * here a worker's source and sink meet in one queue per run and shard. With a
 * real server, any sink may see any change: observe each one in one worker only.
 */
class Queue {
  observer: ((message: Message) => void) | undefined
  /** Final state per key, as the far end applied it: what the verifier reads. */
  readonly rows = new Map<number, Message>()

  constructor(private readonly delayMs: number) {}

  publish(messages: Message[]): void {
    setTimeout(() => {
      for (const message of messages) {
        message.committedAt = nowMicros()
        this.rows.set(message.key, message)
        this.observer?.(message)
      }
    }, this.delayMs)
  }
}

const queues = new Map<string, Queue>()
function queueOf(runId: string, shard: number, delayMs = 0): Queue {
  const id = \`\${runId}:\${shard}\`
  let queue = queues.get(id)
  if (!queue) {
    queue = new Queue(delayMs)
    queues.set(id, queue)
  }
  return queue
}

export default definePlugin({
  name: '${name}',
  core: '${coreRange}',
  options,

  createSource(options, context) {
    const queue = queueOf(context.runId, context.shard, options.delayMs)
    return {
      async write(ops) {
        // Resolve only once the system acknowledged every operation of the batch.
        queue.publish(
          ops.map((op) => ({
            key: op.key,
            kind: op.kind,
            marker: encodeMarker(context.marker(op)),
            payload: op.kind === 'delete' ? '' : context.payload(op.seq),
            committedAt: 0,
          })),
        )
      },
      async close() {
        queues.delete(\`\${context.runId}:\${context.shard}\`)
      },
    }
  },

  createSink(_options, context) {
    const queue = queueOf(context.runId, context.shard)
    return {
      timeBase: 'queue commit time',
      async start(observer) {
        // Resolve only once changes made from now on will be seen.
        queue.observer = (message) => {
          const marker = context.parseMarker(message.marker)
          if (!marker) return // another run's record, or not cdcb's
          if (message.kind !== 'delete' && digestOf(message.payload) !== marker.digest) {
            observer.corrupt(marker.seq, 'payload does not match its digest')
            return
          }
          observer.observe(marker.seq, message.key, marker.intendedAt, message.committedAt)
        }
      },
      async stop() {
        queue.observer = undefined
      },
    }
  },

  createVerifier(_options, context) {
    const queue = queueOf(context.runId, context.shard)
    return {
      async verify(expected) {
        const mismatches = []
        for (const row of expected) {
          const stored = queue.rows.get(row.key)
          const exists = stored !== undefined && stored.kind !== 'delete'
          const seq = stored && context.parseMarker(stored.marker)?.seq
          if (row.exists && !exists) mismatches.push({ key: row.key, problem: 'missing' as const })
          else if (!row.exists && exists) mismatches.push({ key: row.key, problem: 'unexpected' as const })
          else if (exists && seq !== row.seq)
            mismatches.push({ key: row.key, problem: 'content' as const, detail: \`expected seq \${row.seq}, got \${seq}\` })
        }
        return { checked: expected.length, mismatched: mismatches.length, mismatches: mismatches.slice(0, 20) }
      },
      // For the conformance kit: change a key behind the verifier's back; it must notice.
      async tamper(key) {
        const stored = queue.rows.get(key)
        const marker = encodeMarker({ runId: context.runId, seq: (stored ? 1 : 0) + 1e9, intendedAt: 0, digest: '' })
        queue.rows.set(key, { key, kind: 'update', marker, payload: 'tampered', committedAt: nowMicros() })
      },
    }
  },
})
`,
    'test/conformance.test.ts': `import { checkPlugin } from '@cdcb/core/testing'
import { describe, expect, it } from 'vitest'
import { ${helper} } from '../src/index.js'

// A real, short benchmark through cdcb's runtime with this plugin in every slot.
// The workers import the built plugin (dist/) by its package name: \`npm test\` builds first.
describe('${pkg}', () => {
  it('passes the cdcb conformance kit', async () => {
    const report = await checkPlugin({ source: ${helper}({ delayMs: 2 }), sink: ${helper}(), verify: ${helper}() })
    expect(report.failures).toEqual([])
    expect(report.unchecked).toEqual([])
  }, 60_000)
})
`,
    'README.md': `# ${pkg}

A [cdcb](https://www.npmjs.com/package/cdcb) plugin for ${name}: a source that writes
changes, a sink that watches them arrive, and a verifier that checks the final state.

\`\`\`ts
// bench.config.ts
import { defineConfig } from '@cdcb/core'
import { ${helper} } from '${pkg}'

export default defineConfig({
  source: ${helper}({ delayMs: 5 }),
  sink: ${helper}(),
  verify: ${helper}(),
  load: { rate: 1000, duration: '30s' },
})
\`\`\`

## Options

| option | default | meaning |
| --- | --- | --- |
| \`delayMs\` | 0 | how long the in-process queue holds a change (replace with your system's options) |

## Develop

\`\`\`sh
npm install
npm test   # builds, then runs cdcb's conformance kit against the plugin
\`\`\`

The skeleton runs over an in-process queue so it passes the kit out of the box. Replace
the queue with your system's client one part at a time and keep \`npm test\` green; the
kit says in one sentence what a change broke. For a server, start it in a vitest
\`globalSetup\` and add a \`leftovers()\` hook so the kit checks your teardown.

## Publish

Keep the name \`cdcb-plugin-${name}\` and the \`cdcb-plugin\` keyword (that is how users
find it and how \`plugin: '${name}'\` resolves), keep \`@cdcb/core\` a peer dependency, then
\`npm publish\`.
`,
  }
}
