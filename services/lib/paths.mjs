import { createHash } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Downloaded artifacts (jars) survive reboots and are shared by every checkout:
 * $CDCB_SERVICES_DIR, else $XDG_CACHE_HOME/cdcb/services, else ~/.cache/cdcb/services.
 */
export function cacheRoot(env = process.env) {
  if (env.CDCB_SERVICES_DIR) return path.resolve(env.CDCB_SERVICES_DIR)
  const xdg = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(xdg, 'cdcb', 'services')
}

/** The checkout these scripts belong to. */
const CHECKOUT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)))

/**
 * Data, logs and pid files are disposable and belong to one checkout:
 * $CDCB_SERVICES_TMP, else <tmpdir>/cdcb-services-<hash of the checkout's path>,
 * so `down` in one clone never stops another clone's servers.
 */
export function runRoot(env = process.env, checkout = CHECKOUT) {
  if (env.CDCB_SERVICES_TMP) return path.resolve(env.CDCB_SERVICES_TMP)
  const id = createHash('sha256').update(checkout).digest('hex').slice(0, 12)
  return path.join(os.tmpdir(), `cdcb-services-${id}`)
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
