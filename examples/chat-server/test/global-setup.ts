import { buildIfStale, ensureRedisServer } from '@socketlite/testing'

/**
 * The main test runs the BUILT `dist/main.js`: build it when missing or stale, so this package tests on its own. The
 * scale-out tests need `redis-server`: installed as root, or a clear error with the command to run (never a skip).
 */
export default (): void => {
  buildIfStale(new URL('..', import.meta.url))
  ensureRedisServer()
}
