// One echo server of the benchmark, in its own process: `node echo-server.mjs socketlite|socketlite-binary|bare`.
// It sends { port }, then answers IPC messages from bench/echo.mjs:
//   { cmd: 'mark', gc? } → { cpu, rss, maxRss, heap, sessions } since the previous mark (cpu in µs, memory in bytes)
//   { cmd: 'stop' }      → exits
import net from 'node:net'
import { BinaryTerminatorReceiveFilterFactory } from '@socketlite/protocol'
import { echoLines, serveMarks, startAppServer } from './bench-kit.mjs'

const kind = process.argv[2]
const crlf = Buffer.from('\r\n')

/** A bare node:net line echo (see echoLines). */
function startBare() {
  let sessions = 0
  const server = net.createServer({ noDelay: true }, (socket) => {
    sessions++
    socket.setNoDelay(true)
    echoLines(socket)
    socket.on('close', () => sessions--)
  })
  return new Promise((resolve) => {
    server.listen({ host: '127.0.0.1', port: 0, backlog: 511 }, () =>
      resolve({ port: server.address().port, sessions: () => sessions }),
    )
  })
}

const { port, sessions } =
  kind === 'bare'
    ? await startBare()
    : kind === 'socketlite-binary'
      ? // Frames as bytes (no text decoding or key/body parsing), to show the server's own cost.
        await startAppServer(
          { receiveFilterFactory: new BinaryTerminatorReceiveFilterFactory({ terminator: '\r\n' }) },
          (session, request) => {
            session.trySend(request.body)
            session.trySend(crlf)
          },
        )
      : await startAppServer()
serveMarks(port, sessions)
