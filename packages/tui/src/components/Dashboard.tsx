import { Box } from 'ink'
import type { DashboardView } from '../dashboard-store.js'
import { ColorContext } from '../hooks/use-color.js'
import { planLayout } from '../layout.js'
import { Counters } from './Counters.js'
import { Footer } from './Footer.js'
import { Header } from './Header.js'
import { Latency } from './Latency.js'
import { Slos } from './Slos.js'
import { Throughput } from './Throughput.js'

/** The whole dashboard for one view of the run, laid out for a terminal of `width` × `height`. */
export function Dashboard(props: { view: DashboardView; width: number; height: number; color: boolean }) {
  const { view, width, height } = props
  const { snapshot, info } = view
  const expressions = info?.slo ?? []
  const layout = planLayout({
    width,
    height,
    sloCount: snapshot?.slo.length ?? expressions.length,
    errorCount: snapshot?.errors.length ?? 0,
    hopCount: snapshot?.hops?.length ?? 0,
  })
  return (
    <ColorContext.Provider value={props.color}>
      <Box flexDirection="column" width={layout.width} flexShrink={0}>
        <Header
          info={info}
          snapshot={snapshot}
          stopping={view.stopping}
          width={layout.width}
          showRun={layout.header}
        />
        <Throughput
          show={layout.throughput}
          snapshot={snapshot}
          history={view.history}
          historyVersion={view.historyVersion}
          rows={layout.chartRows}
          points={layout.chartPoints}
        />
        <Latency
          snapshot={snapshot}
          history={view.history}
          historyVersion={view.historyVersion}
          headerRows={layout.latencyHeaderRows}
          columns={layout.latencyColumns}
          rows={layout.latencyRows}
          hopRows={layout.hopRows}
          sparkline={layout.sparkline}
          points={layout.chartPoints}
        />
        <Slos snapshot={snapshot} expressions={expressions} rows={layout.sloRows} />
        <Counters snapshot={snapshot} rows={layout.counterRows} errorRows={layout.errorRows} />
        {layout.footer ? <Footer stopping={view.stopping} done={view.result !== undefined} /> : null}
      </Box>
    </ColorContext.Provider>
  )
}
