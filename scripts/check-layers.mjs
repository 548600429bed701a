#!/usr/bin/env node
// Fails when a package imports (or depends on) a package above it in the layer order of docs/architecture.md,
// when production code imports the private testing package, or when a relative import leaves its package.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const libs = [
  'socket-base',
  'sending-queue',
  'protocol',
  'listener',
  'session-async',
  'session-tls',
  'session-udp',
  'app-server',
  'client',
  'redis-adapter',
  'metrics',
]

/** What each library may import: the transitive closure of API.md's "depends on" column. */
export const allowed = {
  'socket-base': [],
  'sending-queue': ['socket-base'],
  protocol: ['socket-base'],
  listener: ['socket-base'],
  'session-async': ['socket-base', 'sending-queue'],
  'session-tls': ['socket-base', 'sending-queue', 'session-async'],
  'session-udp': ['socket-base', 'sending-queue', 'session-async'],
  'app-server': ['socket-base', 'sending-queue', 'protocol', 'listener', 'session-async', 'session-tls', 'session-udp'],
  client: ['socket-base', 'sending-queue', 'protocol', 'session-async', 'session-tls', 'session-udp'],
  'redis-adapter': ['socket-base'],
  metrics: [
    'socket-base',
    'sending-queue',
    'protocol',
    'listener',
    'session-async',
    'session-tls',
    'session-udp',
    'app-server',
  ],
  testing: ['socket-base'],
}

function walk(dir, out = []) {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (/\.(c|m)?[jt]sx?$/.test(name)) out.push(path)
  }
  return out
}

const importPattern =
  /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm

function workspaces() {
  const list = []
  for (const group of ['packages', 'apps', 'examples']) {
    const base = join(root, group)
    if (!existsSync(base)) continue
    for (const name of readdirSync(base)) {
      const dir = join(base, name)
      if (existsSync(join(dir, 'package.json'))) list.push({ group, name, dir })
    }
  }
  return list
}

const problems = []
for (const { group, name, dir } of workspaces()) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const mayUse = group === 'packages' ? (allowed[name] ?? null) : libs
  if (mayUse === null) {
    problems.push(
      `${relative(root, dir)}: unknown package; add it to the layer table in scripts/check-layers.mjs and docs/architecture.md`,
    )
    continue
  }
  for (const dep of Object.keys(manifest.dependencies ?? {})) {
    if (!dep.startsWith('@socketlite/')) continue
    const target = dep.slice('@socketlite/'.length)
    if (!mayUse.includes(target))
      problems.push(`${relative(root, dir)}/package.json: depends on ${dep}, which is not below it`)
  }
  const sourceDirs = group === 'packages' ? ['src'] : ['src', 'bin']
  for (const sub of sourceDirs) {
    for (const file of walk(join(dir, sub))) {
      const text = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
      for (const match of text.matchAll(importPattern)) {
        const spec = match[1] ?? match[2] ?? match[3] ?? match[4]
        if (!spec) continue
        const where = relative(root, file)
        if (spec.startsWith('@socketlite/')) {
          const target = spec.slice('@socketlite/'.length).split('/')[0]
          if (target === name && group === 'packages')
            problems.push(`${where}: imports its own package by name (${spec})`)
          else if (!mayUse.includes(target))
            problems.push(`${where}: imports ${spec}, which is not below ${name} in the layer order`)
        } else if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec)
          if (!target.startsWith(`${dir}/`)) problems.push(`${where}: relative import ${spec} leaves its package`)
        } else if (group === 'packages' && name === 'socket-base' && spec.startsWith('node:')) {
          problems.push(`${where}: socket-base must not import ${spec} at run time`)
        }
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Layer check failed (${problems.length}):`)
  for (const problem of problems) console.error(`  - ${problem}`)
  process.exit(1)
}
console.log(`Layer check passed (${workspaces().length} workspace packages).`)
