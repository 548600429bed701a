import { ensureRedisServer } from '@socketlite/testing'

/** Make sure `redis-server` exists before any test runs: installed as root, or a clear error with the command. */
export default function setup(): void {
  ensureRedisServer()
}
