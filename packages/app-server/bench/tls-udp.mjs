// TLS and UDP echo benchmark of @socketlite/app-server against a bare node:tls line echo and a bare node:dgram echo
// (see README "Performance"). Each server runs in its own process; one load-generator process drives all of them,
// alternating, with the same load per transport:
//   TLS: BENCH_TLS_CONNECTIONS (default 100) connections, each with BENCH_WINDOW (32) pipelined 36-byte lines in flight;
//   UDP: BENCH_UDP_CLIENTS (default 50) client sockets, each with BENCH_UDP_WINDOW (8) one-line datagrams in flight.
// Every echo is verified. BENCH_SECONDS (default 6) is the measured time of the whole run, shared equally by the four
// servers and split over BENCH_ROUNDS (2) rounds that alternate their order. The default run takes about 12 s.
import { execFileSync, fork } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { makeSelfSignedCertificate } from '@socketlite/testing'

const seconds = Number(process.env.BENCH_SECONDS ?? 6)
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2))
const tlsConnections = Number(process.env.BENCH_TLS_CONNECTIONS ?? 100)
const window = Number(process.env.BENCH_WINDOW ?? 32)
const udpClients = Number(process.env.BENCH_UDP_CLIENTS ?? 50)
const udpWindow = Number(process.env.BENCH_UDP_WINDOW ?? 8)
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

function child(script, args = []) {
  const process = fork(here(script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
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

const certificate = await makeSelfSignedCertificate()
const load = child('tls-udp-load.mjs')
await load.next()

const transports = {
  tls: { kinds: ['tls-bare', 'tls-socketlite'], names: ['bare node:tls', '@socketlite/app-server'] },
  udp: { kinds: ['udp-bare', 'udp-socketlite'], names: ['bare node:dgram', '@socketlite/app-server'] },
}
const kinds = [...transports.tls.kinds, ...transports.udp.kinds]
const servers = {}
for (const kind of kinds) {
  servers[kind] = child('tls-udp-server.mjs', [kind, certificate.certFile, certificate.keyFile])
  servers[kind].port = (await servers[kind].next()).port
}

const secondsPerRun = seconds / kinds.length / rounds
const totals = Object.fromEntries(
  kinds.map((kind) => [kind, { messages: 0, seconds: 0, cpu: 0, maxRss: 0, lost: 0, loadCpu: 0 }]),
)
let problems = 0
for (let round = 0; round < rounds; round++) {
  for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
    const server = servers[kind]
    const common = { port: server.port, seconds: secondsPerRun, warmup: 0.3 }
    const result = kind.startsWith('tls')
      ? await load.ask({ cmd: 'tls', ...common, ca: certificate.cert, connections: tlsConnections, window })
      : await load.ask({ cmd: 'udp', ...common, clients: udpClients, window: udpWindow })
    const mark = await server.ask({ cmd: 'mark' })
    const total = totals[kind]
    total.messages += result.messages
    total.seconds += result.seconds
    total.cpu += mark.cpu
    total.lost += result.lost
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
const cpuPercent = (kind) => ((100 * totals[kind].cpu) / 1e6 / (totals[kind].seconds + 0.3 * rounds)).toFixed(0)
for (const [transport, { kinds: pair, names }] of Object.entries(transports)) {
  const load =
    transport === 'tls'
      ? `tls echo: ${tlsConnections} connections × ${window} lines of 36 B in flight`
      : `udp echo: ${udpClients} clients × ${udpWindow} datagrams of one 36 B line in flight`
  console.log(`${load}, ${(seconds / kinds.length).toFixed(1)} s per server in ${rounds} rounds`)
  pair.forEach((kind, index) => {
    const lost = transport === 'udp' ? `  lost ${totals[kind].lost}` : ''
    console.log(
      `  ${names[index].padEnd(24)} ${Math.round(rate(kind)).toLocaleString('en-US').padStart(11)} msgs/s` +
        `  server CPU ${cpuPercent(kind).padStart(3)} %  max RSS ${mib(totals[kind].maxRss)}${lost}` +
        `  (load generator CPU ${((100 * totals[kind].loadCpu) / 1e6 / totals[kind].seconds).toFixed(0)} %)`,
    )
  })
  console.log(`  ratio socketlite / bare: ${(rate(pair[1]) / rate(pair[0])).toFixed(3)}`)
}
console.log(`  echoes verified: ${problems === 0 ? 'all byte-identical' : `${problems} problems`}`)

await Promise.all([load.stop(), ...kinds.map((kind) => servers[kind].stop())])
await certificate.cleanup()
process.exitCode = problems === 0 ? 0 : 1
