import { describe, expect, it } from 'vitest'
import { parseUserConfig } from '../../src/config/schema.js'

const base = { source: { plugin: 'memory' }, sink: { plugin: 'memory' } }

describe('config validation messages', () => {
  it.each([
    [
      { ...base, load: { rate: 'fast' } },
      'bench.config.ts: load.rate: expected a positive number, got "fast"',
    ],
    [{ ...base, load: { rate: -5 } }, 'bench.config.ts: load.rate: expected a positive number, got -5'],
    [{ ...base, load: { rat: 5 } }, 'bench.config.ts: load.rat: unknown key — did you mean "rate"?'],
    [{ ...base, lod: {} }, 'bench.config.ts: lod: unknown key — did you mean "load"?'],
    [{ sink: { plugin: 'memory' } }, 'bench.config.ts: source: is required'],
    [
      { ...base, load: { duration: 'forever' } },
      'bench.config.ts: load.duration: expected a duration such as "30s", "500ms" or "2m", got "forever"',
    ],
    [
      { ...base, load: { stages: [{ duration: '1s', rate: 5, target: 9 }] } },
      'a stage takes either "rate" (hold) or "target" (ramp to)',
    ],
    [{ ...base, workers: 1.5 }, 'bench.config.ts: workers: expected a whole number from 1 to 256, got 1.5'],
    // The real limit, not "expected a positive whole number, got 1000".
    [
      { ...base, workers: 1000 },
      'bench.config.ts: workers: expected a whole number from 1 to 256 (the most worker threads cdcb runs), got 1000',
    ],
    [
      { ...base, interval: '0s' },
      'bench.config.ts: interval: expected a duration of at least 100ms, such as "1s", got "0s"',
    ],
    // Trial 910 item 9: a stage's unknown key listed no known keys (`known keys: ` and nothing after).
    [
      { ...base, load: { stages: [{ for: '1s', rate: 5 }] } },
      'bench.config.ts: load.stages.0.for: unknown key — known keys: duration, rate, target',
    ],
    // Trial 910 item 9: was zod's raw "Too small: expected number to be >=0".
    [
      { ...base, load: { payloadSize: -1 } },
      'bench.config.ts: load.payloadSize: expected a whole number of bytes from 0 to 1,000,000, got -1',
    ],
    [
      { ...base, load: { payloadSize: 2_000_000 } },
      'bench.config.ts: load.payloadSize: expected a whole number of bytes from 0 to 1,000,000, got 2000000',
    ],
    // A misspelt required key gets its did-you-mean rather than "source: is required".
    [
      { sourc: { plugin: 'memory' }, sink: { plugin: 'memory' } },
      'bench.config.ts: sourc: unknown key — did you mean "source"?',
    ],
    // Inside a list and a union of shapes (a fault's action), as at the top (trial15 items 4 and 8).
    [
      { ...base, faults: [{ at: '1s', acton: { exec: 'true' } }] },
      'bench.config.ts: faults.0.acton: unknown key — did you mean "action"?',
    ],
    [
      { ...base, faults: [{ at: '1s', zzzzzzz: 1, action: { exec: 'true' } }] },
      'bench.config.ts: faults.0.zzzzzzz: unknown key — known keys: name, at, for, action',
    ],
    [
      { ...base, faults: [{ at: '1s', action: { exec: 'true', udo: 'false' } }] },
      'bench.config.ts: faults.0.action.udo: unknown key — did you mean "undo"?',
    ],
    [
      { ...base, faults: [{ at: '1s', action: { signal: 'SIGSTOP' } }] },
      "bench.config.ts: faults.0.action.pidFile: is required — expected the path of the file holding the process's pid (relative to the config file's folder)",
    ],
    [{ ...base, faults: ['oops'] }, 'bench.config.ts: faults.0: expected object, got "oops"'],
    // A typo of the key that picks the action's kind leaves no kind closest: the typo is what to fix.
    [
      { ...base, faults: [{ at: '1s', action: { exce: 'sleep 5', undo: 'true' } }] },
      'bench.config.ts: faults.0.action.exce: unknown key — did you mean "exec"?',
    ],
    [
      { ...base, faults: [{ at: '1s', action: { pipline: 'pause', undo: 'resume' } }] },
      'bench.config.ts: faults.0.action.pipline: unknown key — did you mean "pipeline"?',
    ],
    [
      { ...base, faults: [{ at: '1s', action: { pipline: 'pause' } }] },
      'bench.config.ts: faults.0.action.pipline: unknown key — did you mean "pipeline"?',
    ],
    // A signal's undo is implied (SIGSTOP → SIGCONT): an `undo` beside it once left a process stopped after the run.
    [
      { ...base, faults: [{ at: '1s', action: { signal: 'SIGCONT', pidFile: 'x.pid', undo: 'SIGSTOP' } }] },
      'bench.config.ts: faults.0.action.undo: undo goes with an exec action ({ exec, undo }) or a pipeline action ({ pipeline, args, undo, undoArgs }); a signal action takes only signal and pidFile',
    ],
    // A key of another action's kind is not a typo: "did you mean "pidFile"?" of pidFile said nothing.
    [
      { ...base, faults: [{ at: '1s', action: { pipeline: 'stall', pidFile: 'x' } }] },
      'bench.config.ts: faults.0.action.pidFile: pidFile goes with a signal action ({ signal, pidFile }); a pipeline action takes only pipeline, args, undo and undoArgs',
    ],
    [
      { ...base, faults: [{ at: '1s', action: { exec: 'true', args: {} } }] },
      'bench.config.ts: faults.0.action.args: args goes with a pipeline action ({ pipeline, args, undo, undoArgs }); an exec action takes only exec and undo',
    ],
  ])('names the path and what was expected', (config, message) => {
    expect(() => parseUserConfig(config, 'bench.config.ts')).toThrowError(message)
  })

  it('rejects a config that is not an object', () => {
    expect(() => parseUserConfig([], 'x.json')).toThrowError('x.json: expected the config to be an object')
  })
})
