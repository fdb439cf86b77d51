#!/usr/bin/env node
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  // Older lines are past end of life, and dependencies need 22.19 (the Kafka plugin's client needs 22.22: its own engines say so).
  process.stderr.write(
    `cdcb: needs Node.js >= 22.19 (this is ${process.version}); install Node 22 or 24 LTS, or run it through npm in this repository (npm start, npx cdcb), which uses the project's Node 24\n`,
  )
  process.exit(2)
}
// `cdcb --version` answers before oclif loads: scripts call it often and it must stay fast.
const args = process.argv.slice(2)
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v' || args[0] === 'version')) {
  const { readFileSync } = await import('node:fs')
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`cdcb/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const { execute } = await import('@oclif/core')
  await execute({ dir: import.meta.url })
}
