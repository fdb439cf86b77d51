import type { DashboardStore } from '../dashboard-store.js'
import { useDashboardView } from '../hooks/use-dashboard-view.js'
import { useQuitKeys } from '../hooks/use-quit-keys.js'
import { useTerminalSize } from '../hooks/use-terminal-size.js'
import { Dashboard } from './Dashboard.js'

/** The live dashboard: follows the store and the terminal's size, and turns q / Ctrl-C into `onQuit`. */
export function App(props: { store: DashboardStore; color: boolean; onQuit: () => void }) {
  const view = useDashboardView(props.store)
  const { columns, rows } = useTerminalSize()
  useQuitKeys(props.onQuit)
  return <Dashboard view={view} width={columns} height={rows} color={props.color} />
}
