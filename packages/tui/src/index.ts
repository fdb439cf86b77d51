/**
 * @cdcb/tui: the live dashboard `cdcb run` shows at an interactive terminal.
 * This entry stays light: Ink and React load when the run starts (mount.tsx).
 */
import type { Reporter } from '@cdcb/core'
import { DashboardStore } from './dashboard-store.js'
import type { MountedDashboard } from './mount.js'

/** What the dashboard needs from the CLI. */
export interface TuiOptions {
  /** Called when the user presses q or Ctrl-C; the CLI stops the run gracefully (a second call quits at once). */
  onQuit(): void
  /** Colours on the dashboard and in the final summary. @default true unless NO_COLOR is set */
  color?: boolean
}

/**
 * The live Ink dashboard as a reporter, for the main thread. The CLI calls this
 * only at an interactive terminal (stdout a TTY, CI unset, no --no-tui); its
 * hooks never overlap and each returns after constant work except the first
 * (mounting) and the last (leaving the summary on screen).
 */
export function createTuiReporter(options: TuiOptions): Reporter | undefined {
  // Ink draws nothing live when it believes it runs in CI (CI or CONTINUOUS_INTEGRATION
  // defined and not "0"/"false", even CI=""), so plain lines serve better there.
  if (inkSeesCi()) return undefined
  const color = options.color ?? !process.env.NO_COLOR
  const store = new DashboardStore()
  // Load Ink, React and Yoga now, while the run prepares: compiling them once the
  // schedule runs would take CPU from the workers in its first seconds.
  const loading = import('./mount.js')
  loading.catch(() => {})
  let mounted: MountedDashboard | undefined
  // Plain lines and the summary, should Ink fail to load or mount: the CLI silenced its own summary for us.
  let fallback: Reporter | undefined
  const onQuit = () => {
    store.stopRequested()
    options.onQuit()
  }
  return {
    async onRunStart(info) {
      store.runStarted(info)
      try {
        const { mountDashboard } = await loading
        mounted = mountDashboard(store, { onQuit, color })
      } catch (error) {
        const { builtInReporters } = await import('@cdcb/core/runtime')
        const output = { line: (text: string) => process.stdout.write(`${text}\n`), color }
        process.stderr.write(`cdcb: the dashboard could not start (${String(error)}); printing plain lines\n`)
        fallback = {
          ...builtInReporters.plain({}, output),
          onRunEnd: builtInReporters.summary({}, output).onRunEnd,
        }
        await fallback.onRunStart?.(info)
      }
    },
    onSnapshot(snapshot) {
      store.snapshot(snapshot)
      return fallback?.onSnapshot?.(snapshot)
    },
    onLog(message) {
      // Through the stderr bridge while mounted, so the line lands above the dashboard.
      process.stderr.write(`cdcb: ${message}\n`)
    },
    async onRunEnd(result) {
      store.close()
      if (mounted) await mounted.finish(result)
      mounted = undefined
      await fallback?.onRunEnd?.(result)
    },
  }
}

function inkSeesCi(): boolean {
  const set = (key: string) => key in process.env && process.env[key] !== '0' && process.env[key] !== 'false'
  return set('CI') || set('CONTINUOUS_INTEGRATION')
}
