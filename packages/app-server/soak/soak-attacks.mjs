// The attackers of the soak (soak/soak.mjs), in their own process. Each attack is one of issue 11's, aimed at the
// soak server (soak-server.mjs) over loopback, each from source addresses of its own (`settings.sources[name]`:
// 127.0.K.10 and up, K one per attack), so that per-IP limits see many "clients" and the server's sessions can be
// told apart by attack. Attacks that hold connections refill them: a connection the server closes is opened again.
// It runs the attacks named in `settings.only` (the driver runs the pipelining flood in a process of its own, so that
// its CPU does not starve the other attacks).
// IPC: it gets the settings first and says { ready: true }; then
//   { cmd: 'start' } → starts every attack; { cmd: 'report' } → the counters now;
//   { cmd: 'stop' } → stops every attack, destroys every socket, answers with the counters; { cmd: 'exit' } → exits.
import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import net from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'

const settings = await new Promise((resolve) => process.once('message', resolve))

let running = false
const addressIndex = {}
/** The next source address of `attack`, round robin over its addresses. */
function nextAddress(attack) {
  const index = addressIndex[attack] ?? 0
  addressIndex[attack] = index + 1
  return `${settings.sources[attack]}.${10 + (index % settings.addresses)}`
}
/** Every socket of every attack, destroyed on stop. */
const sockets = new Set()
const timers = []
let openNow = 0
let peakOpen = 0

/** The counters of one attack. */
function counters(name, extra = {}) {
  return { name, opened: 0, open: 0, closedByServer: 0, connectErrors: 0, bytesSent: 0, ...extra }
}
const keyOf = new Map()

const attacks = {
  drip: counters('partial frames, one byte per write', { frames: 0 }),
  neverRead: counters('clients that never read'),
  slowDrip: counters(`slow drip (a byte every ${settings.slowDripInterval} ms)`),
  stall: counters('handlers that never settle'),
  halfClose: counters('half-closed clients expecting a reply', { replies: 0, missing: 0 }),
  flood: counters('pipelining flood of 3-byte requests', { requests: 0, bytesReceived: 0 }),
  reset: counters('RST storm (connect, send, reset)', { resets: 0 }),
  garbage: counters('garbage bytes'),
  silentTls: counters('silent TCP connections to the TLS listener'),
  udp: counters('UDP flood from many source ports', { datagrams: 0, heavy: 0, replies: 0 }),
}

function track(attack, socket) {
  attack.opened++
  attack.open++
  openNow++
  peakOpen = Math.max(peakOpen, openNow)
  sockets.add(socket)
  socket.on('error', () => {})
  socket.once('close', () => {
    attack.open--
    openNow--
    sockets.delete(socket)
    if (running && !socket.connectedOnce) attack.connectErrors++
  })
  socket.once('connect', () => {
    socket.connectedOnce = true
  })
}

/**
 * Keep one connection of `attack` open: `onConnect(socket)` runs once connected; when the server closes it (or it
 * cannot connect), another is opened after `retry` ms.
 */
function hold(attack, port, onConnect, retry = 200) {
  if (!running) return
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: nextAddress(keyOf.get(attack)), noDelay: true })
  track(attack, socket)
  socket.once('connect', () => onConnect(socket))
  socket.once('close', () => {
    if (!running) return
    if (socket.connectedOnce) attack.closedByServer++
    setTimeout(hold, retry, attack, port, onConnect, retry).unref()
  })
}

const write = (attack, socket, data, callback) => {
  attack.bytesSent += data.length
  return socket.write(data, callback)
}

// ---- 1. Partial frames dripped one byte per write -----------------------------------------------------------------
const dripFrame = Buffer.from(`ECHO ${'x'.repeat(settings.dripFrame - 5)}`, 'latin1') // never terminated
function drip(socket) {
  let offset = 0
  const pump = () => {
    if (!running || socket.destroyed) return
    if (offset >= dripFrame.length) {
      attacks.drip.frames++
      return // hold the whole frame but its terminator
    }
    write(attacks.drip, socket, dripFrame.subarray(offset, offset + 1), () => setImmediate(pump))
    offset++
  }
  pump()
}

// ---- 2. Clients that never read while the server sends ------------------------------------------------------------
const bigRequests = Buffer.from('BIG 16384\r\n'.repeat(64), 'latin1')
function neverRead(socket) {
  socket.pause()
  const push = () => {
    if (!running || socket.destroyed) return
    if (socket.writableLength === 0) write(attacks.neverRead, socket, bigRequests)
    setTimeout(push, 500).unref()
  }
  push()
}

// ---- 3. Slow drip: a byte every few seconds, the frame never ends -------------------------------------------------
const slowSockets = new Set()
function slowDrip(socket) {
  slowSockets.add(socket)
  socket.once('close', () => slowSockets.delete(socket))
  write(attacks.slowDrip, socket, Buffer.from('ECHO '))
}
const slowByte = Buffer.from('s')

// ---- 4. Handlers that never settle --------------------------------------------------------------------------------
function stall(socket) {
  write(attacks.stall, socket, Buffer.from('STALL forever\r\n'))
}

// ---- 5. Half-closed clients that expect their reply ---------------------------------------------------------------
let halfCloseSequence = 0
async function halfCloseWorker() {
  while (running) {
    await new Promise((resolve) => {
      const id = `h${halfCloseSequence++}`
      const socket = net.connect({ host: '127.0.0.1', port: settings.tcpPort, localAddress: nextAddress('halfClose') })
      track(attacks.halfClose, socket)
      let received = ''
      socket.setEncoding('latin1')
      socket.once('connect', () => {
        attacks.halfClose.bytesSent += id.length + 7
        socket.end(`SLOW ${id}\r\n`) // the request, then FIN: the reply must still come
      })
      socket.on('data', (text) => {
        received += text
      })
      const timer = setTimeout(() => socket.destroy(), 5_000)
      socket.once('close', () => {
        clearTimeout(timer)
        if (running && socket.connectedOnce) {
          if (received.includes(`${id}\r\n`)) attacks.halfClose.replies++
          else attacks.halfClose.missing++
        }
        resolve()
      })
    })
    await delay(20)
  }
}

// ---- 6. Pipelining flood of tiny requests -------------------------------------------------------------------------
const floodBatch = Buffer.from('A\r\n'.repeat(5_461), 'latin1')
function flood(socket) {
  socket.on('data', (data) => {
    attacks.flood.bytesReceived += data.length
  })
  const pump = () => {
    if (!running || socket.destroyed) return
    attacks.flood.requests += 5_461
    write(attacks.flood, socket, floodBatch, pump)
  }
  pump()
}

// ---- 7. RST storm -------------------------------------------------------------------------------------------------
let resetsInFlight = 0
function resetOne() {
  resetsInFlight++
  const socket = net.connect({ host: '127.0.0.1', port: settings.tcpPort, localAddress: nextAddress('reset') })
  track(attacks.reset, socket)
  socket.once('connect', () => {
    write(attacks.reset, socket, Buffer.from('ECHO reset\r\n'))
    socket.resetAndDestroy()
    attacks.reset.resets++
  })
  socket.once('close', () => {
    resetsInFlight--
  })
}

// ---- 8. Garbage ---------------------------------------------------------------------------------------------------
async function garbageWorker() {
  while (running) {
    await new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: settings.tcpPort, localAddress: nextAddress('garbage') })
      track(attacks.garbage, socket)
      let sent = 0
      let timer
      socket.on('data', () => {})
      socket.once('connect', () => {
        const pump = () => {
          if (!running || socket.destroyed) return
          if (sent >= 128 * 1_024) {
            socket.destroy()
            return
          }
          const chunk = randomBytes(4_096)
          sent += chunk.length
          write(attacks.garbage, socket, chunk)
          timer = setTimeout(pump, 10)
        }
        pump()
      })
      socket.once('close', () => {
        clearTimeout(timer)
        if (running && socket.connectedOnce && sent < 128 * 1_024) attacks.garbage.closedByServer++
        resolve()
      })
    })
  }
}

// ---- 9. Silent TCP connections to the TLS listener: hold (no ClientHello) -----------------------------------------
function silent() {}

// ---- 10. UDP flood from many source ports -------------------------------------------------------------------------
const udpSockets = []
const udpEcho = Buffer.from('ECHO flood\r\n')
const udpHeavy = Buffer.from(`SLOWU ${'y'.repeat(60_000)}\r\n`)
function startUdp() {
  const bind = (socket) =>
    new Promise((resolve) => {
      socket.on('error', () => {})
      socket.on('message', () => {
        attacks.udp.replies++
      })
      socket.bind({ address: nextAddress('udp'), port: 0 }, resolve)
    })
  const peers = []
  for (let index = 0; index < settings.udpPeers + settings.udpHeavyPeers; index++) {
    const socket = dgram.createSocket({ type: 'udp4', sendBufferSize: 1_048_576 })
    udpSockets.push(socket)
    peers.push(bind(socket).then(() => socket))
  }
  attacks.udp.opened = peers.length
  attacks.udp.open = peers.length
  Promise.all(peers).then((bound) => {
    const light = bound.slice(0, settings.udpPeers)
    const heavy = bound.slice(settings.udpPeers)
    const send = (socket, data) => {
      attacks.udp.datagrams++
      attacks.udp.bytesSent += data.length
      socket.send(data, settings.udpPort, '127.0.0.1')
    }
    // Every 100 ms: each light peer sends its share of `udpRate` per second (mostly echoes, some garbage); each
    // heavy peer sends 60 KB datagrams to a slow handler, so that they wait in its session.
    timers.push(
      setInterval(() => {
        if (!running) return
        for (const socket of light) {
          for (let index = 0; index < settings.udpRate / 10; index++) {
            send(socket, Math.random() < 0.8 ? udpEcho : randomBytes(200))
          }
        }
        for (const socket of heavy) {
          for (let index = 0; index < settings.udpHeavyRate / 10; index++) {
            attacks.udp.heavy++
            send(socket, udpHeavy)
          }
        }
      }, 100),
    )
  })
}

for (const [key, attack] of Object.entries(attacks)) keyOf.set(attack, key)

function start() {
  running = true
  const only = new Set(settings.only)
  const spread = (name, count, fn) => {
    if (!only.has(name)) return
    // Not all at once: a few per millisecond, below the listen backlog.
    for (let index = 0; index < count; index++) setTimeout(fn, Math.floor(index / 4)).unref()
  }
  spread('drip', settings.drip, () => hold(attacks.drip, settings.tcpPort, drip))
  spread('neverRead', settings.neverRead, () => hold(attacks.neverRead, settings.tcpPort, neverRead))
  spread('slowDrip', settings.slowDrip, () => hold(attacks.slowDrip, settings.tcpPort, slowDrip))
  spread('stall', settings.stall, () => hold(attacks.stall, settings.tcpPort, stall))
  spread('flood', settings.flood, () => hold(attacks.flood, settings.tcpPort, flood))
  spread('silentTls', settings.silentTls, () => hold(attacks.silentTls, settings.tlsPort, silent, 50))
  if (only.has('halfClose')) for (let index = 0; index < settings.halfClose; index++) void halfCloseWorker()
  if (only.has('garbage')) for (let index = 0; index < settings.garbage; index++) void garbageWorker()
  if (only.has('slowDrip')) {
    timers.push(
      setInterval(() => {
        for (const socket of slowSockets) {
          if (!socket.destroyed) write(attacks.slowDrip, socket, slowByte)
        }
      }, settings.slowDripInterval),
    )
  }
  if (only.has('reset')) {
    timers.push(
      setInterval(() => {
        for (let index = 0; index < settings.resetRate / 100 && resetsInFlight < 200; index++) resetOne()
      }, 10),
    )
  }
  if (only.has('udp')) startUdp()
}

function report() {
  const only = new Set(settings.only)
  return { attacks: Object.fromEntries(Object.entries(attacks).filter(([name]) => only.has(name))), openNow, peakOpen }
}

async function stop() {
  running = false
  for (const timer of timers) clearInterval(timer)
  for (const socket of sockets) socket.destroy()
  for (const socket of udpSockets) socket.close()
  attacks.udp.open = 0
  for (let attempt = 0; attempt < 100 && sockets.size > 0; attempt++) await delay(20)
  return report()
}

process.on('message', async (message) => {
  if (message.cmd === 'start') {
    start()
    process.send({ started: true })
  } else if (message.cmd === 'report') process.send(report())
  else if (message.cmd === 'stop') process.send(await stop())
  else if (message.cmd === 'exit') process.exit(0)
})
process.send({ ready: true })
