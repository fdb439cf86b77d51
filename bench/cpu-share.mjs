#!/usr/bin/env node
/**
 * CPU share per process of a pipeline under test, sampled from /proc once a
 * second while a command runs: which process is the limit when a `cdcb search`
 * finds a knee. Linux only; no dependencies.
 *
 *   node bench/cpu-share.mjs --watch kafka --watch connect --watch mine=<pid file> -- npx cdcb search …
 *
 * Groups: each `--watch name=<pid file>` (a number or the services harness's JSON
 * `{ "pid": … }`) or `--watch <service>` (a server `npm run services` started for
 * this checkout, found by its pid file), with its children; the command's own process tree split by command name (node =
 * cdcb, postgres = the embedded PostgreSQL it started), and the machine's total.
 * Prints one line per second (cores used, 1.0 = one core busy) and, at the end,
 * the mean of each group; `--csv FILE` keeps every line.
 */
import './node24.mjs'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { runRoot } from '../services/lib/paths.mjs'
import { servicePid } from './proc.mjs'

const TICKS = 100 // USER_HZ on Linux
const args = process.argv.slice(2)
const split = args.indexOf('--')
if (split < 0) {
  console.error('usage: node bench/cpu-share.mjs [--watch name=pidfile]… [--csv FILE] -- command …')
  process.exit(2)
}
const watch = []
let csv
for (let i = 0; i < split; i++) {
  if (args[i] === '--watch') {
    const [name, file] = args[++i].split('=')
    if (file === undefined) {
      const pid = servicePid(name)
      if (pid === undefined) {
        console.error(
          `cpu-share: no pid file for service "${name}" in ${runRoot()} — start it with npm run services -- up ${name}`,
        )
        process.exit(2)
      }
      watch.push({ name, pid })
      continue
    }
    const text = readFileSync(file, 'utf8').trim()
    watch.push({ name, pid: text.startsWith('{') ? JSON.parse(text).pid : Number(text) })
  } else if (args[i] === '--csv') csv = args[++i]
}

/** utime + stime (ticks), ppid and command name of every process. */
function snapshot() {
  const procs = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const comm = stat.slice(stat.indexOf('(') + 1, close)
      const fields = stat.slice(close + 2).split(' ')
      procs.set(Number(entry), {
        comm,
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
      })
    } catch {}
  }
  const total = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  return { procs, busy: total.reduce((a, b) => a + b, 0) - total[3] - total[4] }
}

function groups(snap, root) {
  const children = new Map()
  for (const [pid, p] of snap.procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, [])
    children.get(p.ppid).push(pid)
  }
  const family = (pid) => {
    const members = []
    const stack = [pid]
    while (stack.length) {
      const next = stack.pop()
      members.push(next)
      stack.push(...(children.get(next) ?? []))
    }
    return members
  }
  // A watched server counts with its children (a JVM under a wrapper script).
  const watched = new Set()
  const out = {}
  for (const w of watch) {
    out[w.name] = 0
    for (const pid of family(w.pid)) {
      watched.add(pid)
      out[w.name] += snap.procs.get(pid)?.ticks ?? 0
    }
  }
  const stack = [root]
  while (stack.length) {
    const pid = stack.pop()
    const p = snap.procs.get(pid)
    if (p && !watched.has(pid)) {
      const name = p.comm === 'node' || p.comm === 'MainThread' ? 'cdcb (node)' : p.comm
      out[name] = (out[name] ?? 0) + p.ticks
    }
    stack.push(...(children.get(pid) ?? []))
  }
  out['machine (all)'] = snap.busy
  return out
}

const child = spawn(args[split + 1], args.slice(split + 2), { stdio: ['inherit', 'inherit', 'inherit'] })
const rows = []
let last = groups(snapshot(), child.pid)
let lastAt = Date.now()
const timer = setInterval(() => {
  const now = groups(snapshot(), child.pid)
  const seconds = (Date.now() - lastAt) / 1000
  const row = { t: new Date().toISOString().slice(11, 19), load1: loadavg()[0] }
  for (const [name, ticks] of Object.entries(now)) {
    // A process that appeared this second counts from zero; one that exited drops out.
    row[name] = Math.max(0, (ticks - (last[name] ?? 0)) / TICKS / seconds)
  }
  rows.push(row)
  last = now
  lastAt = Date.now()
}, 1000)

child.on('exit', (code) => {
  clearInterval(timer)
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((n) => n !== 't' && n !== 'load1')
  if (csv) {
    writeFileSync(
      csv,
      `${['t', 'load1', ...names].join(',')}\n${rows.map((r) => ['t', 'load1', ...names].map((n) => (typeof r[n] === 'number' ? r[n].toFixed(3) : (r[n] ?? ''))).join(',')).join('\n')}\n`,
    )
  }
  console.error(`\ncpu-share: mean cores used over ${rows.length} s (machine has ${cpus().length} cores):`)
  for (const name of names) {
    const mean = rows.reduce((a, r) => a + (r[name] ?? 0), 0) / Math.max(1, rows.length)
    if (mean >= 0.005) console.error(`  ${name.padEnd(18)} ${mean.toFixed(2)}`)
  }
  console.error(
    `  load average (1 min) mean ${(rows.reduce((a, r) => a + r.load1, 0) / Math.max(1, rows.length)).toFixed(1)}`,
  )
  process.exit(code ?? 1)
})
