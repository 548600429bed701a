import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ensureRedisServer } from '@socketlite/testing'
import { ensureChromium } from './chromium.js'

/**
 * The e2e tests run the BUILT binary. Build it first when `dist/` is missing or older than a source file, so that
 * `pnpm --filter @socketlite/load-tester test` works on its own (CI builds before testing, so this is a no-op there).
 * Some tests need real outside programs: redis-server (request/reply mode against a server nobody here wrote) and
 * headless Chromium (the HTML report, looked at). Both are installed when missing and this runs as root (CI);
 * otherwise the run fails with the command to run. They are never skipped.
 */
export default function setup(): void {
  ensureRedisServer()
  ensureChromium()
  const root = fileURLToPath(new URL('..', import.meta.url))
  const cli = `${root}dist/cli.js`
  const sources = [`${root}src`].flatMap((folder) => readdirSync(folder).map((file) => `${folder}/${file}`))
  const built = existsSync(cli) ? statSync(cli).mtimeMs : 0
  if (built > 0 && sources.every((file) => statSync(file).mtimeMs <= built)) return
  execFileSync(`${root}node_modules/.bin/tsup`, [], { cwd: root, stdio: 'ignore', timeout: 120_000 })
}
