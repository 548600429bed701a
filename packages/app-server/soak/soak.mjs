// Soak test of @socketlite/app-server against hostile and slow peers (issue 11): `pnpm soak` in this package.
// Not part of `pnpm test`: it runs for a minute or more and measures, it does not assert.
//
// ONE AppServer (a plain and a TLS listener, plus a UDP AppServer beside it) runs in a child process
// (soak-server.mjs) with the hardened config of docs/hardening.md. A second process (soak-attacks.mjs) runs every
// attack of the issue at once, from the source addresses 127.0.0.10 and up (so per-IP limits see many clients):
// partial frames dripped a byte per write, clients that never read, a slow drip, handlers that never settle,
// half-closed clients, a pipelining flood, an RST storm, garbage, silent connections to the TLS listener and a UDP
// flood from many source ports. A third (soak-client.mjs) is a well-behaved client from 127.0.0.1 (a TCP echo at a
// fixed rate, a TLS connection a second, a UDP echo twice a second), measured alone first, then under attack.
// At the end the attackers stop; after a settling time it counts the sessions and descriptors left in the server
// process, then times `stop()`. It prints the peak RSS of the server process, the good client's latency and errors,
// the servers' getStats() highlights, what is left, and the targets met or missed.
//
// Options (flag, or SOAK_<NAME> in the environment, e.g. SOAK_DURATION=30):
//   --duration 75          seconds of attack
//   --quiet 5              seconds of the good client alone, before the attack
//   --settle 8             seconds between the end of the attack and counting what is left
//   --drip 100             connections dripping a frame of --drip-frame bytes (59392) one byte per write
//   --never-read 100       connections that ask for 16 KiB replies and never read
//   --slow-drip 200        connections sending one byte every --slow-drip-interval ms (3000)
//   --stall 100            connections whose request handler never settles
//   --half-close 20        clients (in a loop) that send a request and end their side at once
//   --flood 20             connections pipelining 3-byte requests as fast as the server reads
//   --reset-rate 100       connections a second that connect, send and reset
//   --garbage 10           clients (in a loop) sending random bytes
//   --silent-tls 300       connections to the TLS listener that never send a byte
//   --udp-peers 200        UDP source ports sending --udp-rate datagrams a second each (10), and
//   --udp-heavy-peers 10   sending --udp-heavy-rate 60 KB datagrams a second each (20) to a slow handler
//   --good-rate 100        requests a second of the well-behaved client
//   --ramp 15              at most this many seconds for the connection-holding attacks to become sessions before
//                          the flood starts (it starts at once when run alone)
//   --addresses 20         source addresses per attack (attack K comes from 127.0.K.10 and up)
//   --server-config '{}'   JSON merged over the server's config (e.g. '{"maxConnectionsPerIp":0}')
//   --max-old-space 0      the server's --max-old-space-size in MiB (0 = Node's default)
//   --rss-limit 3072       stop the attack early once the server's RSS passes this (MiB), to spare the machine
//   --attacks all          the attacks to run, comma-separated: drip, neverRead, slowDrip, stall, halfClose, flood,
//                          reset, garbage, silentTls, udp (e.g. --attacks drip to measure one alone)
//   --json                 print one JSON report instead of the tables
//   --help                 print this
import { execFileSync, fork } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { makeSelfSignedCertificate } from '@socketlite/testing'

const here = (name) => fileURLToPath(new URL(name, import.meta.url))

const defaults = {
  duration: 75,
  quiet: 5,
  settle: 8,
  drip: 100,
  dripFrame: 58 * 1_024,
  neverRead: 100,
  slowDrip: 200,
  slowDripInterval: 3_000,
  stall: 100,
  halfClose: 20,
  flood: 20,
  resetRate: 100,
  garbage: 10,
  silentTls: 300,
  udpPeers: 200,
  udpRate: 10,
  udpHeavyPeers: 10,
  udpHeavyRate: 20,
  goodRate: 100,
  ramp: 15,
  addresses: 20,
  maxOldSpace: 0,
  rssLimit: 3_072,
}

const kebab = (name) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
const { values } = parseArgs({
  options: {
    ...Object.fromEntries(Object.keys(defaults).map((name) => [kebab(name), { type: 'string' }])),
    'server-config': { type: 'string' },
    attacks: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  },
})
if (values.help) {
  // The comment at the top of this file is the help.
  const header = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n')
  console.log(
    header
      .slice(
        0,
        header.findIndex((line) => !line.startsWith('//')),
      )
      .map((line) => line.slice(3))
      .join('\n'),
  )
  process.exit(0)
}
const settings = {}
for (const [name, fallback] of Object.entries(defaults)) {
  const text = values[kebab(name)] ?? process.env[`SOAK_${kebab(name).replaceAll('-', '_').toUpperCase()}`]
  const value = text === undefined ? fallback : Number(text)
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${kebab(name)} must be a number >= 0, got ${text}`)
  settings[name] = value
}
const serverConfig = values['server-config'] ?? process.env.SOAK_SERVER_CONFIG ?? '{}'
const json = values.json === true || process.env.SOAK_JSON === '1'
const attackNames = [
  'drip',
  'neverRead',
  'slowDrip',
  'stall',
  'halfClose',
  'flood',
  'reset',
  'garbage',
  'silentTls',
  'udp',
]
const attacksText = values.attacks ?? process.env.SOAK_ATTACKS ?? 'all'
const selected = attacksText === 'all' ? attackNames : attacksText.split(',').map((name) => name.trim())
for (const name of selected) {
  if (!attackNames.includes(name))
    throw new Error(`--attacks: unknown attack ${name} (known: ${attackNames.join(', ')})`)
}
// The flood runs in a process of its own: its CPU must not starve the other attacks.
const attackGroups = [selected.filter((name) => name !== 'flood'), selected.filter((name) => name === 'flood')].filter(
  (group) => group.length > 0,
)
const log = json ? () => {} : (line) => console.log(line)

// ---- processes ---------------------------------------------------------------------------------------------------

/** The soak runs the built package: build it first when dist/ is missing or older than src/. */
function buildIfStale() {
  let built = 0
  try {
    built = statSync(here('../dist/index.js')).mtimeMs
  } catch {}
  const sources = readdirSync(here('../src')).map((name) => statSync(here(`../src/${name}`)).mtimeMs)
  if (sources.some((modified) => modified > built)) {
    log('building @socketlite/app-server (dist/ is older than src/) ...')
    execFileSync('pnpm', ['exec', 'tsup'], { cwd: here('..'), stdio: 'ignore' })
  }
}

/** A soak process; `next()` is its next message, `ask(message)` the answer to `message`. */
function child(script, args = [], execArgv = []) {
  const process_ = fork(here(script), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const replies = []
  const waiters = []
  let exit
  process_.on('message', (message) => {
    const waiter = waiters.shift()
    if (waiter) waiter.resolve(message)
    else replies.push(message)
  })
  process_.on('exit', (code, signal) => {
    exit = { code, signal }
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`${script} exited (${signal ?? code})`))
  })
  const next = () =>
    replies.length > 0
      ? Promise.resolve(replies.shift())
      : exit !== undefined
        ? Promise.reject(new Error(`${script} exited (${exit.signal ?? exit.code})`))
        : new Promise((resolve, reject) => waiters.push({ resolve, reject }))
  return {
    pid: process_.pid,
    get exit() {
      return exit
    },
    next,
    ask(message) {
      if (exit !== undefined) return Promise.reject(new Error(`${script} exited (${exit.signal ?? exit.code})`))
      process_.send(message)
      return next()
    },
    send(message) {
      if (exit === undefined) process_.send(message)
    },
    kill() {
      if (exit === undefined) process_.kill('SIGKILL')
    },
  }
}

/** `VmRSS` and `VmHWM` (peak RSS) of a process, in bytes, from /proc. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1_024
    return { rss: field('VmRSS'), peak: field('VmHWM') }
  } catch {
    return { rss: 0, peak: 0 }
  }
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd): in all, and the sockets among them. */
function descriptorsOf(pid) {
  try {
    const entries = readdirSync(`/proc/${pid}/fd`)
    let sockets = 0
    for (const entry of entries) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${entry}`).startsWith('socket:')) sockets++
      } catch {}
    }
    return { all: entries.length, sockets }
  } catch {
    return { all: Number.NaN, sockets: Number.NaN }
  }
}

const mib = (bytes) => `${(bytes / 1_048_576).toFixed(0)} MiB`
const ms = (value) => (value === null || value === undefined ? '—' : `${value.toFixed(1)} ms`)

// ---- run ---------------------------------------------------------------------------------------------------------

buildIfStale()
const certificate = await makeSelfSignedCertificate()
const server = child(
  'soak-server.mjs',
  [certificate.certFile, certificate.keyFile, serverConfig],
  settings.maxOldSpace > 0 ? [`--max-old-space-size=${settings.maxOldSpace}`] : [],
)
const ports = await server.next()
const config = ports.config
settings.addresses = Math.max(1, settings.addresses)
/** Each attack from its own addresses (127.0.K.10 and up), so the server's sessions can be told apart by attack. */
const sources = Object.fromEntries(attackNames.map((name, index) => [name, `127.0.${index + 1}`]))
const attackOfSource = Object.fromEntries(Object.entries(sources).map(([name, source]) => [source, name]))
attackOfSource['127.0.0'] = 'good client'
const byAttack = (bySource) =>
  Object.fromEntries(Object.entries(bySource ?? {}).map(([source, count]) => [attackOfSource[source] ?? source, count]))
const closedByAttack = byAttack
log(
  `soak: ${settings.duration} s of attack on one AppServer (pid ${server.pid}): tcp :${ports.tcpPort}, ` +
    `tls :${ports.tlsPort}, udp :${ports.udpPort}; attack K from 127.0.K.10–127.0.K.${9 + settings.addresses}`,
)
log(
  `  config: frameTimeOut ${config.frameTimeOut}, sendStallTimeOut ${config.sendStallTimeOut}, handlerTimeOut ` +
    `${config.handlerTimeOut}, maxPendingHandshakes ${config.maxPendingHandshakes}, maxConnectionsPerIp ` +
    `${config.maxConnectionsPerIp}, idleSessionTimeOut ${config.idleSessionTimeOut} s, closeTimeOut ${config.closeTimeOut}`,
)
await delay(200)
const baseline = { descriptors: descriptorsOf(server.pid), ...memoryOf(server.pid) }

const client = child('soak-client.mjs')
client.send({
  tcpPort: ports.tcpPort,
  tlsPort: ports.tlsPort,
  udpPort: ports.udpPort,
  rate: settings.goodRate,
  ca: certificate.cert,
})
await client.next()
await delay(settings.quiet * 1_000)
const quiet = await client.ask({ cmd: 'report' })
log(`  the good client alone: p50 ${ms(quiet.tcp.p50)}, p99 ${ms(quiet.tcp.p99)} (${quiet.tcp.count} echoes)`)

/** The attacker processes, asked together: their reports are merged into one. */
const attackerProcesses = attackGroups.map((only) => {
  const attacker = child('soak-attacks.mjs')
  attacker.send({
    ...settings,
    only,
    tcpPort: ports.tcpPort,
    tlsPort: ports.tlsPort,
    udpPort: ports.udpPort,
    sources,
  })
  return attacker
})
const attackers = {
  async ask(message) {
    const reports = await Promise.all(attackerProcesses.map((attacker) => attacker.ask(message)))
    return {
      attacks: Object.assign({}, ...reports.map((report) => report.attacks)),
      openNow: reports.reduce((sum, report) => sum + report.openNow, 0),
      peakOpen: reports.reduce((sum, report) => sum + report.peakOpen, 0),
    }
  },
  send(message) {
    for (const attacker of attackerProcesses) attacker.send(message)
  },
}
await Promise.all(attackerProcesses.map((attacker) => attacker.next()))
await client.ask({ cmd: 'reset' })
const started = performance.now()
// The attacks that hold connections start first; the flood (which can starve the accept loop) starts once the server
// has made them sessions, or after --ramp seconds: so that the run has its hostile sessions, not a full backlog.
const holding = ['drip', 'neverRead', 'slowDrip', 'stall']
  .filter((name) => selected.includes(name))
  .reduce((sum, name) => sum + settings[name], 0)
const floodProcess = attackGroups.findIndex((group) => group.includes('flood'))
await Promise.all(
  attackerProcesses.map((attacker, index) => (index === floodProcess ? undefined : attacker.ask({ cmd: 'start' }))),
)
if (floodProcess >= 0) {
  let sessions = 0
  while (holding > 0 && sessions < 0.95 * holding && performance.now() - started < settings.ramp * 1_000) {
    await delay(250)
    sessions = (await server.ask({ cmd: 'stats' }).catch(() => undefined))?.sessions.tcp ?? sessions
  }
  if (holding > 0) {
    log(`  ${sessions} sessions after ${((performance.now() - started) / 1_000).toFixed(1)} s; the flood starts now`)
  }
  await attackerProcesses[floodProcess].ask({ cmd: 'start' })
}

let peakStats
let peakRss = 0
let stoppedEarly
let crashed
let nextLine = 10
while (performance.now() - started < settings.duration * 1_000) {
  await delay(1_000)
  if (server.exit !== undefined) {
    crashed = server.exit
    break
  }
  const { rss } = memoryOf(server.pid)
  if (rss >= peakRss) {
    peakRss = rss
    peakStats = await server.ask({ cmd: 'stats' }).catch(() => peakStats)
  }
  const elapsed = (performance.now() - started) / 1_000
  if (elapsed >= nextLine) {
    nextLine += 10
    const [stats, attack, good] = await Promise.all([
      server.ask({ cmd: 'stats' }).catch(() => undefined),
      attackers.ask({ cmd: 'report' }),
      client.ask({ cmd: 'report' }),
    ])
    log(
      `  t=${elapsed.toFixed(0).padStart(3)} s  server RSS ${mib(rss).padStart(8)}  sessions ` +
        `${stats?.sessions.tcp ?? '?'} tcp + ${stats?.sessions.udp ?? '?'} udp  hostile connections open ` +
        `${attack.openNow}  good p99 so far ${ms(good.tcp.p99)}`,
    )
  }
  if (rss > settings.rssLimit * 1_048_576) {
    stoppedEarly = `the server's RSS passed --rss-limit ${settings.rssLimit} MiB`
    break
  }
}
const attackSeconds = (performance.now() - started) / 1_000

const underAttack = await client.ask({ cmd: 'report' })
const finalStats = crashed === undefined ? await server.ask({ cmd: 'stats' }).catch(() => undefined) : undefined
const memory = memoryOf(server.pid)
const attack = await attackers.ask({ cmd: 'stop' })
attackers.send({ cmd: 'exit' })
client.send({ cmd: 'stop' })

// What is left once every client is gone: sessions still registered, descriptors still open.
await delay(settings.settle * 1_000)
const left = {
  descriptors: crashed === undefined ? descriptorsOf(server.pid) : { all: Number.NaN, sockets: Number.NaN },
  stats: crashed === undefined ? await server.ask({ cmd: 'stats' }).catch(() => undefined) : undefined,
}
const stopTimeout = (config.closeTimeOut ?? 5_000) + 5_000
const stop =
  crashed === undefined ? await server.ask({ cmd: 'stop', timeout: stopTimeout }).catch(() => undefined) : undefined
server.send({ cmd: 'exit' })
await delay(200)
server.kill()
await certificate.cleanup()

// ---- report ------------------------------------------------------------------------------------------------------

const peakHostile = attack.peakOpen + (selected.includes('udp') ? settings.udpPeers + settings.udpHeavyPeers : 0)
const peak = Math.max(memory.peak, peakRss)
const targets = [
  {
    target: `peak RSS of the server process < 300 MiB (${peakHostile} hostile connections and UDP peers at most)`,
    measured: `${mib(peak)} (at start ${mib(baseline.rss)})`,
    met: peak < 300 * 1_048_576,
  },
  {
    target: 'the good client: p99 < 50 ms under attack',
    measured: `p50 ${ms(underAttack.tcp.p50)}, p99 ${ms(underAttack.tcp.p99)}, max ${ms(underAttack.tcp.max)} (alone: p99 ${ms(quiet.tcp.p99)})`,
    met: underAttack.tcp.p99 !== null && underAttack.tcp.p99 < 50,
  },
  {
    target: 'the good client: no errors',
    measured: Object.keys(underAttack.tcp.errors).length === 0 ? 'none' : JSON.stringify(underAttack.tcp.errors),
    met: Object.keys(underAttack.tcp.errors).length === 0 && underAttack.tcp.count > 0,
  },
  {
    target: 'a real TLS client gets in every second',
    measured: `${underAttack.tls.ok} ok, p99 ${ms(underAttack.tls.p99)}${Object.keys(underAttack.tls.errors).length === 0 ? '' : `, failed: ${JSON.stringify(underAttack.tls.errors)}`}`,
    met: Object.keys(underAttack.tls.errors).length === 0 && underAttack.tls.ok > 0,
  },
  {
    target: 'UDP echoes of the good client answered',
    measured: `${underAttack.udp.ok} ok, ${underAttack.udp.lost} lost, p99 ${ms(underAttack.udp.p99)}`,
    met: underAttack.udp.lost === 0 && underAttack.udp.ok > 0,
  },
  ...(attack.attacks.halfClose === undefined
    ? []
    : [
        {
          target: 'half-closed clients get their replies',
          measured: `${attack.attacks.halfClose.replies} replies, ${attack.attacks.halfClose.missing} missing`,
          met: attack.attacks.halfClose.missing === 0 && attack.attacks.halfClose.replies > 0,
        },
      ]),
  // The sessions an attack holds are closed by their deadline (each at least once on average over the run), as the
  // server's sessionClosed events tell, by source and reason.
  ...[
    ['drip', 'frameTimeOut', 'TimeOut'],
    ['slowDrip', 'frameTimeOut', 'TimeOut'],
    ['neverRead', 'sendStallTimeOut', 'TimeOut'],
    ['stall', 'handlerTimeOut', 'ApplicationError'],
  ]
    .filter(([name]) => attack.attacks[name] !== undefined)
    .map(([name, deadline, reason]) => {
      const closed = closedByAttack(finalStats?.closedBySource?.tcp)[name] ?? {}
      return {
        target: `${attack.attacks[name].name}: closed by ${deadline} (${config[deadline]} ms) with ${reason}`,
        measured: `${closed[reason] ?? 0} (sessions closed, by reason: ${JSON.stringify(closed)}; ${settings[name]} held at once)`,
        met: (closed[reason] ?? 0) >= settings[name],
      }
    }),
  ...(attack.attacks.silentTls === undefined
    ? []
    : [
        {
          target: `${attack.attacks.silentTls.name}: dropped (handshakeTimeOut ${config.handshakeTimeOut} ms, maxPendingHandshakes ${config.maxPendingHandshakes})`,
          measured: `${attack.attacks.silentTls.closedByServer} dropped, ${attack.attacks.silentTls.opened} opened (${settings.silentTls} held at once); rejected: ${JSON.stringify(finalStats?.tcp.rejected ?? {})}`,
          met: attack.attacks.silentTls.closedByServer >= settings.silentTls,
        },
      ]),
  {
    target: `nothing left ${settings.settle} s after the clients are gone: TCP/TLS sessions`,
    measured:
      left.stats === undefined
        ? 'unknown'
        : `${left.stats.sessions.tcp}${left.stats.sessions.tcp > 0 ? ` ${JSON.stringify(byAttack(left.stats.bySource.tcp))}` : ''}`,
    met: left.stats?.sessions.tcp === 0,
  },
  {
    target: '... and sockets of the server process (beyond those at start)',
    measured:
      `${left.descriptors.sockets - baseline.descriptors.sockets} (descriptors of any kind: ` +
      `${left.descriptors.all - baseline.descriptors.all})`,
    met: left.descriptors.sockets === baseline.descriptors.sockets,
  },
  {
    target: `stop() resolves within closeTimeOut + 1 s (${(config.closeTimeOut ?? 0) + 1_000} ms)`,
    measured:
      stop === undefined
        ? 'not asked (server gone)'
        : stop.tcp === null
          ? `not resolved after ${stopTimeout} ms (${stop.sessions.tcp} sessions still registered)`
          : `${stop.tcp} ms`,
    met: stop?.tcp !== null && stop?.tcp !== undefined && stop.tcp <= (config.closeTimeOut ?? 0) + 1_000,
  },
]

const highlights = (stats) =>
  stats === undefined
    ? undefined
    : {
        sessions: stats.sessions,
        accepted: stats.accepted,
        rejected: Object.fromEntries(Object.entries(stats.rejected).filter(([, count]) => count > 0)),
        closed: Object.fromEntries(Object.entries(stats.closed).filter(([, count]) => count > 0)),
        requests: stats.requests,
        bytesIn: stats.bytesIn,
        bytesOut: stats.bytesOut,
        trySendRefused: stats.trySendRefused,
        sendTimeouts: stats.sendTimeouts,
        datagramsDropped: stats.datagramsDropped,
        datagramErrors: stats.datagramErrors,
        sendPool: stats.sendPool,
      }

const report = {
  settings: { ...settings, attacks: selected, serverConfig: JSON.parse(serverConfig) },
  attackSeconds,
  stoppedEarly,
  crashed,
  targets,
  server: {
    peakRss: peak,
    rssAtEnd: memory.rss,
    heapUsedAtEnd: finalStats?.memory.heapUsed,
    logLines: finalStats?.logLines,
    logSamples: finalStats?.logSamples,
    tcp: highlights(finalStats?.tcp),
    udp: highlights(finalStats?.udp),
    atPeakRss:
      peakStats === undefined
        ? undefined
        : { sessions: peakStats.sessions, byAttack: byAttack(peakStats.bySource.tcp), memory: peakStats.memory },
    closedByAttack:
      finalStats === undefined
        ? undefined
        : { tcp: closedByAttack(finalStats.closedBySource.tcp), udp: closedByAttack(finalStats.closedBySource.udp) },
    sessionsAtEnd:
      finalStats === undefined
        ? undefined
        : { tcp: byAttack(finalStats.bySource.tcp), udp: byAttack(finalStats.bySource.udp) },
  },
  goodClient: { alone: quiet, underAttack },
  attacks: attack.attacks,
  left: {
    descriptors: left.descriptors,
    descriptorsAtStart: baseline.descriptors,
    sessions: left.stats?.sessions,
    byAttack: left.stats === undefined ? undefined : byAttack(left.stats.bySource.tcp),
    stop,
  },
}

if (json) {
  console.log(JSON.stringify(report, null, 2))
} else {
  log('')
  if (crashed) log(`  THE SERVER PROCESS DIED during the attack (${crashed.signal ?? `exit code ${crashed.code}`})`)
  if (stoppedEarly) log(`  attack stopped early after ${attackSeconds.toFixed(0)} s: ${stoppedEarly}`)
  log(`attacks (${attackSeconds.toFixed(0)} s, at most ${attack.peakOpen} hostile TCP connections open at once):`)
  for (const entry of Object.values(attack.attacks)) {
    const { name, opened, open: _open, closedByServer, connectErrors, bytesSent, ...extra } = entry
    const more = Object.entries(extra)
      .map(([key, value]) => `${key} ${value.toLocaleString('en-US')}`)
      .join(', ')
    log(
      `  ${name.padEnd(46)} opened ${String(opened).padStart(6)}  closed by the server ${String(closedByServer).padStart(6)}` +
        `  connect errors ${String(connectErrors).padStart(5)}  sent ${mib(bytesSent).padStart(8)}${more ? `  ${more}` : ''}`,
    )
  }
  if (report.server.sessionsAtEnd) {
    log(`server sessions at the end of the attack, by attack: ${JSON.stringify(report.server.sessionsAtEnd.tcp)}`)
    log(`  udp: ${JSON.stringify(report.server.sessionsAtEnd.udp)}`)
    log(
      `server sessions closed during the attack, by attack and reason: ${JSON.stringify(report.server.closedByAttack.tcp)}`,
    )
  }
  log('server getStats() at the end of the attack:')
  for (const [name, stats] of [
    ['tcp+tls', report.server.tcp],
    ['udp', report.server.udp],
  ]) {
    if (stats === undefined) continue
    log(
      `  ${name.padEnd(8)} sessions ${stats.sessions}, accepted ${stats.accepted}, rejected ${JSON.stringify(stats.rejected)}, ` +
        `closed ${JSON.stringify(stats.closed)}, requests ${stats.requests}, trySendRefused ${stats.trySendRefused}, ` +
        `datagramsDropped ${stats.datagramsDropped}, datagramErrors ${stats.datagramErrors}, sendPool overflows ` +
        `${stats.sendPool.overflows}`,
    )
  }
  if (report.server.logLines) {
    log(
      `  log lines written: ${report.server.logLines.warn} warn, ${report.server.logLines.error} error, ` +
        `${report.server.logLines.info} info` +
        (report.server.logSamples.warn.length > 0 ? ` (warn: ${report.server.logSamples.warn.join(' | ')})` : ''),
    )
  }
  log('targets:')
  for (const { target, measured, met } of targets) log(`  ${met ? 'met   ' : 'MISSED'}  ${target}: ${measured}`)
}
process.exitCode = 0
