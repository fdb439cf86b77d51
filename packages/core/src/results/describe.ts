import os from 'node:os'
import { CORE_VERSION } from '../config/plugin-loader.js'
import type { ResolvedConfig, ResolvedPlugin } from '../config/resolve-config.js'
import { redactUrl } from '../errors.js'
import type { ConfigDescription, MachineDescription, PluginDescription } from '../result.js'

/**
 * Option names whose values are secrets. `keys` (the key space) and `batchSize`
 * are not: the pattern looks for the words people use for credentials.
 */
const SECRET_NAME =
  /pass(word|phrase)?$|passwd|secret|token|credential|api[-_]?key|access[-_]?key|private[-_]?key|^auth|sasl|cookie|session/i

/** Replaces secret-looking option values by "***" and passwords inside URLs by "***", recursively. */
export function redactSecrets(value: unknown, name = ''): unknown {
  if (name !== '' && SECRET_NAME.test(name) && value !== null && value !== undefined && value !== '') {
    return typeof value === 'object' ? redactObject(value) : '***'
  }
  if (typeof value === 'string') return redactUrl(value)
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item))
  if (value !== null && typeof value === 'object') return redactObject(value)
  if (typeof value === 'function') return '[function]'
  return value
}

function redactObject(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_NAME.test(key) && typeof item !== 'object' ? '***' : redactSecrets(item, key)
  }
  return out
}

function describePlugin(plugin: ResolvedPlugin): PluginDescription {
  return { name: plugin.name, options: redactSecrets(plugin.options ?? {}) as Record<string, unknown> }
}

/** What the result keeps of the config: what shaped the load, with secrets redacted, for reports and `cdcb compare`. */
export function describeConfig(config: ResolvedConfig): ConfigDescription {
  const load = config.load
  return {
    name: config.name,
    source: describePlugin(config.source),
    sink: describePlugin(config.sink),
    verify: config.verify ? describePlugin(config.verify) : null,
    workers: config.workers,
    intervalSeconds: config.intervalMicros / 1e6,
    slo: config.slo.map((s) => s.source),
    abortOnFail: config.abortOnFail,
    pipeline: config.pipeline ? describePlugin(config.pipeline) : null,
    faults: config.faults.map((f) => ({
      name: f.name,
      at: f.atMicros / 1e6,
      for: f.forMicros === undefined ? null : f.forMicros / 1e6,
      action: redactSecrets(f.action) as Record<string, unknown>,
    })),
    load: {
      model: load.model,
      stages: load.schedule.segments.map((s) => ({
        seconds: s.durationMicros / 1e6,
        fromRate: s.fromRate,
        toRate: s.toRate,
      })),
      warmupSeconds: load.warmupMicros / 1e6,
      totalSeconds: load.totalMicros / 1e6,
      concurrency: load.concurrency,
      maxInFlight: load.maxInFlight,
      batchSize: load.batchSize,
      mix: { ...load.mix },
      keys: load.keys,
      payloadSize: load.payloadSize,
      seed: load.seed,
      drainTimeoutSeconds: load.drainTimeoutMicros / 1e6,
      lateAfterMs: load.lateAfterMicros / 1e3,
    },
  }
}

/** The machine the run's main process ran on (where its workers ran too). */
export function describeMachine(): MachineDescription {
  const cpus = os.cpus()
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    cdcb: CORE_VERSION,
  }
}
