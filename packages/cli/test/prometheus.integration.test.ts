import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { CLI, tempDir, testPort, writeConfig } from './helpers.js'

const dir = tempDir()
const children: ChildProcess[] = []
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  await new Promise((resolve) => setTimeout(resolve, 500))
  rmSync(dir, { recursive: true, force: true })
})

/** A port free right now on loopback (several test runs may share the machine: never a fixed one). */
function freePort(): Promise<number> {
  const chosen = testPort()
  if (chosen !== 0) return Promise.resolve(chosen)
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
}

async function query(
  promUrl: string,
  promql: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`)
  const body = (await response.json()) as { status: string; data: { result: never[] } }
  if (body.status !== 'success') throw new Error(JSON.stringify(body))
  return body.data.result
}

describe('cdcb run --prometheus, scraped by a real Prometheus', () => {
  it('serves the achieved rate live, labelled by run id, and PromQL reads it back', async () => {
    const config = writeConfig({
      name: 'scraped',
      source: { plugin: 'memory', options: { delay: '5ms' } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 2000, duration: '25s', warmup: '0s' },
    })
    const out = path.join(dir, 'result.json')
    const cdcb = spawn(
      process.execPath,
      [CLI, 'run', '--config', config, '--out', out, '--prometheus', `127.0.0.1:${testPort()}`, '-q'],
      {
        env: { ...process.env, CI: '1', NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    children.push(cdcb)
    let stderr = ''
    cdcb.stderr!.on('data', (chunk) => {
      stderr += chunk
    })
    const target = await until(
      'cdcb to serve /metrics',
      60,
      async () => /serving Prometheus metrics on http:\/\/(127\.0\.0\.1:\d+)\/metrics/.exec(stderr)?.[1],
    )

    const promPort = await freePort()
    const promUrl = `http://127.0.0.1:${promPort}`
    const promConfig = path.join(dir, 'prometheus.yml')
    writeFileSync(
      promConfig,
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: cdcb\n    static_configs:\n      - targets: ['${target}']\n`,
    )
    const prometheus = spawn(
      inject('prometheus'),
      [
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${path.join(dir, 'prometheus-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    children.push(prometheus)
    let promLog = ''
    prometheus.stderr!.on('data', (chunk) => {
      promLog += chunk
    })

    // The achieved rate as cdcb computed it over its last interval, and as PromQL computes it from the counter.
    const gauge = await until('a scraped achieved rate', 60, async () => {
      const rows = await query(promUrl, 'cdcb_rate_events_per_second{kind="achieved"}')
      return rows.length && Number(rows[0]!.value[1]) > 0 ? rows[0]! : undefined
    }).catch((error) => {
      throw new Error(`${error.message}\nprometheus log:\n${promLog.slice(-2000)}`)
    })
    // rate() needs a window of samples taken while the load ran: wait for eight scrapes in ten seconds.
    await until('eight scrapes of the counter', 60, async () => {
      const rows = await query(promUrl, 'count_over_time(cdcb_events_observed_total[10s])')
      return rows.length && Number(rows[0]!.value[1]) >= 8 ? true : undefined
    })
    const counterRate = await until('rate() over the observed counter', 30, async () => {
      const rows = await query(promUrl, 'rate(cdcb_events_observed_total[10s])')
      return rows.length && Number(rows[0]!.value[1]) > 0 ? Number(rows[0]!.value[1]) : undefined
    })
    // Generous bounds for a loaded shared machine: the schedule plans 2,000/s.
    expect(Number(gauge.value[1])).toBeGreaterThan(1000)
    expect(Number(gauge.value[1])).toBeLessThan(3000)
    expect(counterRate).toBeGreaterThan(1000)
    expect(counterRate).toBeLessThan(3000)
    // The backlog is there and small: a 5 ms pipeline keeps about 10 events of 2,000/s in transit.
    const backlog = await query(promUrl, 'cdcb_backlog')
    expect(Number(backlog[0]!.value[1])).toBeGreaterThanOrEqual(0)
    expect(Number(backlog[0]!.value[1])).toBeLessThan(2000)
    const up = await query(promUrl, 'up{job="cdcb"}')
    expect(up[0]!.value[1]).toBe('1')

    const code = await new Promise<number | null>((resolve) => cdcb.on('close', resolve))
    expect(code).toBe(0)
    // The series carry the run id the result file names.
    const { runId, events } = JSON.parse(readFileSync(out, 'utf8')) as {
      runId: string
      events: { sent: number }
    }
    expect(gauge.metric.run_id).toBe(runId)
    expect(gauge.metric.name).toBe('scraped')
    // The endpoint lingered until Prometheus read the run's end: not its middle (measure, drain) as before.
    // last_over_time: once the endpoint closed, the next failed scrape marks the series stale.
    expect(stderr).toMatch(
      /the run ended; serving its final metrics on .* until a scrape reads them, at most 30s/,
    )
    const last = async (promql: string) =>
      Number((await query(promUrl, `last_over_time(${promql}[2m])`))[0]?.value[1])
    expect(await last('cdcb_phase{phase="done"}')).toBe(1)
    expect(await last('cdcb_events_sent_total')).toBe(events.sent)
    expect(await last('cdcb_events_lost')).toBe(0)
    expect(await last('cdcb_slo_passing{expression="lost == 0"}')).toBe(1)
    expect(await last('cdcb_exit_code')).toBe(0)
    prometheus.kill('SIGTERM')
  })

  it('refuses a taken port with exit 2 and one line, before the run starts', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    const config = writeConfig({
      source: { plugin: 'memory' },
      sink: { plugin: 'memory' },
      load: { duration: '1s' },
    })
    const out = path.join(dir, 'never.json')
    const child = spawn(
      process.execPath,
      [CLI, 'run', '--config', config, '--out', out, '--prometheus', `127.0.0.1:${port}`],
      {
        env: { ...process.env, CI: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    server.close()
    expect(code).toBe(2)
    expect(stderr.trim()).toBe(
      `cdcb: --prometheus: cannot listen on 127.0.0.1:${port} (EADDRINUSE) — choose a free port, e.g. --prometheus 127.0.0.1:0`,
    )
  })
})
