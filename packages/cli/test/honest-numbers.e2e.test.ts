/**
 * Issue #9: every figure cdcb prints is true, or says it is unknown. One test
 * (or more) per kind of fault, each through the built `cdcb` binary, each with
 * the input that showed the fault.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { decodeHistogram, summarize } from '@cdcb/core/runtime'
import { describe, expect, it } from 'vitest'
import { readResult, runCli, writeConfig } from './helpers.js'

const FAULTY = path.resolve('packages/cli/test/fixtures/faulty-plugin.mjs')
const faulty = (options: Record<string, unknown>) => ({ plugin: FAULTY, options })

/** Runs a config and returns the process, its result file and its JUnit file's text. */
async function run(config: unknown, options: Parameters<typeof runCli>[1] = {}, args: string[] = []) {
  const file = writeConfig(config)
  const out = path.join(path.dirname(file), 'result.json')
  const junit = path.join(path.dirname(file), 'slo.xml')
  const started = Date.now()
  const cli = await runCli(['run', '--config', file, '--out', out, '--junit', junit, ...args], options)
  return { ...cli, seconds: (Date.now() - started) / 1000, out, junit }
}

/** A port free right now on loopback (never a fixed one: the machine is shared). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Sends SIGINT once `measure` has been printed `n` times, and notes when. */
function interruptAfter(intervals: number) {
  const state = { at: 0 }
  return {
    state,
    onStdout: (text: string, kill: (signal: NodeJS.Signals) => void) => {
      if (!state.at && (text.match(/\| measure/g) ?? []).length >= intervals) {
        state.at = Date.now()
        kill('SIGINT')
      }
    },
  }
}

describe('1. every phase has a deadline', () => {
  it('a write that never settles is reported as unresolved when the in-flight wait ends, and the run reports', async () => {
    const r = await run({
      source: faulty({ hangSeq: 7 }),
      sink: faulty({}),
      workers: 1,
      load: { rate: 100, duration: '2s', drainTimeout: '3s', batchSize: 1 },
    })
    expect(r.code).toBe(1)
    const result = readResult(r.out)
    expect(result.events.unresolved).toBe(1)
    expect(result.events.lost).toBe(0)
    expect(result.phases.find((p) => p.name === 'inFlight')?.outcome).toBe('deadline')
    expect(result.warnings.join('\n')).toMatch(/inFlight: 1 writes were neither acknowledged nor failed/)
    expect(r.stdout).toMatch(/✗ FAIL\s+unresolved == 0\s+actual 1/)
  })

  it('the first Ctrl-C gives the report within about 5 s, even with a hung write and a sink that never stops', async () => {
    const interrupt = interruptAfter(2)
    const r = await run(
      {
        source: faulty({ hangSeq: 7 }),
        sink: faulty({ hangStop: true }),
        workers: 1,
        load: { rate: 100, duration: '60s', batchSize: 1 },
      },
      { onStdout: interrupt.onStdout },
    )
    const afterSignal = (Date.now() - interrupt.state.at) / 1000
    expect(r.code).toBe(130)
    // 5 s for load, in-flight and drain together, 2 s to close; generous for a loaded machine.
    expect(afterSignal).toBeLessThan(12)
    const result = readResult(r.out)
    expect(result.status).toBe('interrupted')
    expect(result.events.unresolved).toBe(1)
    expect(result.phases.find((p) => p.name === 'close')?.outcome).toBe('stopped')
  })
})

describe('2. loss is declared only after a full drain', () => {
  it('an interrupt cuts the drain short: events still in the pipeline are unresolved, the lost SLO is skipped', async () => {
    const interrupt = interruptAfter(4)
    const r = await run(
      {
        source: { plugin: 'memory', options: { delay: '8s' } },
        sink: { plugin: 'memory' },
        workers: 2,
        load: { rate: 500, duration: '20s' },
        slo: { lost: '== 0', 'e2e.p99': '< 10s' },
      },
      { onStdout: interrupt.onStdout },
    )
    expect(r.code).toBe(130)
    const result = readResult(r.out)
    // Loss was never decided: unknown, not 0.
    expect(result.events.lost).toBeNull()
    expect(r.stdout).toMatch(/lost – \(unknown\), unresolved/)
    // Events intended in the first ~1 s of the window arrived 8 s later at 500/s: the rate over the span
    // they were offered in, not over the whole 4 s window (that gave ~125/s).
    expect(result.rate.achieved).toBeGreaterThan(350)
    expect(result.rate.achieved).toBeLessThan(650)
    expect(result.events.unresolved).toBeGreaterThan(1000)
    expect(result.events.unresolved).toBe(result.events.acked - result.events.observed)
    const lost = result.slo.checks.find((c) => c.expression === 'lost == 0')
    expect(lost).toMatchObject({ status: 'skipped', note: /cut the drain short/ })
    expect(r.stdout).toMatch(
      /– skip\s+lost == 0\s+not measured: the interrupt \(Ctrl-C\) cut the drain short/,
    )
    expect(readFileSync(r.junit, 'utf8')).toMatch(
      /<testcase classname="cdcb.slo" name="lost == 0">\s*<skipped/,
    )
    // The warning names the drain that really ran (at most the 5 s an interrupt allows), not load.drainTimeout.
    const drain = /cut the drain short after ([\d.]+)s/.exec(result.warnings.join('\n'))
    expect(Number(drain?.[1])).toBeLessThanOrEqual(6)
    expect(result.warnings.join('\n')).not.toMatch(/30s/)
  })
})

describe('2d. the report carries the final status', () => {
  it('a teardown that fails after the report rewrites the JSON file with exit 3, and the summary says so', async () => {
    const r = await run({
      source: faulty({ failTeardown: true }),
      sink: faulty({}),
      workers: 1,
      load: { rate: 100, duration: '1s' },
    })
    expect(r.code).toBe(3)
    const result = readResult(r.out)
    expect(result.status).toBe('failed')
    expect(result.exitCode).toBe(3)
    expect(result.reason).toMatch(/^runtime failure: .*could not reach the server to drop cdcb_events/)
    expect(r.stdout).toMatch(/PASSED/)
    expect(r.stdout).toMatch(/— now FAILED \(runtime failure: .*\), exit 3/)
  })
})

describe('2c. loss unknown is not exported as 0', () => {
  it('Prometheus has no cdcb_events_lost sample while loss is undecided', async () => {
    const port = await freePort()
    let scraped: Promise<string> | undefined
    const r = await run(
      {
        source: { plugin: 'memory', options: { delay: '3s' } },
        sink: { plugin: 'memory' },
        workers: 1,
        load: { rate: 200, duration: '3s' },
        slo: { lost: '== 0', errors: '< 1%' },
      },
      {
        onStdout: (text) => {
          if (!scraped && text.includes('| measure'))
            scraped = fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.text())
        },
      },
      // Scraped live only: no final scrape to wait for.
      ['--prometheus', `127.0.0.1:${port}`, '--prometheus-linger', '0'],
    )
    expect(r.code).toBe(0)
    const metrics = await scraped!
    expect(metrics).toMatch(/^cdcb_events_sent_total\{/m)
    expect(metrics).not.toMatch(/^cdcb_events_lost\{/m)
    // An SLO not measurable yet is unknown, not failing: no cdcb_slo_passing sample for it.
    expect(metrics).not.toMatch(/^cdcb_slo_passing\{[^}]*expression="lost == 0"/m)
    expect(metrics).toMatch(/^cdcb_slo_passing\{[^}]*expression="errors < 1%"[^}]*\} 1$/m)
    // cdcb_slo_actual says its unit.
    expect(metrics).toMatch(/^cdcb_slo_actual\{[^}]*expression="errors < 1%"[^}]*unit="%"[^}]*\} 0$/m)
  })
})

describe('2b. a drain that times out decides lost or unresolved from what was still arriving', () => {
  it('deliveries still arriving at the drain deadline: unresolved, with the rate and the drain it would need', async () => {
    // The pipeline delivers 500/s; 4,000 events sent in 2 s leave ~3,000 queued, a 2 s drain clears ~1,000.
    const r = await run({
      source: { plugin: 'memory', options: { maxThroughput: 500 } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 2000, duration: '2s', drainTimeout: '2s' },
      slo: { lost: '== 0' },
    })
    expect(r.code).toBe(1)
    const result = readResult(r.out)
    expect(result.events.lost).toBeNull()
    expect(result.events.unresolved).toBeGreaterThan(1000)
    expect(result.events.unresolved).toBe(result.events.acked - result.events.observed)
    const warning = result.warnings.find((w) => w.startsWith('drain: load.drainTimeout 2s ended while'))
    expect(warning, result.warnings.join('\n')).toBeDefined()
    const rate = /, ([\d,]+)\/s\)/.exec(warning!)
    expect(Number(rate?.[1]?.replace(/,/g, ''))).toBeGreaterThan(350)
    expect(Number(rate?.[1]?.replace(/,/g, ''))).toBeLessThan(650)
    // ~2 s drained plus ~2,000 left at ~500/s.
    const needed = Number(/the drain needed about (\d+)s/.exec(warning!)?.[1])
    expect(needed).toBeGreaterThanOrEqual(4)
    expect(needed).toBeLessThanOrEqual(10)
    expect(r.stdout).toMatch(
      /✗ FAIL\s+lost == 0\s+actual unknown: the drain ended while deliveries were still arriving/,
    )
    expect(r.stdout).toMatch(/lost – \(unknown\)/)
  })

  it('a drain shorter than the quiet period declares nothing lost: events 300 ms away are unresolved', async () => {
    const r = await run({
      source: { plugin: 'memory', options: { delay: '300ms' } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 200, duration: '1s', drainTimeout: '0s' },
    })
    const result = readResult(r.out)
    expect(result.events.lost).toBeNull()
    expect(result.events.unresolved).toBeGreaterThan(20)
    expect(result.warnings.join('\n')).toMatch(
      /drain: load\.drainTimeout 0s is shorter than the 1s the pipeline must be quiet to call events lost; \d+ acknowledged events not yet seen are unresolved, not lost — set load\.drainTimeout to at least 1s/,
    )
    expect(r.code).toBe(1)
  })

  it('a drain quiet only because the sink had no answer from the target declares nothing lost', async () => {
    // A broker frozen to the end holds the events: quiet from a sink that cannot read is no evidence of loss.
    const r = await run({
      source: { plugin: 'memory', options: { targetUnreachable: { at: '500ms', for: '1h' } } },
      sink: { plugin: 'memory' },
      workers: 2,
      load: { rate: 1000, duration: '1s', drainTimeout: '1500ms' },
    })
    const result = readResult(r.out)
    expect(result.events.lost).toBeNull()
    // What the memory pipeline injected: about 2 s of reads every 100 ms in each of 2 workers, unanswered.
    expect(result.plugins.source.unansweredReads).toBeGreaterThan(20)
    expect(result.events.unresolved).toBeGreaterThan(400)
    expect(result.events.unresolved).toBeLessThan(600)
    expect(result.warnings.join('\n')).toMatch(
      /drain: nothing arrived in the drain's last 1\.\ds, but the sink had no answer from the target in that time either \(its last came [23]\.\ds before the drain ended: a server frozen or unreachable\), so the quiet shows nothing; \d+ acknowledged events not yet seen are unresolved, not lost/,
    )
    expect(result.warnings.join('\n')).not.toMatch(/count as lost/)
    expect(r.stdout).toMatch(
      // The reason the actual is unknown, and still that the config set no SLO (a fresh user saw that note vanish).
      /✗ FAIL\s+lost == 0\s+actual unknown: the sink had no answer from the target as the drain ended — \d+ unresolved; default check: the config sets no slo/,
    )
    expect(r.code).toBe(1)
  })

  // Found by a fresh user: a frozen broker made a run look hung, with nothing said while it waited.
  it('says live when the target stops answering the sink, and when it answers again, once for all workers', async () => {
    const r = await run({
      source: { plugin: 'memory', options: { targetUnreachable: { at: '1s', for: '6500ms' } } },
      sink: { plugin: 'memory' },
      workers: 2,
      load: { rate: 100, duration: '9s' },
    })
    const said = `${r.stdout}\n${r.stderr}`
    expect(
      said.match(
        /sink "memory": no answer from the target for 5s \(a server frozen or unreachable\?\); still waiting/g,
      ),
    ).toHaveLength(1)
    // Said by the main thread from the workers' snapshots (each second): once, whatever the workers' timing.
    expect(
      said.match(/sink "memory": the target answers again, after about [678]s of silence/g),
    ).toHaveLength(1)
    expect(readResult(r.out).events.observed).toBe(900)
  }, 60_000)

  // Found by a fresh user: a broker frozen to the end stops acks and reads alike; every acknowledged event was
  // seen, lost == 0 passed, and nothing said the run's end went unwatched.
  it('a sink silent at the end says so even when every acknowledged event was seen', async () => {
    const r = await run({
      source: {
        plugin: 'memory',
        options: { writeStall: { at: '500ms', for: '1h' }, targetUnreachable: { at: '600ms', for: '1h' } },
      },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 200, duration: '1s', drainTimeout: '1s' },
      slo: { lost: '== 0' },
    })
    const result = readResult(r.out)
    expect(result.events.lost).toBe(0)
    expect(result.events.inFlight).toBeGreaterThan(50)
    expect(result.warnings.join('\n')).toMatch(
      /sink: no answer from the target in the (2\d|3\d)\.\ds before the drain ended \(a server frozen or unreachable\); the sink could see nothing after that, and \d+ writes never settled/,
    )
  }, 90_000)

  it('a drain that ended quiet declares the unseen events lost', async () => {
    const r = await run({
      source: { plugin: 'memory', options: { loss: 0.2 } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 1000, duration: '1s', drainTimeout: '1500ms' },
    })
    expect(r.code).toBe(1)
    const result = readResult(r.out)
    expect(result.events.lost).toBeGreaterThan(100)
    expect(result.events.lost).toBeLessThan(300)
    expect(result.events.unresolved).toBe(0)
    expect(result.warnings.join('\n')).toMatch(
      /count as lost: nothing arrived in the drain's last 1\.\ds \(the pipeline was quiet\)/,
    )
  })
})

describe('3. one window for every figure', () => {
  it('(a) a pipeline 2 s late but keeping up achieves the planned rate', async () => {
    const r = await run({
      source: { plugin: 'memory', options: { delay: '2s' } },
      sink: { plugin: 'memory' },
      workers: 2,
      load: { rate: 1000, duration: '5s' },
      slo: { throughput: '>= 990/s' },
    })
    const result = readResult(r.out)
    expect(result.events.observed).toBe(5000)
    expect(result.rate.achieved).toBeGreaterThanOrEqual(990)
    expect(result.rate.achieved).toBeLessThanOrEqual(1010)
    expect(r.code).toBe(0)
  })

  it('(b) the measured window is the planned one, not the span of the sends', async () => {
    const r = await run({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 5, duration: '2s' },
    })
    const result = readResult(r.out)
    expect(result.measuredSeconds).toBe(2)
    expect(result.rate.sent).toBe(5)
    expect(result.rate.target).toBe(5)
  })

  it("(c) errors in the warmup are whole-run counts, not the measured window's error rate", async () => {
    const r = await run({
      source: faulty({ failBefore: 1000 }),
      sink: faulty({}),
      workers: 1,
      load: { rate: 200, duration: '2s', warmup: '1s' },
      slo: { errors: '< 1%' },
    })
    const result = readResult(r.out)
    expect(result.events.errors).toBeGreaterThan(150)
    expect(result.window.errors).toBe(0)
    expect(result.slo.checks[0]).toMatchObject({ status: 'passed', actual: 0 })
  })

  it("(c) late operations: the summary gives the window's count beside the window's share, and the whole run's apart", async () => {
    // Writes stall in the warmup: the operations behind the stall leave late, all before the window opens.
    const r = await run({
      source: { plugin: 'memory', options: { writeStall: { at: '200ms', for: '700ms' } } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 200, duration: '2s', warmup: '2s', maxInFlight: 5 },
    })
    const result = readResult(r.out)
    expect(result.events.late).toBeGreaterThan(50)
    expect(result.window.late).toBeLessThan(result.events.late)
    const w = result.window
    expect(r.stdout).toContain(
      `late ${w.late} of ${w.sent.toLocaleString('en-US')} in the window (${(result.lateShare * 100).toFixed(2)}%), ${result.events.late} in the whole run`,
    )
  })

  it('(c) a run stopped in its warmup has no send rate for its empty window: –, not 0/s', async () => {
    let signalled = false
    const interrupt = {
      onStdout: (text: string, kill: (signal: NodeJS.Signals) => void) => {
        if (!signalled && text.includes('| warmup')) {
          signalled = true
          kill('SIGINT')
        }
      },
    }
    const r = await run(
      {
        source: { plugin: 'memory' },
        sink: { plugin: 'memory' },
        workers: 1,
        load: { rate: 100, duration: '10s', warmup: '20s' },
      },
      { onStdout: interrupt.onStdout },
    )
    expect(r.code).toBe(130)
    const result = readResult(r.out)
    expect(result.measuredSeconds).toBe(0)
    expect(result.rate.sent).toBeNull()
    expect(r.stdout).toMatch(/rate\s+target –, sent –, at sink –/)
  })

  it('(d) every operation counts in the window its intended time puts it in, for ack as for e2e', async () => {
    const r = await run({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      workers: 2,
      load: { rate: 5000, duration: '2s', warmup: '1s', batchSize: 1000 },
    })
    const result = readResult(r.out)
    expect(result.events.lost).toBe(0)
    expect(result.metrics.ack.count).toBe(result.window.sent)
    expect(result.metrics.e2e.count).toBe(result.window.sent)
  })
})

describe('5. values are never silently altered', () => {
  it('a target clock 5 ms behind gives samples below zero, counted and warned, and the latency SLO fails', async () => {
    const r = await run({
      source: faulty({ clockBehindMs: 5 }),
      sink: faulty({}),
      workers: 1,
      load: { rate: 200, duration: '2s' },
      slo: { 'e2e.p99': '< 1ms' },
    })
    expect(r.code).toBe(1)
    const result = readResult(r.out)
    expect(result.metrics.e2e.belowZero).toBe(result.events.observed)
    expect(result.metrics.e2e.p50).toBeNull()
    expect(result.slo.checks[0]).toMatchObject({ status: 'failed', actual: null, note: /below zero/ })
    expect(result.warnings.join('\n')).toMatch(/e2e: \d+ samples were below zero/)
    expect(r.stdout).toMatch(/not in the percentiles: [\d,]+ below zero/)
  })
})

describe("6. events that are not the run's", () => {
  it('an observation of a seq the run never wrote is foreign, never observed', async () => {
    const r = await run({
      source: faulty({ foreignSeq: 1_000_000 }),
      sink: faulty({}),
      workers: 1,
      load: { rate: 500, duration: '2s' },
    })
    const result = readResult(r.out)
    expect(result.events.sent).toBe(1000)
    expect(result.events.observed).toBe(1000)
    expect(result.events.foreign).toBe(1)
    expect(result.warnings.join('\n')).toMatch(
      /1 observations carried this run's marker with a seq it never planned/,
    )
  })
})

describe('7. a run where nothing arrives never passes', () => {
  it('with no SLO, default checks fail a run that lost everything, and empty latencies are unknown', async () => {
    const r = await run({
      source: { plugin: 'memory', options: { loss: 1 } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 200, duration: '1s', drainTimeout: '1s' },
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/FAILED/)
    expect(r.stdout).toMatch(/✗ FAIL\s+observed > 0\s+actual 0 \(default check/)
    expect(r.stdout).toMatch(/e2e\s+–\s+–\s+–\s+–\s+–\s+–\s+0/)
    const result = readResult(r.out)
    expect(result.metrics.e2e).toMatchObject({ count: 0, p50: null, p99: null, max: null })
    expect(result.rate.achieved).toBeNull()
    expect(result.events.lost).toBe(200)
  })
})

describe('8. a closed model says that it hides stalls', () => {
  it('one writer through a 2 s stall: the warning, and the corrected latency next to the raw one', async () => {
    const r = await run({
      source: { plugin: 'memory', options: { writeStall: { at: '1s', for: '2s' } } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { concurrency: 1, duration: '4s' },
    })
    const result = readResult(r.out)
    expect(result.warnings.join('\n')).toMatch(/coordinated omission applies/)
    expect(result.metrics.e2e.p99).toBeLessThan(100)
    expect(result.corrected?.e2e.p99).toBeGreaterThan(1000)
    expect(r.stdout).toMatch(/corrected for coordinated omission/)
  })

  // The trial's closed.json: live lines read `target 0/s | sent 0/s | seen 0/s` until one jumped to 245.5k/s,
  // the corrected e2e p50 (2.519 ms) came out below the raw one (5.003 ms), and its mean and count ran together.
  it('four writers through a stall: live rates every interval, no target, corrected never below raw, columns apart', async () => {
    const r = await run(
      {
        source: { plugin: 'memory', options: { delay: '5ms', writeStall: { at: '2s', for: '500ms' } } },
        sink: { plugin: 'memory' },
        workers: 1,
        load: { concurrency: 4, duration: '4s' },
      },
      {},
      ['--no-tui'],
    )
    const live = (r.stdout + r.stderr).split('\n').filter((l) => /\]\s+\|\s+measure\s+\|/.test(l))
    expect(live.length).toBeGreaterThanOrEqual(3)
    for (const line of live) {
      expect(line).toMatch(/\| target – \|/)
      expect(line).not.toMatch(/\| sent 0\/s \|/)
      expect(line).not.toMatch(/\| seen 0\/s \|/)
    }
    const result = readResult(r.out)
    const raw = result.metrics.e2e
    const corrected = result.corrected!.e2e
    for (const p of ['p50', 'p95', 'p99', 'p999', 'max', 'mean'] as const) {
      expect(corrected[p]!, p).toBeGreaterThanOrEqual(raw[p]!)
    }
    const rows = r.stdout.split('\n')
    const at = rows.findIndex((l) => l.includes('corrected for coordinated omission'))
    for (const row of rows.slice(at + 1, at + 3)) expect(row.trim().split(/\s+/), row).toHaveLength(8)
  })
})

describe('8b. a closed model plans no rate, and its correction says what it added', () => {
  // The trial's closed run over the in-process source: intervals[].targetRate was 0 (the HTML drew a target of 0)
  // and the summary showed corrected latencies built from 3.1 M added samples beside 248 k real ones, unsaid.
  it('no target anywhere (result, CSV, HTML), and the summary counts the corrected samples beside the real ones', async () => {
    const dir = path.dirname(writeConfig({}))
    const csv = path.join(dir, 'closed')
    const html = path.join(dir, 'closed.html')
    const r = await run(
      {
        source: { plugin: 'memory', options: { writeStall: { at: '1s', for: '300ms' } } },
        sink: { plugin: 'memory' },
        workers: 1,
        load: { concurrency: 2, duration: '2s' },
      },
      {},
      ['--csv', csv, '--html', html],
    )
    const result = readResult(r.out)
    expect(result.rate.target).toBeNull()
    expect(result.intervals.length).toBeGreaterThan(0)
    for (const row of result.intervals) expect(row.targetRate).toBeNull()
    const history = readFileSync(`${csv}_history.csv`, 'utf8').trim().split('\n')
    expect(history[0]).toMatch(/^t,phase,targetRate,/)
    for (const line of history.slice(1)) expect(line.split(',')[2], line).toBe('')
    const page = readFileSync(html, 'utf8')
    expect(page).toMatch(/"targetRate":\[null(,null)*\]/)
    const real = result.metrics.e2e.count
    const added = result.corrected!.e2e.count - real
    expect(added).toBeGreaterThan(0)
    const counts = /([\d,]+) corrected e2e samples added to ([\d,]+) real ones/.exec(r.stdout)
    expect(counts, r.stdout).not.toBeNull()
    expect(Number(counts![1]!.replace(/,/g, ''))).toBe(added)
    expect(Number(counts![2]!.replace(/,/g, ''))).toBe(real)
    const warning = result.warnings.find((w) => w.startsWith('closed model'))!
    expect(warning).toMatch(/coordinated omission applies/)
    expect(warning).toContain(
      `add ${added.toLocaleString('en-US')} e2e samples to the ${real.toLocaleString('en-US')} real ones`,
    )
  })
})

describe('10. figures agree with their verdicts', () => {
  it('each printed actual has its unit and the digits its verdict needs; the histograms decode to the metrics', async () => {
    const r = await run({
      source: { plugin: 'memory', options: { delay: '50ms' } },
      sink: { plugin: 'memory' },
      workers: 2,
      load: { rate: 500, duration: '2s' },
      slo: ['e2e.p50 <= 50.1ms', 'e2e.p50 >= 50.1ms', 'e2e.p95 < 1s', 'duplicates == 0'],
    })
    const result = readResult(r.out)
    for (const check of result.slo.checks) {
      const line = r.stdout.split('\n').find((l) => l.includes(check.expression) && l.includes('actual'))!
      const printed = /actual ([\d.,]+)( ms)?/.exec(line)!
      const value = Number(printed[1]!.replace(/,/g, ''))
      expect(holds(value, check.expression), line).toBe(check.passed)
      if (check.unit === 'ms') expect(printed[2]).toBe(' ms')
    }
    expect(r.stdout).toMatch(/duplicates == 0\s+actual 0$/m)
    for (const metric of ['e2e', 'ack', 'lag'] as const) {
      const decoded = summarize(decodeHistogram(result.histograms[metric]))
      const { p50, p95, p99, p999, max } = result.metrics[metric]
      expect({ p50, p95, p99, p999, max }).toEqual({
        p50: decoded.p50,
        p95: decoded.p95,
        p99: decoded.p99,
        p999: decoded.p999,
        max: decoded.max,
      })
    }
  })
})

/** Whether a printed value satisfies an expression such as "e2e.p95 < 1s", judged from the printed digits alone. */
function holds(value: number, expression: string): boolean {
  const [, comparator, number, unit] = /\s(<=|>=|==|!=|<|>)\s*([\d.]+)\s*(ms|s|%|\/s)?$/.exec(expression)!
  const threshold = Number(number) * (unit === 's' ? 1000 : 1)
  switch (comparator) {
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '==':
      return value === threshold
    default:
      return value !== threshold
  }
}

// Trial 910 item 8: "asked insert 70% … did insert 47%, update 43% — an update or delete … became an insert"
// while inserts had gone DOWN: the run had found every key present, so inserts became updates.
describe('11. the load-mix warning says which way the shares moved and why', () => {
  it('an insert-heavy mix on few keys: inserts became updates, every key present', async () => {
    const r = await run({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 1000, duration: '1s', keys: 50, mix: { insert: 0.7, update: 0.2, delete: 0.1 } },
    })
    const warning = readResult(r.out).warnings.find((w) => w.startsWith('load.mix asked'))!
    const toUpdates =
      /— ([\d,]+) inserts became updates: every key a worker owns was present \(load\.keys 50 in all\), none absent to insert — raise load\.keys or lower the insert share(;|$)/.exec(
        warning,
      )
    expect(toUpdates, warning).not.toBeNull()
    // A delete leaves its key absent, so now and then a later update of that key honestly became an insert (CI saw
    // one in 1,000); the warning names that too, but the shares moved the other way by far.
    const toInserts = /([\d,]+) updates or deletes became inserts/.exec(warning)
    const count = (text: string) => Number(text.replaceAll(',', ''))
    if (toInserts) expect(count(toInserts[1]!)).toBeLessThan(count(toUpdates![1]!) / 10)
  })

  it('a delete-heavy mix: updates and deletes became inserts, no key present', async () => {
    const r = await run({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 1000, duration: '1s', keys: 100000, mix: { insert: 0.1, update: 0, delete: 0.9 } },
    })
    const warning = readResult(r.out).warnings.find((w) => w.startsWith('load.mix asked'))!
    expect(warning).toMatch(
      /— [\d,]+ updates or deletes became inserts: no key was present to change \(keys start absent\)$/,
    )
    expect(warning).not.toMatch(/became updates/)
  })
})
