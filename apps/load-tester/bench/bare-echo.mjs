// A bare node:net echo server for the benchmark: prints its port, echoes every byte, exits on SIGTERM.
import net from 'node:net'

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  socket.on('data', (chunk) => socket.write(chunk))
  socket.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
process.on('SIGTERM', () => process.exit(0))
