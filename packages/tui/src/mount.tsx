/**
 * Mounts the dashboard with Ink. This module pulls in Ink and React, so
 * index.ts imports it only when a run actually starts with the dashboard.
 */
import type { RunResult } from '@cdcb/core'
import { formatSummary } from '@cdcb/core/runtime'
import { render, useStderr } from 'ink'
import { useEffect } from 'react'
import { App } from './components/App.js'
import type { DashboardStore } from './dashboard-store.js'

/** A dashboard on the terminal; `finish` leaves the final frame and the summary on screen and restores the terminal. */
export interface MountedDashboard {
  finish(result: RunResult): Promise<void>
}

export function mountDashboard(
  store: DashboardStore,
  options: { onQuit(): void; color: boolean },
): MountedDashboard {
  const bridge = new StderrBridge()
  const instance = render(
    <>
      <App store={store} color={options.color} onQuit={options.onQuit} />
      <BridgeStderr bridge={bridge} />
    </>,
    { exitOnCtrlC: false, patchConsole: true, maxFps: 10 },
  )
  bridge.install()
  return {
    async finish(result) {
      store.finished(result)
      // React applies a store update in a microtask; let it land so the final frame is the finished view.
      await new Promise((resolve) => setImmediate(resolve))
      instance.unmount()
      await instance.waitUntilExit()
      bridge.uninstall()
      store.close()
      process.stdout.write(`\n${formatSummary(result, options.color)}\n`)
    },
  }
}

/**
 * The CLI and the runtime write one-line messages straight to process.stderr
 * (for instance "stopping — draining…" after q). Written between two frames they
 * would scramble the dashboard, so while it is up they go through Ink, which
 * erases the frame, prints the message above it and draws the frame again.
 */
class StderrBridge {
  private original: typeof process.stderr.write | undefined
  private inkWrite: ((data: string) => void) | undefined
  private passingThrough = false

  connect(write: (data: string) => void): void {
    this.inkWrite = write
  }

  install(): void {
    const original = process.stderr.write
    this.original = original
    const bridged = (chunk: unknown, ...rest: unknown[]): boolean => {
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined
      // Ink's own stderr write lands here too: pass it through to the terminal.
      if (this.passingThrough || !this.inkWrite) {
        return (original as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest)
      }
      this.passingThrough = true
      try {
        this.inkWrite(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString())
      } finally {
        this.passingThrough = false
      }
      callback?.()
      return true
    }
    process.stderr.write = bridged as typeof process.stderr.write
  }

  uninstall(): void {
    if (this.original) process.stderr.write = this.original
    this.original = undefined
  }
}

function BridgeStderr({ bridge }: { bridge: StderrBridge }) {
  const { write } = useStderr()
  useEffect(() => bridge.connect(write), [bridge, write])
  return null
}
