// The server of the soak (soak/soak.mjs), in its own process: ONE AppServer with a plain and a TLS listener on
// 127.0.0.1, and, beside it, a UDP AppServer (a server is either stream or datagram). Both run the built package.
//   node soak-server.mjs CERT_FILE KEY_FILE CONFIG_JSON
// CONFIG_JSON is merged over the hardened config below (both servers; `listeners`/`mode` are set here).
// It sends { tcpPort, tlsPort, udpPort, pid }, then answers IPC messages from soak.mjs:
//   { cmd: 'stats' } → { tcp, udp (getStats() of each), sessions, bySource, memory, logLines }
//     (bySource: sessions open now by the first three bytes of their remote address, e.g. '127.0.3': the soak's
//     attacks each come from a 127.0.K.x range of their own), closedBySource (sessions closed so far, by source and
//     close reason name)
//   { cmd: 'stop', timeout } → { tcp, udp: ms each stop() took, or null when it had not resolved within `timeout` }
//   { cmd: 'exit' } → exits
//
// Requests (command lines, `KEY BODY\r\n`):
//   ECHO body   → body                                      (the well-behaved client)
//   SLOW body   → body, 20 ms later (an async handler)      (half-closed clients)
//   STALL ...   → a handler that never settles               (stalled handlers)
//   BIG n       → n bytes of 'x' and CRLF (n ≤ 65536)        (clients that never read)
//   other KEY   → KEY                                        (pipelining floods, garbage)
// UDP: ECHO → body; SLOWU → body, 100 ms later (so the peer's datagrams wait); other → KEY.
import { setTimeout as delay } from 'node:timers/promises'
import { AppServer, CloseReason, closeReasonName } from '../dist/index.js'

const [certFile, keyFile, overrides = '{}'] = process.argv.slice(2)

/**
 * The config of the soak: the "server exposed to the internet" of docs/hardening.md, with its deadlines short enough
 * to act within a run of a minute or two.
 */
const hardened = {
  name: 'soak',
  maxConnectionNumber: 10_000,
  maxConnectionsPerIp: 100,
  maxRequestLength: 65_536,
  handshakeTimeOut: 5_000,
  maxPendingHandshakes: 500,
  frameTimeOut: 10_000,
  sendStallTimeOut: 15_000,
  handlerTimeOut: 10_000,
  closeTimeOut: 3_000,
  idleSessionTimeOut: 60,
  clearIdleSessionInterval: 5,
  keepAliveTime: 60,
  logBasicSessionActivity: false,
  ...JSON.parse(overrides),
}

/** Log lines by level, written nowhere: how many lines a flood makes the server write is a measurement. */
const logLines = { debug: 0, info: 0, warn: 0, error: 0 }
/** The first few lines of each level, for the report. */
const logSamples = { warn: [], error: [] }
const countingLogger = {
  isLevelEnabled: (level) => level !== 'debug',
  debug: () => {},
  info: () => {
    logLines.info++
  },
  warn: (message) => {
    logLines.warn++
    if (logSamples.warn.length < 5 && !logSamples.warn.includes(message)) logSamples.warn.push(message)
  },
  error: (message) => {
    logLines.error++
    if (logSamples.error.length < 5 && !logSamples.error.includes(message)) logSamples.error.push(message)
  },
}
const logFactory = { getLogger: () => countingLogger }

const big = 'x'.repeat(65_536)

const tcp = new AppServer({
  config: {
    ...hardened,
    listeners: [
      { ip: '127.0.0.1', port: 0 },
      { ip: '127.0.0.1', port: 0, security: 'tls' },
    ],
    certificate: { certFile, keyFile },
  },
  logFactory,
})
tcp.on('newRequestReceived', (session, request) => {
  switch (request.key) {
    case 'ECHO':
      session.trySend(`${request.body}\r\n`)
      return
    case 'SLOW':
      return delay(20).then(() => session.send(`${request.body}\r\n`))
    case 'STALL':
      return new Promise(() => {})
    case 'BIG': {
      const size = Math.min(Number.parseInt(request.body, 10) || 0, big.length)
      session.trySend(`${big.slice(0, size)}\r\n`)
      return
    }
    default:
      session.trySend(`${request.key}\r\n`)
  }
})
tcp.on('error', () => {})

const { mode: _mode, ...udpConfig } = hardened
const udp = new AppServer({
  config: { ...udpConfig, name: 'soak-udp', mode: 'udp', ip: '127.0.0.1', port: 0 },
  logFactory,
})
udp.on('newRequestReceived', (session, request) => {
  if (request.key === 'ECHO') session.trySend(`${request.body}\r\n`)
  else if (request.key === 'SLOWU') return delay(100).then(() => session.trySend(`${request.body.slice(0, 64)}\r\n`))
  else session.trySend(`${request.key}\r\n`)
})
udp.on('error', () => {})

/** Sessions closed so far, by the first three bytes of their remote address and close reason name. */
const closedBySource = { tcp: {}, udp: {} }
const sourceOf = (session) => session.remoteEndPoint.address.split('.').slice(0, 3).join('.')
for (const [name, server] of [
  ['tcp', tcp],
  ['udp', udp],
]) {
  server.on('sessionClosed', (session, reason) => {
    const bySource = closedBySource[name]
    const reasons = bySource[sourceOf(session)] ?? {}
    bySource[sourceOf(session)] = reasons
    const reasonName = closeReasonName(reason)
    reasons[reasonName] = (reasons[reasonName] ?? 0) + 1
  })
}

const [plain, secure] = await tcp.start()
const [datagram] = await udp.start()

async function timedStop(server, timeout) {
  const started = performance.now()
  const stopped = await Promise.race([server.stop().then(() => true), delay(timeout).then(() => false)])
  return stopped ? Math.round(performance.now() - started) : null
}

process.on('message', async (message) => {
  if (message.cmd === 'exit') process.exit(0)
  if (message.cmd === 'stats') {
    const memory = process.memoryUsage()
    const bySource = { tcp: {}, udp: {} }
    for (const [name, server] of [
      ['tcp', tcp],
      ['udp', udp],
    ]) {
      for (const session of server.getAllSessions()) {
        const source = sourceOf(session)
        bySource[name][source] = (bySource[name][source] ?? 0) + 1
      }
    }
    process.send({
      bySource,
      closedBySource,
      tcp: tcp.getStats(),
      udp: udp.getStats(),
      sessions: { tcp: tcp.sessionCount, udp: udp.sessionCount },
      memory: { rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external },
      logLines,
      logSamples,
    })
  } else if (message.cmd === 'stop') {
    const [tcpMs, udpMs] = await Promise.all([timedStop(tcp, message.timeout), timedStop(udp, message.timeout)])
    process.send({ tcp: tcpMs, udp: udpMs, sessions: { tcp: tcp.sessionCount, udp: udp.sessionCount } })
  }
})

process.send({
  tcpPort: plain.port,
  tlsPort: secure.port,
  udpPort: datagram.port,
  pid: process.pid,
  config: tcp.config,
  timeOut: CloseReason.TimeOut,
})
