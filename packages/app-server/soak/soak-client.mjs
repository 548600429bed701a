// The well-behaved client of the soak (soak/soak.mjs), in its own process, from 127.0.0.1:
// - one TCP connection sending `ECHO g<n>` at a fixed rate (open loop: latency counts from the intended send time,
//   so a stalled server is not hidden), each reply checked;
// - a fresh TLS connection every second (handshake, one echo, close): can real TLS clients still get in?
// - a UDP echo every half second.
// IPC: it gets { tcpPort, tlsPort, udpPort, rate, ca } first and says { ready: true }; then
//   { cmd: 'reset' } → starts a new measurement period; { cmd: 'report' } → the period's numbers;
//   { cmd: 'stop' } → closes everything and exits.
import dgram from 'node:dgram'
import net from 'node:net'
import tls from 'node:tls'

const replyTimeout = 5_000

/** Percentile `p` (0–100) of ascending `sorted`, or null when empty. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  const round = (value) => (value === null ? null : Math.round(value * 100) / 100)
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? null),
  }
}

function newPeriod() {
  return {
    tcp: { samples: [], errors: {} },
    tls: { samples: [], ok: 0, errors: {} },
    udp: { samples: [], ok: 0, lost: 0 },
  }
}

let period = newPeriod()
const count = (errors, kind) => {
  errors[kind] = (errors[kind] ?? 0) + 1
}

const settings = await new Promise((resolve) => process.once('message', resolve))
let running = true
const timers = []

// ---- TCP: open-loop echo -----------------------------------------------------------------------------------------
let socket
let pending = new Map() // sequence → intended send time
let carry = ''
let sequence = 0

function connectTcp() {
  if (!running) return
  carry = ''
  const current = net.connect({ host: '127.0.0.1', port: settings.tcpPort, localAddress: '127.0.0.1', noDelay: true })
  socket = current
  current.setEncoding('latin1')
  current.on('data', (text) => {
    const lines = (carry + text).split('\r\n')
    carry = lines.pop() ?? ''
    const now = performance.now()
    for (const line of lines) {
      const sent = pending.get(line)
      if (sent === undefined) {
        count(period.tcp.errors, 'unexpected reply')
        continue
      }
      pending.delete(line)
      period.tcp.samples.push(now - sent)
    }
  })
  current.on('error', () => {})
  current.on('close', () => {
    if (!running) return
    count(period.tcp.errors, 'disconnected')
    if (pending.size > 0) {
      period.tcp.errors['lost with the connection'] =
        (period.tcp.errors['lost with the connection'] ?? 0) + pending.size
    }
    pending = new Map()
    setTimeout(connectTcp, 100)
  })
}
connectTcp()

const started = performance.now()
const interval = 1_000 / settings.rate
timers.push(
  setInterval(() => {
    const now = performance.now()
    // Every request due by now goes out now (with its intended time), however late the loop is.
    while (started + sequence * interval <= now) {
      const intended = started + sequence * interval
      const key = `g${sequence}`
      sequence++
      if (socket === undefined || socket.connecting || socket.destroyed) {
        count(period.tcp.errors, 'not connected')
        continue
      }
      pending.set(key, intended)
      socket.write(`ECHO ${key}\r\n`)
    }
    for (const [key, sent] of pending) {
      if (now - sent < replyTimeout) break
      pending.delete(key)
      count(period.tcp.errors, `no reply within ${replyTimeout} ms`)
    }
  }, 5),
)

// ---- TLS: a fresh connection every second ------------------------------------------------------------------------
let tlsProbe = 0
function probeTls() {
  const id = `t${tlsProbe++}`
  const begun = performance.now()
  const client = tls.connect({
    host: '127.0.0.1',
    port: settings.tlsPort,
    localAddress: '127.0.0.1',
    ca: settings.ca,
    servername: 'localhost',
  })
  let done = false
  const finish = (error) => {
    if (done) return
    done = true
    clearTimeout(timer)
    client.destroy()
    if (error === undefined) {
      period.tls.ok++
      period.tls.samples.push(performance.now() - begun)
    } else count(period.tls.errors, error)
  }
  const timer = setTimeout(() => finish(`no echo within ${replyTimeout} ms`), replyTimeout)
  client.setEncoding('latin1')
  let received = ''
  client.on('secureConnect', () => client.write(`ECHO ${id}\r\n`))
  client.on('data', (text) => {
    received += text
    if (received.includes(`${id}\r\n`)) finish()
  })
  client.on('error', (error) => finish(error.code ?? error.message))
  client.on('close', () => finish('closed before the echo'))
}
timers.push(setInterval(probeTls, 1_000))

// ---- UDP: an echo every half second ------------------------------------------------------------------------------
const udp = dgram.createSocket('udp4')
udp.bind({ address: '127.0.0.1', port: 0 })
const udpPending = new Map()
let udpSequence = 0
udp.on('message', (data) => {
  const key = data.toString('latin1').trimEnd()
  const sent = udpPending.get(key)
  if (sent === undefined) return
  udpPending.delete(key)
  period.udp.ok++
  period.udp.samples.push(performance.now() - sent)
})
udp.on('error', () => {})
timers.push(
  setInterval(() => {
    const now = performance.now()
    for (const [key, sent] of udpPending) {
      if (now - sent < 2_000) break
      udpPending.delete(key)
      period.udp.lost++
    }
    const key = `u${udpSequence++}`
    udpPending.set(key, now)
    udp.send(`ECHO ${key}\r\n`, settings.udpPort, '127.0.0.1')
  }, 500),
)

process.on('message', (message) => {
  if (message.cmd === 'reset') {
    period = newPeriod()
    process.send({ ok: true })
  } else if (message.cmd === 'report') {
    process.send({
      tcp: { ...summary(period.tcp.samples), errors: period.tcp.errors },
      tls: { ...summary(period.tls.samples), ok: period.tls.ok, errors: period.tls.errors },
      udp: { ...summary(period.udp.samples), ok: period.udp.ok, lost: period.udp.lost },
    })
  } else if (message.cmd === 'stop') {
    running = false
    for (const timer of timers) clearInterval(timer)
    socket?.destroy()
    udp.close()
    process.exit(0)
  }
})
process.send({ ready: true })
