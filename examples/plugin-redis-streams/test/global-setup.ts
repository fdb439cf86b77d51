/**
 * Starts a Redis server of our own for the tests: Debian's `redis-server` on a
 * free loopback port, with its own folder under CDCB_SERVICES_TMP (or the temp
 * folder), no persistence, stopped and removed afterwards. Never touches a Redis
 * it did not start. Without `redis-server` the tests are skipped with one loud
 * line, except under CI=true, where that is a failure.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'

export interface RedisTestEnv {
  /** `redis://127.0.0.1:<port>`; undefined when the tests are skipped. */
  url?: string
  skip?: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    redis: RedisTestEnv
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** True once the server answers PING with PONG. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.setTimeout(500, () => socket.destroy())
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
    socket.once('close', () => resolve(false))
    socket.once('error', () => resolve(false))
  })
}

export default async function setup(project: TestProject) {
  if (spawnSync('redis-server', ['--version']).error) {
    const how = 'install it (sudo apt-get install redis-server)'
    if (process.env.CI === 'true')
      throw new Error(`Redis Streams tests cannot run under CI=true: no redis-server; ${how}`)
    const why = `Redis Streams plugin tests SKIPPED: no redis-server on PATH. To run them, ${how}.`
    process.stderr.write(`\n!!! ${why}\n\n`)
    project.provide('redis', { skip: why })
    return
  }
  const port = await freePort()
  const base = process.env.CDCB_SERVICES_TMP ?? path.join(tmpdir(), 'cdcb-services')
  const dir = path.join(base, `redis-streams-test-${port}`)
  mkdirSync(dir, { recursive: true })
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  let exited = false
  server.once('exit', () => {
    exited = true
  })
  const deadline = Date.now() + 20_000
  while (!(await answers(port))) {
    if (exited || Date.now() > deadline) {
      server.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`redis-server on 127.0.0.1:${port} did not answer within 20s (exited: ${exited})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  project.provide('redis', { url: `redis://127.0.0.1:${port}` })
  return async () => {
    if (!exited) {
      const gone = new Promise((resolve) => server.once('exit', resolve))
      server.kill('SIGTERM')
      await gone
    }
    rmSync(dir, { recursive: true, force: true })
  }
}
