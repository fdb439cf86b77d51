import { spawn } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, tempDir } from './helpers.js'

const CORE = fileURLToPath(new URL('../../core', import.meta.url))

/** Runs npm as a plugin author would, outside this workspace's npm settings. */
function npm(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  )
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

describe('cdcb init --plugin', () => {
  const dir = tempDir()
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('scaffolds a package that builds and passes the conformance kit with npm install && npm test', async () => {
    const init = await runCli(['init', '--plugin', 'queue-demo'], { cwd: dir })
    expect(init.stderr).toBe('')
    expect(init.code).toBe(0)
    const pkgDir = path.join(dir, 'cdcb-plugin-queue-demo')
    const manifest = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
    expect(manifest).toMatchObject({ name: 'cdcb-plugin-queue-demo', type: 'module' })
    expect(manifest.keywords).toContain('cdcb-plugin')
    expect(manifest.peerDependencies['@cdcb/core']).toBe('^0.1.0')

    // The scaffold asks the registry for @cdcb/core; point it at this workspace's core, packed as npm would publish it.
    const pack = await npm(['pack', '--pack-destination', dir, CORE], dir)
    expect(pack.code, pack.output).toBe(0)
    const tarball = path.join(dir, pack.output.trim().split('\n').pop()!)
    manifest.devDependencies['@cdcb/core'] = `file:${tarball}`
    writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify(manifest, null, 2))

    const install = await npm(['install', '--no-audit', '--no-fund'], pkgDir)
    expect(install.code, install.output).toBe(0)
    const test = await npm(['test'], pkgDir)
    expect(test.code, test.output).toBe(0)
    expect(test.output).toMatch(/passes the cdcb conformance kit/)
  }, 300_000)

  it('refuses a name npm or cdcb could not use, in one line', async () => {
    const bad = await runCli(['init', '--plugin', 'Redis Streams'], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(
      /^cdcb: --plugin: "Redis Streams" is not a plugin name — use lowercase letters/,
    )
  })
})
