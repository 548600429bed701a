// One echo server of the benchmark, in its own process: `node echo-server.mjs socketlite|socketlite-binary|bare`.
// It prints `port N`, then answers IPC messages from bench/echo.mjs:
//   { cmd: 'mark' }    → { cpu, rss, heap, sessions } since the previous mark (cpu in µs, rss/heap in bytes)
//   { cmd: 'stop' }    → exits
import net from 'node:net'
import { BinaryTerminatorReceiveFilterFactory } from '@socketlite/protocol'
import { AppServer, silentLogFactory } from '../dist/index.js'

const kind = process.argv[2]
const crlf = Buffer.from('\r\n')

async function startSocketlite(binary) {
  const server = new AppServer({
    // `socketlite-binary`: frames as bytes (no text decoding or key/body parsing), to show the server's own cost.
    ...(binary ? { receiveFilterFactory: new BinaryTerminatorReceiveFilterFactory({ terminator: '\r\n' }) } : {}),
    config: {
      ip: '127.0.0.1',
      port: 0,
      maxConnectionNumber: 20_000,
      logBasicSessionActivity: false,
    },
    logFactory: silentLogFactory,
  })
  if (binary) {
    server.on('newRequestReceived', (session, request) => {
      session.trySend(request.body)
      session.trySend(crlf)
    })
  } else {
    server.on('newRequestReceived', (session, request) => {
      session.trySend(request.body === '' ? `${request.key}\r\n` : `${request.key} ${request.body}\r\n`)
    })
  }
  const [listener] = await server.start()
  return { port: listener.port, sessions: () => server.sessionCount }
}

/**
 * A bare node:net line echo, written as well as we can: one byte search per line (for LF, checking the CR before
 * it), one write per read, no copies (the complete lines of a read are one slice of it).
 */
function startBare() {
  const CR = 13
  const LF = 10
  let sessions = 0
  let processed = 0
  const server = net.createServer({ noDelay: true }, (socket) => {
    sessions++
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
        // "Process" the line: a server must at least look at it.
        if (data[start] !== CR) processed++
        start = end + 1
      }
      if (start < data.length) carry = data.subarray(start)
      if (start > 0) socket.write(start === data.length ? data : data.subarray(0, start))
    })
    socket.on('error', () => {})
    socket.on('close', () => sessions--)
  })
  return new Promise((resolve) => {
    server.listen({ host: '127.0.0.1', port: 0, backlog: 511 }, () =>
      resolve({ port: server.address().port, sessions: () => sessions, processed: () => processed }),
    )
  })
}

const { port, sessions } = kind === 'bare' ? await startBare() : await startSocketlite(kind === 'socketlite-binary')
let last = process.cpuUsage()
let maxRss = process.memoryUsage.rss()
setInterval(() => {
  maxRss = Math.max(maxRss, process.memoryUsage.rss())
}, 100).unref()
process.on('message', (message) => {
  if (message.cmd === 'mark') {
    if (message.gc && typeof globalThis.gc === 'function') globalThis.gc()
    const cpu = process.cpuUsage(last)
    last = process.cpuUsage()
    const memory = process.memoryUsage()
    process.send({ cpu: cpu.user + cpu.system, rss: memory.rss, maxRss, heap: memory.heapUsed, sessions: sessions() })
    maxRss = memory.rss
  } else if (message.cmd === 'stop') process.exit(0)
})
process.send({ port })
