// Benchmarks run on the project's own Node 24 (the `node` devDependency), as tests and CI do:
// `node bench/x.mjs` from a shell whose node is older runs itself again under that one.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  const projectNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))
  if (!existsSync(projectNode)) {
    process.stderr.write(
      `bench: needs Node >= 22.19 (this is ${process.version}); run npm ci first, which brings Node 24\n`,
    )
    process.exit(2)
  }
  const { status, signal } = spawnSync(projectNode, process.argv.slice(1), { stdio: 'inherit' })
  process.exit(status ?? (signal ? 128 : 1))
}
