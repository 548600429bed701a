import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect, onTestFinished, test } from 'vitest'
import { buildIfStale } from '../src/index.js'

/** A package folder whose `node_modules/.bin/tsup` writes `dist/main.js` and counts its runs in `builds.log`. */
function fakePackage(): string {
  const root = mkdtempSync(join(tmpdir(), 'build-if-stale-'))
  onTestFinished(() => rmSync(root, { recursive: true, force: true }))
  mkdirSync(join(root, 'src'))
  mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true })
  writeFileSync(join(root, 'src', 'main.ts'), 'console.log(1)\n')
  const tsup = join(root, 'node_modules', '.bin', 'tsup')
  writeFileSync(tsup, '#!/bin/sh\nmkdir -p dist && echo built > dist/main.js && echo run >> builds.log\n')
  chmodSync(tsup, 0o755)
  return root
}

const builds = (root: string) =>
  existsSync(join(root, 'builds.log')) ? readFileSync(join(root, 'builds.log'), 'utf8') : ''
const setTime = (file: string, seconds: number) => utimesSync(file, seconds, seconds)

test('builds when dist/main.js is missing, not when it is newer than every source, again when a source is newer', () => {
  const root = fakePackage()
  buildIfStale(root)
  expect(builds(root)).toBe('run\n')
  expect(readFileSync(join(root, 'dist', 'main.js'), 'utf8')).toBe('built\n')

  setTime(join(root, 'src', 'main.ts'), 1_000_000)
  setTime(join(root, 'dist', 'main.js'), 2_000_000)
  buildIfStale(pathToFileURL(`${root}/`))
  expect(builds(root)).toBe('run\n')

  setTime(join(root, 'src', 'main.ts'), 3_000_000)
  buildIfStale(root)
  expect(builds(root)).toBe('run\nrun\n')
})

test('a failing build throws', () => {
  const root = fakePackage()
  writeFileSync(join(root, 'node_modules', '.bin', 'tsup'), '#!/bin/sh\nexit 1\n')
  expect(() => buildIfStale(root)).toThrow()
})
