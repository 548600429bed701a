import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The main test runs the BUILT `dist/main.js`. Build it first when it is missing or older than a source file, so
 * that `pnpm --filter <this example> test` works on its own (CI builds before testing, so this is a no-op there).
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const main = `${root}dist/main.js`
  const sources = readdirSync(`${root}src`).map((file) => `${root}src/${file}`)
  const built = existsSync(main) ? statSync(main).mtimeMs : 0
  if (built > 0 && sources.every((file) => statSync(file).mtimeMs <= built)) return
  execFileSync(`${root}node_modules/.bin/tsup`, [], { cwd: root, stdio: 'ignore', timeout: 120_000 })
}
