// The echo server of bench/echo.ts, in a child process of its own (plain JavaScript: run by node directly).
//   node bench/echo-server.mjs app   an AppServer (command lines: `ECHO x` answers `x\r\n`), as the README's server
//   node bench/echo-server.mjs raw   a bare node:net byte echo (the cheapest server: the client is the bottleneck)
// Posts its port to the parent, then serves until killed.
import net from 'node:net'

const kind = process.argv[2] ?? 'app'
if (kind === 'raw') {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.pipe(socket)
  })
  server.listen(0, '127.0.0.1', () => process.send?.(server.address().port))
} else {
  const { AppServer, silentLogFactory } = await import('@socketlite/app-server')
  const server = new AppServer({
    config: { ip: '127.0.0.1', port: 0, clearIdleSession: false, sendHighWaterMark: 1_048_576 },
    logFactory: silentLogFactory,
  })
  server.on('newRequestReceived', (session, request) => {
    if (request.key === 'ECHO') session.trySend(`${request.body}\r\n`)
  })
  const [listener] = await server.start()
  process.send?.(listener.port)
}
process.on('disconnect', () => process.exit(0))
