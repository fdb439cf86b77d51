import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { ServiceError } from './errors.mjs'
import { requireMaven } from './tools.mjs'

// The dependency plugin is pinned here rather than in each pom, so the poms stay
// plain dependency lists and Maven does not pick whatever version is newest today.
const COPY_DEPENDENCIES = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies'
const STAMP = '.cdcb-pom-sha256'

/**
 * Fills `libDir` with the runtime jars of `pom` (its dependencies and theirs),
 * unless a previous fetch of the same pom completed there. The jars land in a
 * sibling temp folder first and are renamed into place, so an interrupted
 * download never looks complete.
 * @returns {Promise<boolean>} true when it downloaded, false when the cache was used
 */
export async function fetchMavenDependencies({ pom, libDir, log = () => {}, env = process.env }) {
  const digest = createHash('sha256').update(fs.readFileSync(pom)).digest('hex')
  if (readStamp(libDir) === digest) return false

  const mvn = requireMaven(`download ${path.basename(path.dirname(pom))}'s jars from Maven Central`, env)
  log(`downloading jars with Maven into ${libDir} (first run only)`)
  fs.mkdirSync(path.dirname(libDir), { recursive: true })
  // Callers hold the service's lock, so any temp folder left here is from an interrupted fetch.
  const base = path.basename(libDir)
  for (const entry of fs.readdirSync(path.dirname(libDir))) {
    if (entry.startsWith(`${base}.tmp-`))
      fs.rmSync(path.join(path.dirname(libDir), entry), { recursive: true, force: true })
  }
  const tmp = `${libDir}.tmp-${process.pid}`
  const args = [
    '-q',
    '-B',
    '-f',
    pom,
    COPY_DEPENDENCIES,
    '-DincludeScope=runtime',
    `-DoutputDirectory=${tmp}`,
  ]
  const { code, output } = await run(mvn, args, env)
  if (code !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw new ServiceError(
      `mvn could not fetch the jars of ${pom} (exit ${code}); is Maven Central reachable?`,
      {
        detail: lastLines(output, 30),
      },
    )
  }
  fs.writeFileSync(path.join(tmp, STAMP), digest)
  fs.rmSync(libDir, { recursive: true, force: true })
  fs.renameSync(tmp, libDir)
  return true
}

function readStamp(libDir) {
  try {
    return fs.readFileSync(path.join(libDir, STAMP), 'utf8').trim()
  } catch {
    return undefined
  }
}

function run(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const keep = (chunk) => {
      output = (output + chunk).slice(-64 * 1024)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.on('error', (error) => resolve({ code: -1, output: error.message }))
    child.on('close', (code) => resolve({ code: code ?? -1, output }))
  })
}

function lastLines(text, n) {
  return text.trimEnd().split('\n').slice(-n).join('\n')
}
