// The peer of the sending-queue bench's socket section: accepts on 127.0.0.1, reads and discards everything,
// sends its port to the parent over IPC.
import net from 'node:net'

const server = net.createServer((socket) => {
  socket.on('data', () => {})
  socket.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => process.send?.(server.address().port))
process.on('disconnect', () => process.exit(0))
