import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { runCli, tempDir, writeConfig } from './helpers.js'

/** Screenshots land here for a person to look at (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url))
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const profile = mkdtempSync(path.join(tmpdir(), 'cdcb-chromium-'))
const cleanup = [profile]
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true })
})

describe('the HTML report in a real Chromium', () => {
  it('opens offline with no console error, draws every chart, and shows a stall where a person looks', async () => {
    // A 1.5 s write stall 4 s into a 10 s run at 2,000/s: nothing reaches the sink for over an interval.
    const config = writeConfig({
      name: 'stall in the report',
      source: { plugin: 'memory', options: { writeStall: { at: '4s', for: '1.5s' } } },
      sink: { plugin: 'memory' },
      workers: 1,
      load: { rate: 2000, duration: '10s', warmup: '0s', maxInFlight: 50 },
      slo: { 'e2e.p99': '< 500ms' },
    })
    const dir = tempDir()
    cleanup.push(dir, path.dirname(config))
    const html = path.join(dir, 'report.html')
    const out = path.join(dir, 'result.json')
    const run = await runCli(['run', '--config', config, '--out', out, '--html', html, '--no-tui', '-q'])
    expect(run.code).toBe(1)
    const text = readFileSync(html, 'utf8')
    // The saved result renders to the same page.
    const again = path.join(dir, 'again.html')
    expect((await runCli(['report', out, '--html', again])).code).toBe(0)
    expect(readFileSync(again, 'utf8')).toBe(text)

    const context = await chromium.launchPersistentContext(profile, {
      executablePath: inject('chromium'),
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
    })
    try {
      const page = context.pages()[0] ?? (await context.newPage())
      const problems: string[] = []
      const requests: string[] = []
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
      })
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
      await page.route('**/*', (route) => {
        requests.push(route.request().url())
        return route.request().url().startsWith('file:') ? route.continue() : route.abort()
      })
      await page.goto(`file://${html}`)
      await page.waitForSelector('body[data-charts-drawn]')
      expect(problems).toEqual([])
      expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([])
      expect(await page.getAttribute('body', 'data-charts-drawn')).toBe('7')

      // Every chart has drawn lines: coloured pixels, not just an empty canvas.
      const inked = await page.$$eval('.uplot canvas', (canvases) =>
        (canvases as HTMLCanvasElement[]).map((c) => {
          const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
          let coloured = 0
          for (let i = 0; i < pixels.length; i += 4) {
            const [r, g, b, a] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!, pixels[i + 3]!]
            if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++
          }
          return coloured
        }),
      )
      expect(inked).toHaveLength(7)
      for (const count of inked) expect(count).toBeGreaterThan(200)

      // The stall: listed at the top with its time, and shaded red on the throughput chart.
      const stalls = await page.textContent('section.stalls')
      expect(stalls).toMatch(/[45]\.\d+ s – [56]\.\d+ s: the sink saw \d+\/s while 2,000\/s were planned/)
      const shaded = await page.$eval('#chart-throughput canvas', (c) => {
        const canvas = c as HTMLCanvasElement
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        let pink = 0
        for (let i = 0; i < pixels.length; i += 4) {
          // The band is translucent red on a transparent canvas: red, faint alpha.
          const alpha = pixels[i + 3]!
          if (pixels[i]! > 150 && pixels[i + 1]! < 90 && alpha > 20 && alpha < 70) pink++
        }
        return pink
      })
      expect(shaded).toBeGreaterThan(1000)
      expect(await page.textContent('.slo')).toMatch(/✗ FAIL\s*e2e\.p99 < 500ms/)

      mkdirSync(ARTIFACTS, { recursive: true })
      const screenshot = path.join(ARTIFACTS, 'html-report-stall.png')
      await page.screenshot({ path: screenshot, fullPage: true })
      expect(statSync(screenshot).size).toBeGreaterThan(10_000)

      // A merged result (rows whose per-interval percentiles are unknown) draws too, without errors; its
      // latency-per-interval chart, which would be empty, is replaced by a note saying why.
      const mergedHtml = path.join(dir, 'merged.html')
      // merge refuses one run twice: the second input is the same result under another run id.
      const other = path.join(dir, 'other.json')
      writeFileSync(other, JSON.stringify({ ...JSON.parse(readFileSync(out, 'utf8')), runId: 'other1' }))
      const merge = await runCli([
        'merge',
        out,
        other,
        '--out',
        path.join(dir, 'merged.json'),
        '--html',
        mergedHtml,
        '-q',
      ])
      expect(merge.code).toBe(1)
      problems.length = 0 // the pixel checks above read the canvases back, which Chromium warns about
      await page.goto(`file://${mergedHtml}`)
      await page.waitForSelector('body[data-charts-drawn]')
      expect(problems).toEqual([])
      expect(await page.getAttribute('body', 'data-charts-drawn')).toBe('6')
      expect(await page.textContent('body')).toMatch(/Merged from/)
      expect(await page.textContent('.latency-note')).toMatch(
        /per-interval latency is not kept when runs are merged/,
      )
    } finally {
      await context.close()
    }
  })
})
