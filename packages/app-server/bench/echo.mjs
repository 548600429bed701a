// Echo benchmark of @socketlite/app-server against a bare node:net line echo (see README "Performance").
// Each server runs in its own process; one load-generator process drives both, alternating, with the same load:
// 100 connections, each keeping a bounded window of pipelined 36-byte lines in flight, every echo verified.
// Then both hold 10 000 idle connections (opened by the load generator) to measure memory per connection.
//
// Environment: BENCH_SECONDS (measured seconds of the echo comparison, default 10, shared equally by the servers
// and split over BENCH_ROUNDS rounds that alternate their order),
// BENCH_ROUNDS (default 2), BENCH_CONNECTIONS (100), BENCH_WINDOW (lines in flight per connection, 32),
// BENCH_IDLE_CONNECTIONS (10000; 0 skips the idle measurement), BENCH_BINARY=1 (also measure app-server with
// frames as bytes, BinaryTerminatorReceiveFilter: the server's own cost without text decoding and parsing).
import { execFileSync, fork } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2))
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100)
const window = Number(process.env.BENCH_WINDOW ?? 32)
const idleConnections = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 10_000)
const here = (name) => fileURLToPath(new URL(name, import.meta.url))

// The servers run the built package: build it first when dist/ is missing or older than src/.
const built = (() => {
  try {
    return statSync(here('../dist/index.js')).mtimeMs
  } catch {
    return 0
  }
})()
const sources = readdirSync(here('../src')).map((name) => statSync(here(`../src/${name}`)).mtimeMs)
if (sources.some((modified) => modified > built)) {
  console.log('building @socketlite/app-server (dist/ is older than src/) ...')
  execFileSync('pnpm', ['exec', 'tsup'], { cwd: here('..'), stdio: 'ignore' })
}

function child(script, args = [], execArgv = []) {
  const process = fork(here(script), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const replies = []
  const waiters = []
  process.on('message', (message) => {
    const waiter = waiters.shift()
    if (waiter) waiter(message)
    else replies.push(message)
  })
  const next = () =>
    replies.length > 0 ? Promise.resolve(replies.shift()) : new Promise((resolve) => waiters.push(resolve))
  return {
    process,
    next,
    ask: (message) => {
      process.send(message)
      return next()
    },
    stop: () => {
      process.send({ cmd: 'stop' })
      return new Promise((resolve) => process.once('exit', resolve))
    },
  }
}

const load = child('load-generator.mjs')
await load.next()

const kinds = ['bare', 'socketlite', ...(process.env.BENCH_BINARY === '1' ? ['socketlite-binary'] : [])]
const names = {
  bare: 'bare node:net',
  socketlite: '@socketlite/app-server',
  'socketlite-binary': 'app-server, byte frames',
}
const servers = {}
for (const kind of kinds) {
  servers[kind] = child('echo-server.mjs', [kind], ['--expose-gc'])
  servers[kind].port = (await servers[kind].next()).port
}

const secondsPerRun = seconds / kinds.length / rounds
const totals = Object.fromEntries(
  kinds.map((kind) => [kind, { messages: 0, seconds: 0, cpu: 0, maxRss: 0, loadCpu: 0 }]),
)
let problems = 0
for (let round = 0; round < rounds; round++) {
  for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
    const server = servers[kind]
    const result = await load.ask({
      cmd: 'echo',
      port: server.port,
      connections,
      window,
      seconds: secondsPerRun,
      warmup: 0.3,
    })
    const mark = await server.ask({ cmd: 'mark' })
    const total = totals[kind]
    total.messages += result.messages
    total.seconds += result.seconds
    total.cpu += mark.cpu
    total.loadCpu += result.cpu
    total.maxRss = Math.max(total.maxRss, mark.maxRss)
    problems += result.errors + result.mismatches
    if (result.errors + result.mismatches > 0) {
      console.error(`${kind}: ${result.errors} socket errors, ${result.mismatches} echo mismatches`)
    }
  }
}

const rate = (kind) => totals[kind].messages / totals[kind].seconds
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
// Server CPU includes the 0.3 s of warm-up per round.
const cpuPercent = (kind) => ((100 * totals[kind].cpu) / 1e6 / (totals[kind].seconds + 0.3 * rounds)).toFixed(0)
console.log(
  `echo: ${connections} connections × ${window} lines of 36 B in flight, ${(seconds / kinds.length).toFixed(1)} s` +
    ` per server in ${rounds} rounds`,
)
for (const kind of kinds) {
  const name = names[kind]
  console.log(
    `  ${name.padEnd(24)} ${Math.round(rate(kind)).toLocaleString('en-US').padStart(11)} msgs/s` +
      `  server CPU ${cpuPercent(kind).padStart(3)} %  max RSS ${mib(totals[kind].maxRss)}` +
      `  (load generator CPU ${((100 * totals[kind].loadCpu) / 1e6 / totals[kind].seconds).toFixed(0)} %)`,
  )
}
console.log(`  ratio socketlite / bare: ${(rate('socketlite') / rate('bare')).toFixed(3)} (target >= 0.9)`)
if (kinds.includes('socketlite-binary')) {
  console.log(`  ratio byte frames / bare: ${(rate('socketlite-binary') / rate('bare')).toFixed(3)}`)
}
console.log(`  echoes verified: ${problems === 0 ? 'all byte-identical' : `${problems} problems`}`)

if (idleConnections > 0) {
  console.log(`idle: ${idleConnections.toLocaleString('en-US')} connections held open`)
  const batch = 400 // below the listen backlog (511): no SYN is dropped and retried a second later
  for (const kind of kinds) {
    const server = servers[kind]
    const before = await server.ask({ cmd: 'mark', gc: true })
    let opened = 0
    while (opened < idleConnections) {
      opened += (await load.ask({ cmd: 'open', port: server.port, count: Math.min(batch, idleConnections - opened) }))
        .opened
      // Let the server accept them all before the next batch.
      for (let attempt = 0; attempt < 200; attempt++) {
        if ((await server.ask({ cmd: 'mark' })).sessions >= opened) break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
    }
    const mark = await server.ask({ cmd: 'mark', gc: true })
    console.log(
      `  ${names[kind].padEnd(24)} ${mark.sessions} sessions: RSS +${mib(mark.rss - before.rss)}` +
        ` = ${((mark.rss - before.rss) / opened / 1024).toFixed(2)} KiB per connection,` +
        ` heap ${((mark.heap - before.heap) / opened).toFixed(0)} B per connection`,
    )
    await load.ask({ cmd: 'close' })
  }
}

await Promise.all([load.stop(), ...kinds.map((kind) => servers[kind].stop())])
process.exitCode = problems === 0 ? 0 : 1
