#!/usr/bin/env node
// Checks the published packages as users get them, from their built dist/ (run `pnpm build` first):
// 1. packs each one with `pnpm pack` (workspace: ranges replaced, as `pnpm publish` does) and lists the tarball sizes;
// 2. checks each tarball: dist/ + README + LICENSE (the root's) + package.json only (no src/, no source maps, no
//    tests), a README without relative links (they break on the registry's page), and a manifest with license, repository (+ directory), homepage, bugs, engines (= the root's), public
//    provenance, no `workspace:` range left;
// 3. runs publint (strict) on each tarball;
// 4. installs the tarballs into a temporary folder (third-party dependencies linked from this workspace, so no
//    network) and runs a CommonJS consumer (`require()`, Node >= 20.19) and an ES module consumer (`import`): each
//    loads every package and runs the README's server over loopback (ECHO → reply), its metrics counting the request.
// Prints one line per package and exits 1 on any problem. `.ci/run` and `pnpm release` run it.
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const license = readFileSync(join(root, 'LICENSE'), 'utf8')
const repositoryUrl = 'https://github.com/socketlite/socketlite'
const problems = []
const problem = (name, text) => problems.push(`${name}: ${text}`)

/** The workspace packages that get published: every non-private package under packages/. */
const packages = readdirSync(join(root, 'packages'))
  .sort()
  .map((folder) => ({ folder, dir: join(root, 'packages', folder) }))
  .filter(({ dir }) => existsSync(join(dir, 'package.json')))
  .map((entry) => ({ ...entry, manifest: JSON.parse(readFileSync(join(entry.dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true)

const work = mkdtempSync(join(tmpdir(), 'socketlite-packages-'))
const tarballs = join(work, 'tarballs')
const consumer = join(work, 'consumer')
mkdirSync(tarballs)
mkdirSync(join(consumer, 'node_modules', '@socketlite'), { recursive: true })

function list(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? list(path, base) : [relative(base, path)]
  })
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
const rows = []
const linked = new Set()
try {
  for (const { folder, dir, manifest } of packages) {
    const name = manifest.name
    if (!existsSync(join(dir, 'dist', 'index.js'))) {
      problem(name, 'dist/index.js is missing: run `pnpm build` first')
      continue
    }
    const output = execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir, encoding: 'utf8' })
    const tarball = output.trim().split('\n').at(-1)
    const target = join(consumer, 'node_modules', name)
    mkdirSync(target, { recursive: true })
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'])
    const files = list(target)
    const unpacked = files.reduce((sum, file) => sum + statSync(join(target, file)).size, 0)
    rows.push({ name, packed: statSync(tarball).size, unpacked, count: files.length })

    // Contents.
    for (const required of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
      if (!files.includes(required)) problem(name, `${required} is not in the tarball`)
    }
    for (const file of files) {
      if (file.startsWith('src/') || file.endsWith('.map') || /\.test(-d)?\.[cm]?[jt]s$/.test(file)) {
        problem(name, `${file} should not be in the tarball`)
      }
    }
    // The README is the package's page on the registry: a relative link there leads nowhere.
    if (files.includes('README.md')) {
      const readme = readFileSync(join(target, 'README.md'), 'utf8')
      for (const [, link] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!/^(https:\/\/|#)/.test(link)) problem(name, `README.md links to ${link} (use an absolute https URL)`)
      }
    }
    if (files.includes('LICENSE') && readFileSync(join(target, 'LICENSE'), 'utf8') !== license) {
      problem(name, 'LICENSE differs from the root LICENSE')
    }

    // Manifest, as published.
    const packed = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'))
    if (packed.license !== 'MIT') problem(name, 'license is not MIT')
    if (
      packed.repository?.url !== `git+${repositoryUrl}.git` ||
      packed.repository?.directory !== `packages/${folder}`
    ) {
      problem(name, `repository must be { url: git+${repositoryUrl}.git, directory: packages/${folder} }`)
    }
    if (packed.homepage !== `${repositoryUrl}/tree/main/packages/${folder}#readme`) problem(name, 'homepage')
    if (packed.bugs?.url !== `${repositoryUrl}/issues`) problem(name, 'bugs.url')
    if (packed.engines?.node !== rootManifest.engines.node) {
      problem(name, `engines.node is ${packed.engines?.node}, the root says ${rootManifest.engines.node}`)
    }
    if (packed.publishConfig?.access !== 'public' || packed.publishConfig?.provenance !== true) {
      problem(name, 'publishConfig must be { access: public, provenance: true }')
    }
    const ranges = Object.entries({ ...packed.dependencies, ...packed.peerDependencies })
    for (const [dependency, range] of ranges) {
      if (String(range).startsWith('workspace:')) problem(name, `${dependency} keeps its range ${range}`)
    }
    if (packed.exports?.['.']?.default !== './dist/index.js') {
      problem(name, 'exports["."] needs a "default" condition (require() on Node >= 20.19)')
    }

    // publint, on the tarball itself.
    const result = await publint({ pack: { tarball: readFileSync(tarball).buffer }, strict: true, level: 'suggestion' })
    for (const message of result.messages) problem(name, `publint ${message.type}: ${formatMessage(message, packed)}`)

    // Third-party dependencies come from this workspace's install (no network).
    for (const [dependency] of Object.entries(packed.dependencies ?? {})) {
      if (dependency.startsWith('@socketlite/') || linked.has(dependency)) continue
      const location = realpathSync(join(dir, 'node_modules', dependency))
      mkdirSync(dirname(join(consumer, 'node_modules', dependency)), { recursive: true })
      symlinkSync(location, join(consumer, 'node_modules', dependency), 'dir')
      linked.add(dependency)
    }
  }

  // The consumers: every package loads, and the README's server answers over loopback.
  const names = rows.map((row) => row.name)
  const body = (load) => `
const net = ${load('node:net')}
const names = ${JSON.stringify(names)}
async function main () {
  for (const name of names) {
    const module = ${load('name', true)}
    if (Object.keys(module).length === 0) throw new Error(name + ' exports nothing')
  }
  const { AppServer, CommandLineReceiveFilterFactory, silentLogFactory } = ${load('@socketlite/app-server')}
  const server = new AppServer({
    config: { ip: '127.0.0.1', port: 0 },
    receiveFilterFactory: new CommandLineReceiveFilterFactory(),
    logFactory: silentLogFactory,
  })
  server.on('newRequestReceived', async (session, request) => {
    if (request.key === 'ECHO') await session.send(request.body + '\\r\\n')
  })
  const { createServerMetrics } = ${load('@socketlite/metrics')}
  const metrics = createServerMetrics(server)
  const [{ port }] = await server.start()
  const timer = setTimeout(() => { console.error('no reply within 5 s'); process.exit(1) }, 5000)
  const reply = await new Promise((resolve, reject) => {
    const client = net.connect({ host: '127.0.0.1', port }, () => client.write('ECHO hello\\r\\n'))
    let text = ''
    client.on('data', (chunk) => { text += chunk; if (text.endsWith('\\r\\n')) { client.destroy(); resolve(text) } })
    client.on('error', reject)
  })
  clearTimeout(timer)
  const exposition = await metrics.registry.metrics()
  metrics.close()
  await server.stop()
  if (reply !== 'hello\\r\\n') throw new Error('unexpected reply ' + JSON.stringify(reply))
  if (!exposition.includes('\\nsocketlite_requests_total 1\\n')) throw new Error('metrics: ' + exposition)
  console.log('ok: ' + names.length + ' packages loaded, the README server answered, its metrics counted the request')
}
main().catch((error) => { console.error(error); process.exit(1) })
`
  writeFileSync(
    join(consumer, 'consumer.cjs'),
    body((id, dynamic) => (dynamic ? `require(${id})` : `require(${JSON.stringify(id)})`)),
  )
  writeFileSync(
    join(consumer, 'consumer.mjs'),
    body((id, dynamic) => (dynamic ? `await import(${id})` : `await import(${JSON.stringify(id)})`)),
  )
  writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true }\n')
  for (const [kind, file] of [
    ['CommonJS require()', 'consumer.cjs'],
    ['ES module import', 'consumer.mjs'],
  ]) {
    try {
      const output = execFileSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8', stdio: 'pipe' })
      console.log(`${kind}: ${output.trim()}`)
    } catch (error) {
      problem(kind, `${error.stderr || error.message}`.trim())
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

const width = Math.max(...rows.map((row) => row.name.length))
for (const row of rows) {
  console.log(
    `${row.name.padEnd(width)}  ${kib(row.packed).padStart(10)} packed  ${kib(row.unpacked).padStart(10)} unpacked  ${String(row.count).padStart(3)} files`,
  )
}
const total = rows.reduce((sum, row) => ({ packed: sum.packed + row.packed, unpacked: sum.unpacked + row.unpacked }), {
  packed: 0,
  unpacked: 0,
})
console.log(
  `${'total'.padEnd(width)}  ${kib(total.packed).padStart(10)} packed  ${kib(total.unpacked).padStart(10)} unpacked`,
)
for (const text of problems) console.error(`problem: ${text}`)
console.log(problems.length === 0 ? `${rows.length} packages checked, no problem` : `${problems.length} problem(s)`)
process.exit(problems.length === 0 ? 0 : 1)
