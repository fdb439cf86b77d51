import './node24.mjs'
// Shared helpers for the benchmarks: run the real CLI on a config and read its JSON result.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const CLI = fileURLToPath(new URL('../packages/cli/bin/run.js', import.meta.url))

/** Runs `cdcb run` on a config object; samples the process's RSS every `rssEveryMs` if asked. */
export async function runCdcb(config, { args = [], rssEveryMs } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cdcb-bench-'))
  const file = path.join(dir, 'bench.config.json')
  const out = path.join(dir, 'result.json')
  writeFileSync(file, JSON.stringify(config))
  const child = spawn(process.execPath, [CLI, 'run', '--config', file, '--out', out, '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CI: '1' },
  })
  let stdout = ''
  child.stdout.on('data', (c) => {
    stdout += c
  })
  const rss = []
  const started = Date.now()
  const sampler = rssEveryMs
    ? setInterval(() => {
        try {
          const kb = Number(
            execFileSync('ps', ['-o', 'rss=', '-p', String(child.pid)])
              .toString()
              .trim(),
          )
          rss.push({ t: (Date.now() - started) / 1000, mb: kb / 1024 })
        } catch {}
      }, rssEveryMs)
    : undefined
  const code = await new Promise((resolve) => child.on('close', resolve))
  if (sampler) clearInterval(sampler)
  let result
  try {
    result = JSON.parse(readFileSync(out, 'utf8'))
  } catch {
    throw new Error(`cdcb exited ${code} without a result:\n${stdout}`)
  }
  return { code, result, rss, stdout }
}

export function pct(x) {
  return `${(x * 100).toFixed(2)}%`
}
