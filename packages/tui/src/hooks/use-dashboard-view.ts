import { useSyncExternalStore } from 'react'
import type { DashboardStore, DashboardView } from '../dashboard-store.js'

/** The store's current view; re-renders when the store publishes (at most ten times a second). */
export function useDashboardView(store: DashboardStore): DashboardView {
  return useSyncExternalStore(store.subscribe, store.getView)
}
