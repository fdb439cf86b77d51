import { describe, expect, it } from 'vitest'
import type { ResolvedConfig } from '../../src/config/resolve-config.js'
import { createSchedule } from '../../src/load/schedule.js'
import { scenarioOf } from '../../src/runtime/build-result.js'
import {
  type BacklogPoint,
  burstsOf,
  measureRecoveries,
  measureRecovery,
  noRecoveryNote,
  withoutLost,
} from '../../src/scenarios/recovery.js'

/** A pipeline that delivers at most `cap`/s, fed `rateAt(t)`/s, sampled every 0.1 s. */
function simulate(rateAt: (t: number) => number, cap: number, seconds: number): BacklogPoint[] {
  const points: BacklogPoint[] = []
  let backlog = 0
  let observed = 0
  for (let step = 1; step <= seconds * 10; step++) {
    const t = step / 10
    backlog += rateAt(t) / 10
    const delivered = Math.min(cap / 10, backlog)
    backlog -= delivered
    observed += delivered
    points.push({
      t,
      backlog: Math.round(backlog),
      observed: Math.round(observed),
      e2eP99: backlog > 10 ? 5000 : 2,
    })
  }
  return points
}

describe('measureRecovery', () => {
  it('a 2,000/s pipeline hit by 5,000/s for 10 s: backlog 30,000, cleared at about 1,900/s in about 16 s', () => {
    const rate = (t: number) => (t > 10 && t <= 20 ? 5000 : 100)
    const series = simulate(rate, 2000, 60)
    const recovery = measureRecovery(series, { label: 'burst 5000/s', start: 10, end: 20 })
    expect(recovery.backlogMax).toBeGreaterThanOrEqual(29_900)
    expect(recovery.backlogMax).toBeLessThanOrEqual(30_000)
    expect(recovery.time).toBeGreaterThan(15.5)
    expect(recovery.time).toBeLessThan(16.5)
    expect(recovery.catchUpRate).toBeCloseTo(2000, -1)
    expect(recovery.drainRate).toBeCloseTo(1900, -1)
    expect(recovery.baselineE2eP99).toBe(2)
  })

  it("a no-op fault after a burst takes its baseline after the burst's recovery, not from its backlog", () => {
    // Burst 10–20 s on a 2,000/s pipeline (recovered near 36 s); a fault at 40 s that does nothing.
    const series = simulate((t) => (t > 10 && t <= 20 ? 5000 : 100), 2000, 60)
    const fault = { label: 'fault noop', start: 40, end: 41 }
    const [burst, after] = measureRecoveries(series, [fault, { label: 'burst 5000/s', start: 10, end: 20 }])
    expect(burst!.label).toBe('burst 5000/s')
    expect(burst!.time).toBeGreaterThan(15.5)
    // The 10 s before the fault reach back into the burst's drain (backlog in the thousands at 30 s)…
    expect(measureRecovery(series, fault).baselineBacklog).toBeGreaterThan(5000)
    // …but the baseline stops at the burst's recovery: the pipeline's quiet level.
    expect(after!.label).toBe('fault noop')
    expect(after!.baselineBacklog).toBeLessThanOrEqual(10)
    expect(after!.baselineE2eP99).toBe(2)
    expect(after!.backlogMax).toBeLessThanOrEqual(10)
    // Back in the first interval that began after it ended (0.1 s: the resolution)
    expect(after!.time).toBeCloseTo(0.1, 6)
  })

  it('catch-up is the replay throughput: the interval in which the backlog ran out does not dilute it', () => {
    // One-second intervals; a 2,000/s pipeline clears a 3,000 backlog (at 1,900/s net) 0.6 s into its second interval.
    const series = simulate((t) => (t > 10 && t <= 11 ? 5000 : 100), 2000, 20).filter(
      (p) => Math.abs(p.t - Math.round(p.t)) < 1e-9,
    )
    const recovery = measureRecovery(series, { label: 'burst 5000/s', start: 10, end: 11 })
    expect(recovery.backlogMax).toBe(3000)
    // Counting the last interval too would say 3,200 / 2 s = 1,600/s, below the pipeline's ceiling.
    expect(recovery.catchUpRate).toBeCloseTo(2000, 0)
    expect(recovery.drainRate).toBeCloseTo(1900, 0)
  })

  it('a backlog cleared within one interval has an unknown catch-up rate, not one diluted by idle time', () => {
    const series = simulate((t) => (t > 10 && t <= 11 ? 2500 : 100), 2000, 20).filter(
      (p) => Math.abs(p.t - Math.round(p.t)) < 1e-9,
    )
    const recovery = measureRecovery(series, { label: 'burst 2500/s', start: 10, end: 11 })
    expect(recovery.backlogMax).toBe(500)
    expect(recovery.time).toBe(1)
    expect(recovery.catchUpRate).toBeNull()
    expect(recovery.drainRate).toBeNull()
  })

  it('the drain rate counts from the peak after the end: a backlog that grew before it drained read as -426/s', () => {
    // A broker SIGSTOPped 6 s from 6 s: resumed at 12 s, its backlog still grew for two intervals
    // (the producers' retries arriving) before it drained at about 1,000/s.
    const backlogs = [
      0, 0, 0, 0, 0, 0, 1000, 2000, 3000, 4000, 5000, 6000, 6500, 7000, 6000, 5000, 4000, 3000, 2000, 1000, 0,
      0,
    ]
    const series: BacklogPoint[] = backlogs.map((backlog, i) => ({
      t: i + 1,
      backlog,
      observed: (i + 1) * 1000 - backlog,
      e2eP99: backlog > 0 ? 4000 : 3,
    }))
    const recovery = measureRecovery(series, { label: 'fault SIGSTOP', start: 6, end: 12 })
    expect(recovery.time).toBe(9)
    // 7,000 at 14 s to 1,000 at 20 s.
    expect(recovery.drainRate).toBe(1000)
    // Still growing at the last point behind: no drain to speak of, so unknown rather than negative.
    const growing = series.map((p) => (p.t === 20 ? { ...p, backlog: 8000 } : p))
    expect(measureRecovery(growing, { label: 'fault SIGSTOP', start: 6, end: 12 }).drainRate).toBeNull()
  })

  it('never recovered within the run is null, not the run length', () => {
    const series = simulate((t) => (t > 5 ? 3000 : 100), 2000, 20)
    const recovery = measureRecovery(series, { label: 'step', start: 5, end: 10 })
    expect(recovery.time).toBeNull()
    expect(recovery.catchUpRate).toBeNull()
    expect(recovery.backlogMax).toBeGreaterThan(9000)
  })

  it('waits for latency too: backlog back but p99 still high is not recovered', () => {
    const series: BacklogPoint[] = [
      { t: 1, backlog: 0, observed: 100, e2eP99: 10 },
      { t: 2, backlog: 500, observed: 150, e2eP99: 900 },
      { t: 3, backlog: 0, observed: 700, e2eP99: 800 },
      { t: 4, backlog: 0, observed: 800, e2eP99: 19 },
    ]
    expect(measureRecovery(series, { label: 'fault', start: 1, end: 2 }).time).toBe(2)
  })
})

describe('burstsOf', () => {
  it('finds a held stage above both neighbours', () => {
    expect(
      burstsOf([
        { seconds: 10, rate: 100 },
        { seconds: 10, rate: 5000 },
        { seconds: 30, rate: 100 },
      ]),
    ).toEqual([{ label: 'burst 5000/s', start: 10, end: 20 }])
    expect(burstsOf([{ seconds: 5 }, { seconds: 10, rate: 5000 }])).toEqual([])
  })
})

describe('back-to-back episodes', () => {
  it('a burst that starts before the previous one recovered is measured with it as one episode (trial15 item 3)', () => {
    // A 1,000/s pipeline, two 3 s bursts at 3,000/s 5 s apart: the first's 6,000 backlog is still draining
    // (at 900/s) when the second starts, so the second has no quiet level before it to come back to.
    const rate = (t: number) => ((t > 6 && t <= 9) || (t > 14 && t <= 17) ? 3000 : 100)
    const series = simulate(rate, 1000, 45)
    const recoveries = measureRecoveries(series, [
      { label: 'burst 3000/s', start: 6, end: 9 },
      { label: 'burst 3000/s', start: 14, end: 17 },
    ])
    expect(recoveries).toHaveLength(1)
    const both = recoveries[0]!
    expect(both.label).toBe('burst 3000/s + burst 3000/s')
    expect(both.start).toBe(6)
    expect(both.end).toBe(17)
    expect(both.baselineBacklog).toBeLessThanOrEqual(10)
    // Backlog at 17 s: 12,000 in − 11 s × 900/s net… drained at 900/s: about 7,500 / 900 ≈ 8.3 s after 17 s.
    expect(both.backlogMax).toBeGreaterThan(7000)
    expect(both.time).toBeGreaterThan(7.5)
    expect(both.time).toBeLessThan(9.5)
    expect(both.catchUpRate).toBeCloseTo(1000, -1)
  })

  it('episodes that do not overlap stay separate', () => {
    const rate = (t: number) => ((t > 6 && t <= 9) || (t > 24 && t <= 27) ? 3000 : 100)
    const series = simulate(rate, 1000, 50)
    const recoveries = measureRecoveries(series, [
      { label: 'burst 3000/s', start: 6, end: 9 },
      { label: 'burst 3000/s', start: 24, end: 27 },
    ])
    expect(recoveries.map((r) => r.label)).toEqual(['burst 3000/s', 'burst 3000/s'])
    expect(recoveries[1]!.baselineBacklog).toBeLessThanOrEqual(10)
    expect(recoveries[1]!.time).toBeGreaterThan(6)
  })
})

describe('recovery.time with nothing to recover from', () => {
  it('names the fault that failed or never started, rather than saying the run had none (trial15 item 1)', () => {
    expect(noRecoveryNote([])).toBe('not measured: the run had no fault and no burst to recover from')
    expect(noRecoveryNote([{ name: 'freeze', startedAt: null, error: 'cannot read pid file /x.pid' }])).toBe(
      'not measured: fault "freeze" failed (cannot read pid file /x.pid)',
    )
    expect(noRecoveryNote([{ name: 'late', startedAt: null, error: null }])).toBe(
      'not measured: fault "late" never started (the run ended before its time)',
    )
  })

  it('a lost event leaves the backlog: recovery is when the rest was delivered, not the drain (fixW item 2a)', () => {
    // Steady backlog ~200 (in flight); a burst from 10 s to 13 s; back to ~200 of in-flight events at 14 s,
    // but 4 events a second are lost from 5 s on: with them counted the backlog stays above 210 until the end.
    const lostOffsets = Array.from({ length: 80 }, (_, i) => 5 + i / 4)
    const series: BacklogPoint[] = []
    for (let t = 1; t <= 25; t++) {
      const lostBy = lostOffsets.filter((x) => x <= t).length
      const inFlight = t > 10 && t <= 13 ? 600 : 200
      series.push({ t, backlog: inFlight + lostBy, observed: t * 1000, e2eP99: t > 10 && t <= 13 ? 900 : 20 })
    }
    const burst = { label: 'burst', start: 10, end: 13 }
    expect(measureRecovery(series, burst).time).toBeNull()
    const recovery = measureRecovery(withoutLost(series, lostOffsets), burst)
    // An interval's own losses (4) stay in its backlog; those before it are out.
    expect(recovery).toMatchObject({ baselineBacklog: 204, time: 1 })
    // Never below zero, and nothing changes before the first lost event was intended.
    const cleaned = withoutLost(
      [
        ...series.slice(0, 4),
        { t: 6, backlog: 1, observed: 0, e2eP99: null },
        { t: 7, backlog: 1, observed: 0, e2eP99: null },
      ],
      lostOffsets,
    )
    // The interval 4–6 s keeps its own losses; the next takes them out.
    expect(cleaned.map((p) => p.backlog)).toEqual([200, 200, 200, 200, 1, 0])
  })

  it('a pipeline that stopped for good never recovered, and its backlog peak counts the events written off as lost (a fresh user’s trial of the scenarios)', () => {
    // 200/s; the pipeline delivers nothing from 2 s on (a stall never undone). The drain judges every
    // event intended from 2 s lost: taken out of the backlog, they left it at 0 and, with no e2e sample,
    // every interval read as recovered — "backlog max 0, recovered in 0.2s".
    const lostOffsets = Array.from({ length: 1200 }, (_, i) => 2 + i / 200)
    const series: BacklogPoint[] = []
    for (let t = 1; t <= 8; t++) {
      const observed = Math.min(t, 2) * 200
      series.push({ t, backlog: t * 200 - observed, observed, e2eP99: t <= 2 ? 3 : null })
    }
    const stall = { label: 'fault stall', start: 2, end: 2 }
    const recovery = measureRecovery(withoutLost(series, lostOffsets), stall)
    expect(recovery.time).toBeNull()
    expect(recovery.backlogMax).toBe(1200)
    // One that lost what was sent from 2 s to 5 s and then delivered again recovers once an interval that
    // began after its losses shows it delivering: 6 s, 4 s after the fault.
    const lostWhileStalled = lostOffsets.filter((t) => t < 5)
    const resumed: BacklogPoint[] = []
    for (let t = 1; t <= 8; t++) {
      const observed = t <= 5 ? Math.min(t, 2) * 200 : t * 200 - lostWhileStalled.length
      resumed.push({ t, backlog: t * 200 - observed, observed, e2eP99: t <= 2 || t > 5 ? 3 : null })
    }
    expect(measureRecovery(withoutLost(resumed, lostWhileStalled), stall)).toMatchObject({
      time: 4,
      backlogMax: 600,
    })
  })

  describe("the run's scenario figures", () => {
    const config = {
      load: {
        warmupMicros: 1e6,
        model: 'open',
        schedule: createSchedule(1000, [{ durationMicros: 5e6, rate: 1000 }]),
      },
      recovery: { baselineSeconds: 10, latencyFactor: 2 },
      intervalMicros: 1e6,
    } as unknown as ResolvedConfig
    const fault = { name: 'stall', startedAt: 2, endedAt: 3, error: null } as never
    const point = (t: number, backlog: number, e2eP99: number | null) => ({ t, backlog, observed: 0, e2eP99 })
    const series = [point(1, 0, 2), point(2, 0, 2), point(3, 1000, null), point(4, 600, 900)]

    it('a stopped run that had not recovered: recovery unknown, said by the check alone, no "never" warning (fixW item 3)', () => {
      const stopped = scenarioOf(config, [fault], series, 4.2)
      expect(stopped.recovery).toMatchObject([{ label: 'fault stall', time: null, interrupted: true }])
      expect(stopped.warnings).toEqual([])
      expect(stopped.recoveryTimeMs).toBeNull()
      const ran = scenarioOf(config, [fault], series, undefined)
      expect(ran.recovery[0]!.interrupted).toBeUndefined()
      expect(ran.warnings).toEqual([expect.stringMatching(/never came back/)])
    })

    it('a fault the stop undid early has no recovery figure, though the backlog came back (Ctrl-C during a SIGSTOP passed recovery.time)', () => {
      const cut = { ...fault, cutShort: true }
      const recovered = [...series, point(5.065, 0, 6.9)]
      expect(scenarioOf(config, [fault], recovered, 5.2).recoveryTimeMs).toBeCloseTo(2065, 0)
      const stopped = scenarioOf(config, [cut], recovered, 5.2)
      expect(stopped.recovery).toMatchObject([
        {
          label: 'fault stall',
          time: null,
          catchUpRate: null,
          drainRate: null,
          interrupted: true,
          cutShort: true,
        },
      ])
      expect(stopped.recoveryTimeMs).toBeNull()
      expect(stopped.warnings).toEqual([])
    })

    it('a stop after the fault ended but before it recovered: unknown, not a recovery read from the drain after the stop', () => {
      // Stopped at 4.2 s; the drain after it emptied the backlog by 5.065 s with no load left to carry.
      const drained = scenarioOf(config, [fault], [...series, point(5.065, 0, 6.9)], 4.2)
      expect(drained.recovery).toMatchObject([{ time: null, interrupted: true }])
      expect(drained.recoveryTimeMs).toBeNull()
    })

    it('warns of an episode that started before any interval ended: its baseline is an idle pipeline', () => {
      const early = { name: 'stall', startedAt: 0.5, endedAt: 3, error: null } as never
      const { warnings } = scenarioOf(config, [early], series, undefined)
      expect(warnings).toContainEqual(
        expect.stringMatching(
          /^fault stall started at 0\.5s, before the first interval ended: its recovery is measured against an idle pipeline/,
        ),
      )
      expect(scenarioOf(config, [fault], series, undefined).warnings.join()).not.toMatch(/idle pipeline/)
    })

    it('reads the final interval: a recovery in it is one (fixW item 2b)', () => {
      const withFinal = scenarioOf(config, [fault], [...series, point(5.065, 0, 6.9)], undefined)
      expect(withFinal.recovery[0]!.time).toBeCloseTo(2.065, 3)
      expect(withFinal.recoveryTimeMs).toBeCloseTo(2065, 0)
      expect(withFinal.warnings).toEqual([])
    })
  })
})
