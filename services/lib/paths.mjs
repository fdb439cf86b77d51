import os from 'node:os'
import path from 'node:path'

/**
 * Downloaded artifacts (jars) survive reboots and are shared by every checkout:
 * $CDCB_SERVICES_DIR, else $XDG_CACHE_HOME/cdcb/services, else ~/.cache/cdcb/services.
 */
export function cacheRoot(env = process.env) {
  if (env.CDCB_SERVICES_DIR) return path.resolve(env.CDCB_SERVICES_DIR)
  const xdg = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(xdg, 'cdcb', 'services')
}

/** Data, logs and pid files are disposable: $CDCB_SERVICES_TMP, else <tmpdir>/cdcb-services. */
export function runRoot(env = process.env) {
  if (env.CDCB_SERVICES_TMP) return path.resolve(env.CDCB_SERVICES_TMP)
  return path.join(os.tmpdir(), 'cdcb-services')
}

/** Every path one service uses; `stateDir` holds its config, data, log and pid file. */
export function servicePaths(name, env = process.env) {
  const stateDir = path.join(runRoot(env), name)
  return {
    cacheDir: path.join(cacheRoot(env), name),
    stateDir,
    logFile: path.join(stateDir, `${name}.log`),
    pidFile: path.join(stateDir, `${name}.pid`),
    lockDir: path.join(stateDir, '.lock'),
  }
}
