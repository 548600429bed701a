#!/usr/bin/env node
// `pnpm demo`: start socketlite-echo on an ephemeral port, drive it with socketlite-load for ~10 s, print the
// report, stop the server with SIGTERM and check that it exits cleanly. Run `pnpm build` first.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const echoCli = join(root, 'apps/echo-server/dist/cli.js')
const loadCli = join(root, 'apps/load-tester/dist/cli.js')
const seconds = process.env.DEMO_SECONDS ?? '10'

for (const cli of [echoCli, loadCli]) {
  if (!existsSync(cli)) {
    console.error(`demo: ${cli} is missing. Run \`pnpm install && pnpm build\` first.`)
    process.exit(1)
  }
}

// --log-level warn: the server's per-connection info lines would bury the load tester's report.
const server = spawn(
  process.execPath,
  [echoCli, '--ip', '127.0.0.1', '--port', '0', '--protocol', 'line', '--log-level', 'warn'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
)
const serverExit = new Promise((resolveExit) => server.once('exit', (code, signal) => resolveExit({ code, signal })))
const lines = createInterface({ input: server.stdout })
const target = await new Promise((resolveTarget, reject) => {
  const timer = setTimeout(() => reject(new Error('the echo server did not print its address within 10 s')), 10_000)
  lines.on('line', (line) => {
    const match = /^listening (tcp:\/\/\S+)/.exec(line)
    if (match) {
      clearTimeout(timer)
      resolveTarget(match[1])
    }
  })
  server.once('exit', (code) => reject(new Error(`the echo server exited early with code ${code}`)))
}).catch((error) => {
  console.error(`demo: ${error.message}`)
  server.kill('SIGKILL')
  process.exit(1)
})
lines.on('line', (line) => console.log(`[echo] ${line}`))

console.log(`demo: echo server up at ${target}; running socketlite-load for ${seconds} s\n`)
const load = spawn(
  process.execPath,
  [loadCli, target, '--protocol', 'line', '-c', '50', '-p', '16', '-d', `${seconds}s`, '-s', '32'],
  { stdio: 'inherit' },
)
const loadCode = await new Promise((resolveLoad) => load.once('exit', (code) => resolveLoad(code ?? 1)))

server.kill('SIGTERM')
const { code, signal } = await serverExit
console.log(`\ndemo: echo server stopped (exit code ${code ?? signal})`)
process.exit(loadCode !== 0 ? loadCode : code === 0 ? 0 : 1)
