#!/usr/bin/env node
// `pnpm release [--dry-run]`: build every package, run every test, check the packages as users get them
// (scripts/check-packages.mjs: contents, manifests, publint, require() and import from a consumer), then publish
// the packages whose version is not on the registry yet with `changeset publish` (run `pnpm version-packages` and
// commit first; CI's release workflow does both through the changesets action, with provenance).
// With --dry-run nothing is published: `pnpm publish -r --dry-run` shows what would go out, package by package.
// --tests-passed skips the test step, for a caller that has just run every test itself (.ci/run does, and stops
// before the release when any failed); the builds and the package checks still run.
import { spawnSync } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dryRun = process.argv.includes('--dry-run')
const testsPassed = process.argv.includes('--tests-passed')
const unknown = process.argv.slice(2).filter((arg) => arg !== '--dry-run' && arg !== '--tests-passed')
if (unknown.length > 0) {
  console.error(`usage: pnpm release [--dry-run] [--tests-passed]  (unknown: ${unknown.join(' ')})`)
  process.exit(2)
}

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' }
function run(title, command, args) {
  console.log(`== ${title}: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' })
  if (result.status !== 0) {
    console.error(`release stopped: ${title} failed${dryRun ? ' (dry run)' : ''}`)
    process.exit(result.status ?? 1)
  }
}

run('build', 'pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'])
if (testsPassed) console.log('== test: skipped (--tests-passed: the caller has just run every test)')
else run('test', 'pnpm', ['exec', 'turbo', 'run', 'test', '--output-logs=errors-only'])
run('packages', 'node', ['scripts/check-packages.mjs'])
if (dryRun) {
  run('publish (dry run)', 'pnpm', ['publish', '-r', '--dry-run', '--no-git-checks'])
  console.log('dry run: nothing was published')
} else {
  run('publish', 'pnpm', ['exec', 'changeset', 'publish'])
}
