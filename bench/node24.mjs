// Benchmarks run on the project's own Node 24 (the `node` devDependency), as tests and CI do:
// `node bench/x.mjs` from a shell whose node is older runs itself again under that one.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
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
  // A signal to this process alone (kill -INT <pid>, a CI cancel, timeout) is passed on, and this one
  // waits for the benchmark to clean up (delete its topics, stop its servers): it was left running.
  const child = spawn(projectNode, process.argv.slice(1), { stdio: 'inherit' })
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(name, () => child.kill(name))
  const [status, signal] = await once(child, 'exit')
  process.exit(status ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1))
}
