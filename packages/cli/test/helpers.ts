import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { RunResult } from '@cdcb/core'

export const CLI = fileURLToPath(new URL('../bin/run.js', import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built `cdcb` binary as a user would, without a TTY. */
export function runCli(
  args: string[],
  options: {
    cwd?: string
    env?: Record<string, string>
    /** Variables to remove from the inherited environment. */
    unset?: string[]
    onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void
    /** Text piped to the CLI's stdin (none: stdin is closed). */
    stdin?: string
  } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, CI: '1', NO_COLOR: '1', ...options.env }
    for (const name of options.unset ?? []) delete env[name]
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? tempDir(),
      env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
    if (options.stdin !== undefined) child.stdin!.end(options.stdin)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      options.onStdout?.(stdout, (signal) => child.kill(signal))
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'cdcb-test-'))
}

/** Writes a JSON config into a fresh directory and returns its path. */
export function writeConfig(config: unknown, name = 'bench.config.json'): string {
  const file = path.join(tempDir(), name)
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config))
  return file
}

export function readResult(file: string): RunResult {
  return JSON.parse(readFileSync(file, 'utf8')) as RunResult
}

/**
 * A loopback port for a test to listen on: 0 (the system picks a free one), or, when CDCB_TEST_PORTS=FROM-TO
 * is set (a machine shared by several test runs, each kept to its own range), a random port of that range.
 */
export function testPort(): number {
  const range = /^(\d+)-(\d+)$/.exec(process.env.CDCB_TEST_PORTS ?? '')
  if (!range) return 0
  const from = Number(range[1])
  return from + Math.floor(Math.random() * (Number(range[2]) - from + 1))
}
