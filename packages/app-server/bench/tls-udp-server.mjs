// One echo server of the TLS and UDP benchmark, in its own process:
//   node tls-udp-server.mjs tls-bare|tls-socketlite|udp-bare|udp-socketlite CERT_FILE KEY_FILE
// It sends { port }, then answers IPC messages from bench/tls-udp.mjs:
//   { cmd: 'mark' } → { cpu, rss, maxRss } since the previous mark (cpu in µs, rss in bytes)
//   { cmd: 'stop' } → exits
import dgram from 'node:dgram'
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import { AppServer, silentLogFactory } from '../dist/index.js'

const [kind, certFile, keyFile] = process.argv.slice(2)
const CR = 13
const LF = 10

/** The app-server: a command-line echo over TLS, or over UDP (one reply datagram per request). */
async function startSocketlite(mode) {
  const server = new AppServer({
    config: {
      ip: '127.0.0.1',
      port: 0,
      mode,
      ...(mode === 'tcp' ? { security: 'tls', certificate: { certFile, keyFile } } : {}),
      maxConnectionNumber: 20_000,
      logBasicSessionActivity: false,
    },
    logFactory: silentLogFactory,
  })
  server.on('newRequestReceived', (session, request) => {
    session.trySend(request.body === '' ? `${request.key}\r\n` : `${request.key} ${request.body}\r\n`)
  })
  const [listener] = await server.start()
  return listener.port
}

/** A bare node:tls line echo, written like the bare node:net one of bench/echo-server.mjs. */
function startBareTls() {
  const server = tls.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (socket) => {
    socket.setNoDelay(true)
    let carry
    socket.on('data', (chunk) => {
      let data = chunk
      if (carry !== undefined) {
        data = Buffer.concat([carry, chunk])
        carry = undefined
      }
      let start = 0
      for (let end = data.indexOf(LF); end >= 0; end = data.indexOf(LF, end + 1)) {
        if (end === 0 || data[end - 1] !== CR) continue
        start = end + 1
      }
      if (start < data.length) carry = data.subarray(start)
      if (start > 0) socket.write(start === data.length ? data : data.subarray(0, start))
    })
    socket.on('error', () => {})
  })
  server.on('tlsClientError', () => {})
  return new Promise((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server.address().port)))
}

/**
 * A bare node:dgram line echo: every CRLF-terminated line of a datagram goes back as one datagram (what the app-server
 * does: one reply datagram per request), with the same receive buffer size as the app-server's UDP listener.
 */
function startBareUdp() {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1_048_576 })
  socket.on('message', (data, remote) => {
    let start = 0
    for (let end = data.indexOf(LF); end >= 0; end = data.indexOf(LF, end + 1)) {
      if (end === 0 || data[end - 1] !== CR) continue
      socket.send(
        start === 0 && end === data.length - 1 ? data : data.subarray(start, end + 1),
        remote.port,
        remote.address,
      )
      start = end + 1
    }
  })
  socket.on('error', () => {})
  return new Promise((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, () => resolve(socket.address().port)))
}

const port =
  kind === 'tls-bare'
    ? await startBareTls()
    : kind === 'udp-bare'
      ? await startBareUdp()
      : await startSocketlite(kind === 'udp-socketlite' ? 'udp' : 'tcp')
let last = process.cpuUsage()
let maxRss = process.memoryUsage.rss()
setInterval(() => {
  maxRss = Math.max(maxRss, process.memoryUsage.rss())
}, 100).unref()
process.on('message', (message) => {
  if (message.cmd === 'mark') {
    const cpu = process.cpuUsage(last)
    last = process.cpuUsage()
    const rss = process.memoryUsage.rss()
    process.send({ cpu: cpu.user + cpu.system, rss, maxRss })
    maxRss = rss
  } else if (message.cmd === 'stop') process.exit(0)
})
process.send({ port })
