import { describe, expect, it } from 'vitest'
import { type ConfigOverrides, resolveConfig } from '../../src/config/resolve-config.js'
import { ConfigError } from '../../src/errors.js'

const base = { source: { plugin: 'memory' }, sink: { plugin: 'memory' }, workers: 1 }

async function problem(config: unknown, overrides: ConfigOverrides = {}): Promise<string> {
  const error = await resolveConfig(config, { origin: 'bench.config.ts', overrides }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(ConfigError)
  return (error as Error).message
}

describe('a flag is checked exactly as the config key it overrides', () => {
  it('--workers keeps the cap of workers, and says it', async () => {
    expect(await problem(base, { workers: 1000 })).toBe(
      '--workers: expected a whole number from 1 to 256 (the most worker threads cdcb runs), got 1000',
    )
    expect(await problem(base, { workers: 0 })).toMatch(/^--workers: expected a whole number from 1 to 256/)
    expect(await problem(base, { workers: 'many' })).toMatch(/^--workers: .* got "many"$/)
  })

  it('--seed takes any whole number, as load.seed does', async () => {
    for (const seed of [0, -7, 2 ** 40]) {
      const config = await resolveConfig(base, { origin: 'x', overrides: { seed } })
      expect(config.load.seed).toBe(seed)
    }
    expect(await problem(base, { seed: 1.5 })).toBe('--seed: expected a whole number, got 1.5')
  })

  it('--rate and --duration as load.rate and load.duration', async () => {
    expect(await problem(base, { rate: -1 })).toBe('--rate: expected a positive number, got -1')
    expect(await problem(base, { rate: 'fast' })).toBe('--rate: expected a positive number, got "fast"')
    expect(await problem(base, { duration: 'ages' })).toMatch(/^--duration: expected a duration/)
  })
})

describe('refused up front, before anything runs', () => {
  it('an SLO on verified with no verifier', async () => {
    expect(await problem({ ...base, slo: { verified: '>= 99%' } })).toBe(
      'bench.config.ts: slo: "verified >= 99%" needs a verifier, and this config has none — add verify: (e.g. the sink\'s plugin), or remove the SLO',
    )
  })

  it('options on the memory sink or verifier, which would be ignored', async () => {
    expect(await problem({ ...base, sink: { plugin: 'memory', options: { delay: '5ms' } } })).toBe(
      'bench.config.ts: sink.options: the memory sink takes no options (they would be ignored) — set them on source.options instead, or remove them',
    )
    expect(await problem({ ...base, verify: { plugin: 'memory', options: { loss: 0.1 } } })).toMatch(
      /^bench\.config\.ts: verify\.options: the memory verify takes no options/,
    )
  })

  // Trial 910: `load.rate: 100` beside `load.concurrency: 4` ran at 277.8k/s, exit 0, the rate ignored.
  it('load.rate beside load.concurrency, which has no rate; --rate switches the config to the open model', async () => {
    expect(await problem({ ...base, load: { rate: 100, concurrency: 4 } })).toBe(
      "bench.config.ts: load.rate: cannot be combined with load.concurrency — the closed model's writers send as fast as acks come back and have no rate; remove load.rate (or load.concurrency for an open model at that rate)",
    )
    const config = await resolveConfig(
      { ...base, load: { concurrency: 4 } },
      { origin: 'x', overrides: { rate: 100 } },
    )
    expect(config.load.model).toBe('open')
  })

  it('a value read from an unset environment variable', async () => {
    const env: Record<string, string | undefined> = {}
    expect(
      await problem({ ...base, source: { plugin: 'memory', options: { delay: env.CDCB_UNSET_DELAY } } }),
    ).toMatch(
      /^bench\.config\.ts: source\.options\.delay: is undefined — is it read from an environment variable/,
    )
  })
})

describe('every message names the file and, for a plugin, the slot', () => {
  it('a plugin that is not installed', async () => {
    expect(await problem({ ...base, sink: { plugin: 'nope' } })).toBe(
      'bench.config.ts: sink.plugin: plugin "cdcb-plugin-nope" is not installed — run: npm i -D cdcb-plugin-nope (or @cdcb/plugin-nope)',
    )
  })

  it('a plugin option out of range says what it got', async () => {
    expect(await problem({ ...base, source: { plugin: 'memory', options: { loss: 2 } } })).toMatch(
      /^bench\.config\.ts: source\.options\.loss: expected a rate from 0 to 1.*, got 2$/,
    )
  })

  it('an SLO error is one line', async () => {
    const message = await problem({ ...base, slo: { 'e2e.p99': '< 2 parsecs' } })
    expect(message).toBe(
      'bench.config.ts: slo: unit "parsecs" is not a time unit (use us, ms or s) — "parsecs" at character 13 of "e2e.p99 < 2 parsecs"',
    )
  })
})

describe('a windowed SLO must fit the run', () => {
  const windowed = (slo: string, load: Record<string, unknown> = {}, interval?: string) =>
    problem({
      ...base,
      slo: [slo],
      load: { rate: 10, duration: '1m', ...load },
      ...(interval ? { interval } : {}),
    })

  it('a window shorter than the reporting interval', async () => {
    expect(await windowed('e2e.p99[500ms] < 2s')).toBe(
      'bench.config.ts: slo: "e2e.p99[500ms] < 2s": the window (0.5s) is shorter than the reporting interval (1s) — use a window of at least 1s, or a shorter interval',
    )
  })

  it('a window that is not a whole number of intervals', async () => {
    expect(await windowed('e2e.p99[3s] < 2s', {}, '2s')).toMatch(
      /is not a whole number of reporting intervals \(2s\)/,
    )
  })

  it('a window longer than the measured run', async () => {
    expect(await windowed('throughput[2m] >= 9/s')).toBe(
      'bench.config.ts: slo: "throughput[2m] >= 9/s": the window (120s) is longer than the measured run (60s) — use a window of at most 60s, or a longer load.duration',
    )
  })

  it('a warmup that does not end on a reporting tick', async () => {
    expect(await windowed('e2e.p99[10s] < 2s', { warmup: '1.5s' })).toMatch(
      /load\.warmup \(1\.5s\) is not a whole number of intervals \(1s\)/,
    )
  })

  it('a window that fits resolves', async () => {
    const config = await resolveConfig(
      { ...base, slo: ['e2e.p99[20s] < 2s'], load: { rate: 10, duration: '1m', warmup: '2s' } },
      { origin: 'bench.config.ts' },
    )
    expect(config.slo[0]!.windowMicros).toBe(20e6)
  })
})

describe('faults and recovery that could not measure what they ask are refused up front (trial15 item 7)', () => {
  const load = { rate: 10, duration: '5s' }
  const exec = { exec: 'true', undo: 'true' }

  it('a fault of no length', async () => {
    expect(await problem({ ...base, load, faults: [{ at: '1s', for: '0s', action: exec }] })).toBe(
      'bench.config.ts: faults.0.for: expected a duration longer than 0, such as "10s" (leave "for" out for a fault with no undo), got "0s"',
    )
  })

  it('a fault undone after the load ends', async () => {
    expect(await problem({ ...base, load, faults: [{ at: '3s', for: '4s', action: exec }] })).toBe(
      'bench.config.ts: faults.0.for: at 3s + for 4s ends at 7s, after the load ends (5s with the warmup) — shorten it, start it earlier or lengthen the load',
    )
    // Ending exactly with the load is fine.
    await resolveConfig({ ...base, load, faults: [{ at: '3s', for: '2s', action: exec }] }, { origin: 'x' })
  })

  it('two faults of one name', async () => {
    const faults = [
      { name: 'pause', at: '1s', for: '1s', action: exec },
      { name: 'pause', at: '3s', for: '1s', action: exec },
    ]
    expect(await problem({ ...base, load, faults })).toBe(
      'bench.config.ts: faults.1.name: "pause" is also faults.0\'s name — give each fault its own name (faults.N.name)',
    )
  })

  // The whole command as the name made one error line repeat it three times.
  it('names an unnamed exec fault by its program, each default its own', async () => {
    const command = 'echo boom went the thing >&2; exit 4'
    const faults = [
      { at: '1s', action: { exec: command } },
      { at: '2s', action: { exec: ['/usr/local/bin/a-program-with-a-very-long-name-indeed', 'x'] } },
      { at: '3s', action: { exec: `  ${command}` } },
    ]
    const resolved = await resolveConfig({ ...base, load, faults }, { origin: 'x' })
    expect(resolved.faults.map((f) => f.name)).toEqual([
      'echo',
      'a-program-with-a-very-long-na…',
      'echo (faults.2)',
    ])
  })

  it('a recovery baseline of 0 or longer than the load', async () => {
    expect(await problem({ ...base, load, recovery: { baseline: '0s' } })).toMatch(
      /^bench\.config\.ts: recovery\.baseline: expected a duration longer than 0/,
    )
    expect(await problem({ ...base, load, recovery: { baseline: '10m' } })).toBe(
      'bench.config.ts: recovery.baseline: 10m is longer than the load (5s with the warmup) — use a baseline shorter than the time before the first fault or burst',
    )
  })
})

describe("a fault's pipeline action is checked against the plugin's list before anything starts", () => {
  const load = { rate: 10, duration: '5s' }
  const memoryPipeline = { ...base, load, pipeline: { plugin: 'memory' } }

  it('a misspelt action: one line with a did-you-mean and the actions there are', async () => {
    const faults = [{ at: '1s', for: '1s', action: { pipeline: 'stal' } }]
    expect(await problem({ ...memoryPipeline, faults })).toBe(
      'bench.config.ts: faults.0.action.pipeline: the memory pipeline has no action "stal" — did you mean "stall"? (its actions: stall, resume)',
    )
  })

  it('an action with "for" and no "undo" is undone with the one its plugin names', async () => {
    const faults = [{ at: '1s', for: '1s', action: { pipeline: 'stall' } }]
    const config = await resolveConfig({ ...memoryPipeline, faults }, { origin: 'x' })
    expect(config.faults[0]!.action).toEqual({ pipeline: 'stall', undo: 'resume' })
    // Without "for" it is a one-shot action: nothing implied.
    const once = await resolveConfig(
      { ...memoryPipeline, faults: [{ at: '1s', action: { pipeline: 'stall' } }] },
      { origin: 'x' },
    )
    expect(once.faults[0]!.action).toEqual({ pipeline: 'stall' })
  })

  it('an undo that is the action itself: one line naming its counterpart (it stalled again at the end)', async () => {
    const faults = [{ at: '1s', for: '1s', action: { pipeline: 'stall', undo: 'stall' } }]
    expect(await problem({ ...memoryPipeline, faults })).toBe(
      "bench.config.ts: faults.0.action.undo: 'stall' is the action itself — use 'resume'",
    )
  })
})

describe('a fault whose "for" and undo do not go together is refused, naming the key', () => {
  const load = { rate: 10, duration: '5s' }
  it('an undo without "for", and a "for" that nothing undoes', async () => {
    expect(
      await problem({ ...base, load, faults: [{ at: '1s', action: { exec: 'true', undo: 'true' } }] }),
    ).toBe(
      'bench.config.ts: faults.0.action.undo: a fault without "for" is a one-shot action, never undone — add "for" (how long the fault lasts), or remove "undo"',
    )
    expect(
      await problem({
        ...base,
        load,
        faults: [{ at: '1s', for: '2s', action: { signal: 'SIGTERM', pidFile: 'x.pid' } }],
      }),
    ).toBe(
      'bench.config.ts: faults.0.for: nothing undoes SIGTERM (only SIGSTOP and SIGTSTP are, with SIGCONT) — remove "for" for a one-shot fault',
    )
    expect(
      await problem({ ...base, load, faults: [{ at: '1s', for: '2s', action: { exec: 'true' } }] }),
    ).toMatch(/^bench\.config\.ts: faults\.0\.for: the action has no "undo"/)
  })
})
