import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { ServiceError } from './errors.mjs'

const execFileAsync = promisify(execFile)

const INSTALL_HINT = 'install it with: sudo apt-get install openjdk-17-jre-headless maven'

/** The absolute path of `command` on PATH, or undefined. */
export function findExecutable(command, env = process.env) {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, command)
    try {
      fs.accessSync(candidate, fs.constants.X_OK)
      if (fs.statSync(candidate).isFile()) return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

let javaChecked

/**
 * The java binary to run ($JAVA_HOME/bin/java, else `java` on PATH), checked to
 * be at least `minMajor`; throws a one-line ServiceError (exit 2) otherwise.
 */
export async function requireJava(minMajor, env = process.env) {
  if (javaChecked && javaChecked.major >= minMajor) return javaChecked.path
  const fromHome = env.JAVA_HOME && path.join(env.JAVA_HOME, 'bin', 'java')
  const java = fromHome && fs.existsSync(fromHome) ? fromHome : findExecutable('java', env)
  if (!java) {
    throw new ServiceError(`java not found on PATH (Java ${minMajor}+ is needed); ${INSTALL_HINT}`, {
      exitCode: 2,
    })
  }
  let out
  try {
    const { stderr, stdout } = await execFileAsync(java, ['-version'])
    out = stderr + stdout
  } catch (error) {
    throw new ServiceError(`${java} -version failed (${error.message.split('\n')[0]}); ${INSTALL_HINT}`, {
      exitCode: 2,
    })
  }
  // `version "17.0.15"`, `version "1.8.0_392"`, `version "21"`
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out)
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0
  if (major < minMajor) {
    throw new ServiceError(
      `${java} is Java ${major || '?'}, Java ${minMajor}+ is needed; ${INSTALL_HINT} (or set JAVA_HOME)`,
      { exitCode: 2 },
    )
  }
  javaChecked = { path: java, major }
  return java
}

/** The path of `mvn`, or a one-line ServiceError (exit 2) saying why it is needed. */
export function requireMaven(why, env = process.env) {
  const mvn = findExecutable('mvn', env)
  if (!mvn)
    throw new ServiceError(`mvn not found on PATH (needed once to ${why}); ${INSTALL_HINT}`, { exitCode: 2 })
  return mvn
}
