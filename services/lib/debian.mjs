import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { ServiceError } from './errors.mjs'

/**
 * Makes a Debian package's binary present: returns its path when it exists,
 * else installs the package with apt-get (root only; `apt-get update` first)
 * and returns the path. Concurrent installs wait on dpkg's lock for up to ten
 * minutes rather than failing. Throws ServiceError (exit code 2) when the
 * binary is missing and cannot be installed here, naming the command to run.
 * @param {string} binary absolute path, e.g. /usr/bin/chromium
 * @param {string} pkg Debian package name, e.g. chromium
 * @param {{ log?: (line: string) => void }} [opts]
 * @returns {string}
 */
export function ensureDebianBinary(binary, pkg, opts = {}) {
  if (existsSync(binary)) return binary
  const how = `install it: sudo apt-get update && sudo apt-get install -y ${pkg}`
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
    throw new ServiceError(`${binary} is needed and this is not a Debian-like system; ${how}`, {
      exitCode: 2,
    })
  }
  if (process.getuid?.() !== 0) {
    throw new ServiceError(`${binary} is needed (Debian package ${pkg}); ${how}`, { exitCode: 2 })
  }
  const lock = ['-o', 'DPkg::Lock::Timeout=600']
  opts.log?.(`installing Debian package ${pkg} (for ${binary})`)
  for (const args of [
    ['update', ...lock],
    ['install', '-y', '--no-install-recommends', ...lock, pkg],
  ]) {
    const run = spawnSync('apt-get', args, {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      maxBuffer: 64 * 1024 * 1024,
    })
    if (run.status !== 0) {
      const tail = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').slice(-10).join('\n')
      throw new ServiceError(`apt-get ${args[0]} ${pkg} failed (exit ${run.status}):\n${tail}`, {
        exitCode: 3,
      })
    }
  }
  if (!existsSync(binary)) {
    throw new ServiceError(`installed Debian package ${pkg} but ${binary} is still missing`, { exitCode: 3 })
  }
  return binary
}
