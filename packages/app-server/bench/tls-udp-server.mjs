// One echo server of the TLS and UDP benchmark, in its own process:
//   node tls-udp-server.mjs tls-bare|tls-socketlite|udp-bare|udp-socketlite CERT_FILE KEY_FILE
// It sends { port }, then answers IPC messages from bench/tls-udp.mjs:
//   { cmd: 'mark' } → { cpu, rss, maxRss } since the previous mark (cpu in µs, rss in bytes)
//   { cmd: 'stop' } → exits
import dgram from 'node:dgram'
import { readFileSync } from 'node:fs'
import tls from 'node:tls'
import { TerminatorReceiveFilterBase } from '@socketlite/protocol'
import { echoLines, echoLinesCopied, scanLines, serveMarks, startAppServer } from './bench-kit.mjs'

const [kind, certFile, keyFile] = process.argv.slice(2)

/** A bare node:tls line echo, the same as the bare node:net ones of bench/echo-server.mjs (echoLines or echoLinesCopied). */
function startBareTls(echo) {
  const server = tls.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (socket) => {
    socket.setNoDelay(true)
    echo(socket)
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

/** Each line, CRLF included, as a view of the received chunk: what an echo hands back (`copy: false`). */
class LineFrames extends TerminatorReceiveFilterBase {
  constructor() {
    super({ terminator: '\r\n', keepTerminator: true })
  }
  resolveRequestInfo(frame) {
    return { key: '', frame }
  }
}
const handOver = { copy: false }

/** The app-server: a command-line echo (or the lines handed back) over TLS, or over UDP (one reply datagram per request). */
async function startSocketlite(mode, frames = false) {
  const tlsConfig = mode === 'tcp' ? { security: 'tls', certificate: { certFile, keyFile } } : {}
  if (!frames) return (await startAppServer({ config: { mode, ...tlsConfig } })).port
  const echo = (session, request) => {
    if (!session.trySend(request.frame, handOver)) return session.send(request.frame, handOver)
  }
  return (await startAppServer({ config: { mode, ...tlsConfig }, receiveFilterFactory: () => new LineFrames() }, echo))
    .port
}

const port =
  kind === 'tls-bare'
    ? await startBareTls(echoLines)
    : kind === 'tls-bare-copy'
      ? await startBareTls(echoLinesCopied)
      : kind === 'udp-bare'
        ? await startBareUdp()
        : await startSocketlite(kind === 'udp-socketlite' ? 'udp' : 'tcp', kind === 'tls-socketlite-frames')
serveMarks(port)
