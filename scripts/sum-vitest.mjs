#!/usr/bin/env node
// Sums the vitest JSON reports (.vitest-report.json) of every workspace package that has a test script and
// prints one plain line `N passed, N failed[, N skipped]` for CI. A package whose report is missing counts as
// one failure, so a crashed test run can never look green. Exit code 1 when anything failed.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
let passed = 0
let failed = 0
let skipped = 0
for (const group of ['packages', 'apps', 'examples']) {
  const base = join(root, group)
  if (!existsSync(base)) continue
  for (const name of readdirSync(base).sort()) {
    const dir = join(base, name)
    const manifestPath = join(dir, 'package.json')
    if (!existsSync(manifestPath)) continue
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    if (!manifest.scripts?.test) continue
    const reportPath = join(dir, '.vitest-report.json')
    if (!existsSync(reportPath)) {
      console.error(`no test report from ${relative(root, dir)} (its test run crashed or did not run)`)
      failed += 1
      continue
    }
    const report = JSON.parse(readFileSync(reportPath, 'utf8'))
    const p = report.numPassedTests ?? 0
    const f = report.numFailedTests ?? 0
    const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
    // A suite that failed to load reports no failed test: count it.
    const brokenSuites = (report.testResults ?? []).filter(
      (suite) => suite.status === 'failed' && (suite.assertionResults ?? []).every((a) => a.status !== 'failed'),
    ).length
    console.error(`${relative(root, dir)}: ${p} passed, ${f + brokenSuites} failed${s ? `, ${s} skipped` : ''}`)
    passed += p
    failed += f + brokenSuites
    skipped += s
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
