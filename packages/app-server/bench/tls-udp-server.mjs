// One echo server of the TLS and UDP benchmark, in its own process:
//   node tls-udp-server.mjs tls-bare|tls-socketlite|udp-bare|udp-socketlite CERT_FILE KEY_FILE
// It sends { port }, then answers IPC messages from bench/tls-udp.mjs:
//   { cmd: 'mark' } → { cpu, rss, maxRss } since the previous mark (cpu in µs, rss in bytes)
//   { cmd: 'stop' } → exits
import dgram from 'node:dgram'
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import { echoLines, scanLines, serveMarks, startAppServer } from './bench-kit.mjs'

const [kind, certFile, keyFile] = process.argv.slice(2)

/** A bare node:tls line echo, the same as the bare node:net one of bench/echo-server.mjs (see echoLines). */
function startBareTls() {
  const server = tls.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (socket) => {
    socket.setNoDelay(true)
    echoLines(socket)
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
  let remote
  const reply = (data, start, end) =>
    socket.send(start === 0 && end === data.length ? data : data.subarray(start, end), remote.port, remote.address)
  socket.on('message', (data, from) => {
    remote = from
    scanLines(data, reply)
  })
  socket.on('error', () => {})
  return new Promise((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, () => resolve(socket.address().port)))
}

/** The app-server: a command-line echo over TLS, or over UDP (one reply datagram per request). */
async function startSocketlite(mode) {
  const tlsConfig = mode === 'tcp' ? { security: 'tls', certificate: { certFile, keyFile } } : {}
  return (await startAppServer({ config: { mode, ...tlsConfig } })).port
}

const port =
  kind === 'tls-bare'
    ? await startBareTls()
    : kind === 'udp-bare'
      ? await startBareUdp()
      : await startSocketlite(kind === 'udp-socketlite' ? 'udp' : 'tcp')
serveMarks(port)
