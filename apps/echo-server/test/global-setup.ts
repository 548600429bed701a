import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

function newestSource(folder: string): number {
  return Math.max(...readdirSync(folder).map((file) => statSync(`${folder}/${file}`).mtimeMs))
}

/**
 * The e2e tests run the BUILT binaries: `dist/cli.js` of this app and of the load tester. Build them when missing or
 * older than a source file, so that `pnpm --filter @socketlite/echo-server test` works on its own (CI builds first,
 * so this is a no-op there).
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const echoCli = `${root}dist/cli.js`
  const echoBuilt = existsSync(echoCli) ? statSync(echoCli).mtimeMs : 0
  if (
    echoBuilt === 0 ||
    newestSource(`${root}src`) > echoBuilt ||
    statSync(`${root}package.json`).mtimeMs > echoBuilt
  ) {
    execFileSync(`${root}node_modules/.bin/tsup`, [], { cwd: root, stdio: 'ignore', timeout: 120_000 })
  }
  const loadRoot = fileURLToPath(new URL('../../load-tester/', import.meta.url))
  if (!existsSync(`${loadRoot}dist/cli.js`)) {
    execFileSync(`${loadRoot}node_modules/.bin/tsup`, [], { cwd: loadRoot, stdio: 'ignore', timeout: 120_000 })
  }
}
