import { afterEach, describe, expect, test, vi } from 'vitest'
import { DashboardStore, HISTORY_POINTS, RingSeries } from '../src/dashboard-store.js'
import { snapshotAt } from './fixtures/snapshots.js'

describe('RingSeries', () => {
  test('keeps the newest values, oldest first, however many were pushed', () => {
    const series = new RingSeries(4)
    for (let i = 1; i <= 1000; i++) series.push(i)
    expect(series.length).toBe(4)
    expect(series.last()).toEqual([997, 998, 999, 1000])
    expect(series.last(2)).toEqual([999, 1000])
  })
})

describe('DashboardStore', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('chart history holds the last minute of load and drain, not the final "done" snapshot', () => {
    const store = new DashboardStore(0)
    for (let s = 1; s <= 500; s++) store.snapshot(snapshotAt(s, { achieved: s }))
    store.snapshot(snapshotAt(501, { phase: 'done', achieved: 0 }))
    const { history, snapshot } = store.getView()
    expect(history.achieved.last()).toHaveLength(HISTORY_POINTS)
    expect(history.achieved.last().at(-1)).toBe(500)
    expect(history.seconds.last()[0]).toBe(500 - HISTORY_POINTS + 1)
    expect(snapshot?.phase).toBe('done')
  })

  test('hands React at most one view per 100 ms however fast snapshots come, and never drops the newest', () => {
    vi.useFakeTimers()
    const store = new DashboardStore(100)
    const seen: number[] = []
    store.subscribe(() => seen.push(store.getView().snapshot!.elapsedSeconds))
    for (let i = 1; i <= 50; i++) {
      store.snapshot(snapshotAt(i))
      vi.advanceTimersByTime(10)
    }
    vi.advanceTimersByTime(200)
    // 500 ms of snapshots every 10 ms: one render now, then one per 100 ms, the last one with snapshot 50.
    expect(seen.length).toBeLessThanOrEqual(6)
    expect(seen.length).toBeGreaterThanOrEqual(5)
    expect(seen.at(-1)).toBe(50)
  })

  test('the end of the run is published at once', () => {
    vi.useFakeTimers()
    const store = new DashboardStore(100)
    let renders = 0
    store.subscribe(() => renders++)
    store.snapshot(snapshotAt(1))
    store.snapshot(snapshotAt(2))
    expect(renders).toBe(1)
    store.finished({ status: 'passed' } as never)
    expect(renders).toBe(2)
    expect(store.getView().snapshot?.elapsedSeconds).toBe(2)
  })
})
