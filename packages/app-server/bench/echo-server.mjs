// One echo server of the benchmark, in its own process: `node echo-server.mjs socketlite|socketlite-binary|bare`.
// It sends { port }, then answers IPC messages from bench/echo.mjs:
//   { cmd: 'mark', gc? } → { cpu, rss, maxRss, heap, newSpace, sessions } since the previous mark (cpu in µs, memory in
//   bytes; newSpace: V8's young generation)
//   { cmd: 'stop' }      → exits
import net from 'node:net'
import { BinaryTerminatorReceiveFilterFactory, TerminatorReceiveFilterBase } from '@socketlite/protocol'
import { echoLines, echoLinesCopied, serveMarks, startAppServer } from './bench-kit.mjs'

const kind = process.argv[2]
const crlf = Buffer.from('\r\n')

/** A bare node:net line echo: the chunk written back (echoLines), or the lines copied into a reply (echoLinesCopied). */
function startBare(echo) {
  let sessions = 0
  const server = net.createServer({ noDelay: true }, (socket) => {
    sessions++
    socket.setNoDelay(true)
    echo(socket)
    socket.on('close', () => sessions--)
  })
  return new Promise((resolve) => {
    server.listen({ host: '127.0.0.1', port: 0, backlog: 511 }, () =>
      resolve({ port: server.address().port, sessions: () => sessions }),
    )
  })
}

/** Each line, CRLF included, as a view of the received chunk (`keepTerminator`): what an echo hands back. */
class LineFrames extends TerminatorReceiveFilterBase {
  constructor() {
    super({ terminator: crlf, keepTerminator: true })
  }
  resolveRequestInfo(frame) {
    return { key: '', frame }
  }
}
const handOver = { copy: false }

const { port, sessions } =
  kind === 'bare'
    ? await startBare(echoLines)
    : kind === 'bare-copy'
      ? await startBare(echoLinesCopied)
      : kind === 'socketlite-frames'
        ? // The frames handed back without a copy: consecutive views of a read leave as one buffer.
          await startAppServer({ receiveFilterFactory: () => new LineFrames() }, (session, request) => {
            if (!session.trySend(request.frame, handOver)) return session.send(request.frame, handOver)
          })
        : kind === 'socketlite-binary'
          ? // Frames as bytes (no text decoding or key/body parsing), to show the server's own cost.
            await startAppServer(
              { receiveFilterFactory: new BinaryTerminatorReceiveFilterFactory({ terminator: '\r\n' }) },
              (session, request) => {
                if (!session.trySend(request.body)) return session.send(request.body).then(() => session.send(crlf))
                if (!session.trySend(crlf)) return session.send(crlf)
              },
            )
          : await startAppServer()
serveMarks(port, sessions)
