#!/usr/bin/env node
// node services/cli.mjs <up|down|status|logs> [name...]   (see README.md)
import { down, logs, ServiceError, serviceNames, status, up } from './index.mjs'

const USAGE = `usage: node services/cli.mjs <command> [name...]

  up [name...]      start services (default: all) or reuse ones already answering
  down [name...]    stop services this harness started (default: all)
  status [name...]  show running/stopped, pid and address (default: all)
  logs [name...]    print the end of each log; -n LINES (default 50)

services: ${serviceNames.join(', ')}`

const COMMANDS = {
  async up(names) {
    for (const name of names) {
      const t0 = Date.now()
      const r = await up(name, { log: (line) => console.error(`${name}: ${line}`) })
      const secs = ((Date.now() - t0) / 1000).toFixed(1)
      if (r.startedByUs) console.log(`${name}: ready at ${r.address} (pid ${r.pid}, ${secs} s)`)
      else if (r.reused === 'cdcb')
        console.log(
          `${name}: already running at ${r.address} (pid ${r.pid}, started by an earlier up); reusing it`,
        )
      else
        console.log(
          `${name}: something already answers as ${name} at ${r.address} (not started by cdcb); reusing it`,
        )
    }
  },
  async down(names) {
    for (const name of names) {
      const r = await down(name, { log: (line) => console.error(`${name}: ${line}`) })
      console.log(r.stopped ? `${name}: stopped (pid ${r.pid}, ${r.note})` : `${name}: ${r.note}`)
    }
  },
  async status(names) {
    const rows = []
    for (const name of names) {
      const s = await status(name)
      const owner = s.startedByCdcb ? 'started by cdcb' : s.running ? 'not started by cdcb' : ''
      rows.push([name, s.state, s.pid ? `pid ${s.pid}` : '-', s.address, s.note ?? owner])
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
    for (const row of rows)
      console.log(
        row
          .map((cell, i) => cell.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
  },
  async logs(names, { lines }) {
    for (const name of names) {
      const text = logs(name, { lines })
      if (names.length > 1) console.log(`==> ${name} <==`)
      console.log(text ?? `(${name} has no log yet: it was never started by cdcb)`)
    }
  },
}

function parse(argv) {
  const [command, ...rest] = argv
  const names = []
  let lines = 50
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]
    if (arg === '-n' || arg === '--lines') {
      lines = Number(rest[++i])
      if (!Number.isInteger(lines) || lines < 1)
        throw new ServiceError(`${arg} needs a positive number of lines`, { exitCode: 2 })
    } else if (arg.startsWith('-')) {
      throw new ServiceError(`unknown option ${arg}\n${USAGE}`, { exitCode: 2 })
    } else {
      names.push(arg)
    }
  }
  return { command, names, lines }
}

async function main() {
  const argv = process.argv.slice(2)
  if (argv.length === 0 || argv[0] === '-h' || argv[0] === '--help' || argv[0] === 'help') {
    if (argv.length === 0) {
      console.error(USAGE)
      return 2
    }
    console.log(USAGE)
    return 0
  }
  const { command, names, lines } = parse(argv)
  if (!Object.hasOwn(COMMANDS, command))
    throw new ServiceError(`unknown command '${command}'\n${USAGE}`, { exitCode: 2 })
  for (const name of names) {
    if (!serviceNames.includes(name))
      throw new ServiceError(`unknown service '${name}'; known: ${serviceNames.join(', ')}`, { exitCode: 2 })
  }
  // With no names, down stops in reverse start order: Connect before the Kafka it stores offsets in.
  const all = command === 'down' ? [...serviceNames].reverse() : serviceNames
  await COMMANDS[command](names.length ? names : all, { lines })
  return 0
}

process.once('SIGINT', () => {
  console.error(
    '\ninterrupted; a server that was starting keeps starting: `node services/cli.mjs status` shows it, `down` stops it',
  )
  process.exit(130)
})

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof ServiceError) {
      console.error(`cdcb services: ${error.message}`)
      if (error.detail) console.error(error.detail)
      process.exit(error.exitCode)
    }
    console.error(error)
    process.exit(3)
  },
)
