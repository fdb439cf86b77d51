/**
 * The conformance kit's probe: a plugin that wraps the plugin under test in each
 * slot, passes every call through unchanged, and writes down in shared memory
 * (see probe-record.ts) what was written and what was observed, judging each
 * observation's seq, key and time stamps as it goes. Runs in the worker threads
 * (and on the main thread for `prepare`), exactly where the wrapped parts run.
 */
import { nowMicros } from '../clock.js'
import { importPlugin } from '../config/plugin-loader.js'
import type { ResolvedPlugin } from '../config/resolve-config.js'
import type { Observer, PluginContext, PluginDefinition, Sink, Source, Verifier } from '../plugin.js'
import { type ProbeBuffers, ProbeRecord, TAMPER } from './probe-record.js'

/** The probe's options: the plugin it wraps and the shared record. */
export interface ProbeOptions {
  readonly inner: ResolvedPlugin
  readonly record: ProbeBuffers
}

/** A stamp further than this from where it should be is an offset, not latency (same machine, loopback). */
const OFFSET_LIMIT_MICROS = 1e6
/** Slack for rounding to whole microseconds (markers carry intended times rounded to one). */
const ROUNDING_MICROS = 1

const records = new Map<ProbeBuffers, ProbeRecord>()
function recordOf(buffers: ProbeBuffers): ProbeRecord {
  let record = records.get(buffers)
  if (!record) {
    record = new ProbeRecord(buffers)
    records.set(buffers, record)
  }
  return record
}

const inner = (options: ProbeOptions) => importPlugin(options.inner.moduleUrl, options.inner.name)

/** Which unit a stamp seems to be in, judged against now in epoch microseconds. */
function unitOf(stamp: number, now: number): string | undefined {
  const ratio = stamp / now
  if (ratio > 1e-4 && ratio < 1e-2) return 'milliseconds'
  if (ratio > 1e-7 && ratio < 1e-5) return 'seconds'
  if (ratio > 1e2 && ratio < 1e4) return 'nanoseconds'
  return undefined
}

/** `resolution()`: the sink's declared stampResolutionMicros, a stamp's allowed slack either way. */
function probeObserver(observer: Observer, record: ProbeRecord, resolution: () => number): Observer {
  return {
    observe(seq, key, intendedAt, committedAt, observedAt) {
      const now = nowMicros()
      if (!record.wasWritten(seq)) record.note('neverWritten', seq, seq, record.planned)
      else {
        record.noteObserved(seq)
        const writtenKey = record.keyWritten(seq)
        if (key !== writtenKey) record.note('wrongKey', seq, key, writtenKey)
        const writtenAt = record.intendedWritten(seq)
        if (Math.abs(intendedAt - writtenAt) > ROUNDING_MICROS)
          record.note('wrongIntendedAt', seq, intendedAt, writtenAt)
      }
      const seenAt = observedAt ?? now
      const slack = Math.max(ROUNDING_MICROS, resolution())
      if (committedAt !== undefined) {
        if (!Number.isFinite(committedAt)) record.note('notFinite', seq, committedAt, now)
        else if (unitOf(committedAt, now)) record.note('committedUnit', seq, committedAt, now)
        else if (committedAt < intendedAt - OFFSET_LIMIT_MICROS || committedAt > now + OFFSET_LIMIT_MICROS)
          record.note('committedOffset', seq, committedAt, intendedAt)
        else if (committedAt < intendedAt - slack) record.note('negativeE2e', seq, committedAt, intendedAt)
        else if (committedAt > seenAt + slack) record.note('committedAfterSeen', seq, committedAt, seenAt)
      }
      if (observedAt !== undefined) {
        if (!Number.isFinite(observedAt)) record.note('notFinite', seq, observedAt, now)
        else if (unitOf(observedAt, now)) record.note('observedUnit', seq, observedAt, now)
        else if (observedAt < intendedAt - ROUNDING_MICROS || observedAt > now + OFFSET_LIMIT_MICROS)
          record.note('observedOffset', seq, observedAt, intendedAt)
      }
      observer.observe(seq, key, intendedAt, committedAt, observedAt)
    },
    corrupt: (seq, reason) => observer.corrupt(seq, reason),
    error: (kind, message, count) => observer.error?.(kind, message, count),
  }
}

export default {
  name: 'conformance-probe',
  core: '*',
  async prepare(slot, options, context) {
    const plugin = await inner(options)
    return plugin.prepare?.(slot, options.inner.options, context)
  },
  async createSource(options, context: PluginContext): Promise<Source> {
    const record = recordOf(options.record)
    const source = await (await inner(options)).createSource!(options.inner.options, context)
    return {
      open: source.open && (() => source.open!()),
      close: source.close && (() => source.close!()),
      stats: source.stats && (() => source.stats!()),
      async write(ops) {
        for (const op of ops) record.noteWritten(op.seq, op.key, op.intendedAt)
        await source.write(ops)
        for (const op of ops) record.noteAcked(op.seq)
      },
    }
  },
  async createSink(options, context: PluginContext): Promise<Sink> {
    const record = recordOf(options.record)
    const sink = await (await inner(options)).createSink!(options.inner.options, context)
    return {
      get timeBase() {
        return sink.timeBase
      },
      get stampResolutionMicros() {
        return sink.stampResolutionMicros
      },
      start: (observer) => sink.start(probeObserver(observer, record, () => sink.stampResolutionMicros ?? 0)),
      stop: sink.stop && (() => sink.stop!()),
      stats: sink.stats && (() => sink.stats!()),
    }
  },
  async createVerifier(options, context: PluginContext): Promise<Verifier> {
    const record = recordOf(options.record)
    const verifier = await (await inner(options)).createVerifier!(options.inner.options, context)
    return {
      close: verifier.close && (() => verifier.close!()),
      async verify(expected) {
        const target = expected[0]
        if (!target) return verifier.verify(expected)
        if (!verifier.tamper) {
          Atomics.add(record.tamper, TAMPER.noHook, 1)
          return verifier.verify(expected)
        }
        // Change one key behind the verifier's back; it must report that key, and only
        // that mismatch is taken out again so the report shows the plugin's own problems.
        await verifier.tamper(target.key)
        Atomics.add(record.tamper, TAMPER.tried, 1)
        Atomics.store(record.tamper, TAMPER.key, target.key)
        const report = await verifier.verify(expected)
        const listed = report.mismatches.some((m) => m.key === target.key)
        const truncated = report.mismatches.length < report.mismatched
        if (!listed && !(truncated && report.mismatched > 0)) return report
        Atomics.add(record.tamper, TAMPER.detected, 1)
        return {
          checked: report.checked,
          mismatched: report.mismatched - 1,
          mismatches: report.mismatches.filter((m) => m.key !== target.key),
        }
      },
    }
  },
} satisfies PluginDefinition<ProbeOptions>
