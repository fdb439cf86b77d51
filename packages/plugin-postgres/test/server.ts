/**
 * One embedded PostgreSQL per test file, with a source and a target database,
 * and helpers to run a benchmark through the public runtime API.
 */
import {
  digestOf,
  type PluginContext,
  payloadFor,
  type Reporter,
  type RunContext,
  type RunResult,
  type UserConfig,
  writePayload,
} from '@cdcb/core'
import { RunControl, resolveConfig, runBenchmark } from '@cdcb/core/runtime'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { childrenOf, type EmbeddedServer, startEmbeddedPostgres } from '../src/embedded.js'

export interface TestServer {
  server: EmbeddedServer
  sourceUrl: string
  targetUrl: string
  /** A connected client; closed after the file's tests. */
  client(url: string): Promise<pg.Client>
}

/** Starts the server before the file's tests and stops it after them. */
export function useEmbeddedPostgres(): TestServer {
  const clients: pg.Client[] = []
  const state = {} as TestServer
  beforeAll(async () => {
    const server = await startEmbeddedPostgres()
    const admin = new pg.Client({ connectionString: server.url() })
    await admin.connect()
    await admin.query('CREATE DATABASE cdcb_source')
    await admin.query('CREATE DATABASE cdcb_target')
    await admin.end()
    state.server = server
    state.sourceUrl = server.url('cdcb_source')
    state.targetUrl = server.url('cdcb_target')
    state.client = async (url) => {
      const client = new pg.Client({ connectionString: url })
      client.on('error', () => {})
      await client.connect()
      clients.push(client)
      return client
    }
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})))
    await state.server?.stop()
  })
  return state
}

/** Runs a config through resolveConfig + runBenchmark; `onStart` runs once the schedule has started. */
export async function run(
  config: UserConfig,
  options: {
    runId?: string
    onStart?: (runId: string) => void | Promise<void>
    logs?: string[]
    control?: RunControl
  } = {},
): Promise<RunResult> {
  const resolved = await resolveConfig(config, { origin: 'test' })
  const reporter: Reporter = {
    onRunStart: (info) => {
      void options.onStart?.(info.runId)
    },
    onLog: (message) => {
      options.logs?.push(message)
    },
  }
  return runBenchmark(resolved, {
    reporters: [reporter],
    control: options.control ?? new RunControl(),
    runId: options.runId,
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Freezes (SIGSTOP) the postmaster `pid` and every process it forked, until `thaw()`. Signalling the
 * postmaster's process group is not enough: each backend, the walsenders included, calls setsid() and
 * leads its own (ps shows their PGID equal to their PID).
 */
export function freezeServer(pid: number): { readonly frozenAt: number; thaw(): number } {
  const pids = [pid, ...childrenOf(pid)]
  for (const p of pids) process.kill(p, 'SIGSTOP')
  const frozenAt = Date.now()
  let thawedAt = 0
  return {
    frozenAt,
    /** Resumes them all; returns when (epoch ms). Safe to call twice. */
    thaw() {
      if (thawedAt) return thawedAt
      for (const p of pids) {
        try {
          process.kill(p, 'SIGCONT')
        } catch {
          // Gone meanwhile: nothing to resume.
        }
      }
      thawedAt = Date.now()
      return thawedAt
    },
  }
}

/**
 * The contexts a test gives a plugin's parts when it drives them without a run (`prepare` gets `run`,
 * `createSink`/`createSource` get `plugin`): seed 3, 32-byte payloads, 10 keys, one shard.
 */
export function pluginContexts(runId: string, name: string): { run: RunContext; plugin: PluginContext } {
  const seed = 3
  const payloadSize = 32
  const signal = new AbortController().signal
  const payload = (seq: number) => payloadFor(seed, seq, payloadSize)
  return {
    run: { runId, name, seed, shards: 1, signal, log: () => {} },
    plugin: {
      runId,
      shard: 0,
      shards: 1,
      seed,
      payloadSize,
      keys: 10,
      startedAt: () => undefined,
      signal,
      payload,
      writePayload: (seq, target, offset) => writePayload(seed, seq, target, offset, payloadSize),
      digest: (seq) => digestOf(payload(seq)),
      marker: (op) => ({ runId, seq: op.seq, intendedAt: op.intendedAt, digest: digestOf(payload(op.seq)) }),
      parseMarker: () => undefined,
      log: () => {},
    },
  }
}
