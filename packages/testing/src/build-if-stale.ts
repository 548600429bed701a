import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Build a package with its own `tsup` when its `dist/main.js` is missing or older than a file of its `src/`, so a
 * test that runs the BUILT program (see {@link runMain}) also works on a fresh checkout without `build` first.
 * Meant for a vitest `globalSetup`; a no-op once the build is up to date (as in CI, which builds before testing).
 *
 * @example
 * ```ts
 * // test/global-setup.ts
 * import { buildIfStale } from '@socketlite/testing'
 * export default () => buildIfStale(new URL('..', import.meta.url))
 * ```
 * @throws Error when `tsup` fails or runs longer than 2 minutes.
 */
export function buildIfStale(packageRoot: string | URL): void {
  const root = typeof packageRoot === 'string' ? packageRoot : fileURLToPath(packageRoot)
  const main = join(root, 'dist', 'main.js')
  const sources = readdirSync(join(root, 'src')).map((file) => join(root, 'src', file))
  const built = existsSync(main) ? statSync(main).mtimeMs : 0
  if (built > 0 && sources.every((file) => statSync(file).mtimeMs <= built)) return
  execFileSync(join(root, 'node_modules', '.bin', 'tsup'), [], { cwd: root, stdio: 'ignore', timeout: 120_000 })
}
