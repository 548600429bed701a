// The benchmark's server: a bare node:net LINE echo in its own process, written as well as plain Node allows — one
// byte search per line (LF, then the CR before it), one write per read, no copies (the complete lines of a read go
// back as one slice of it; a partial line waits for the rest). Prints its port, exits on SIGTERM.
import net from 'node:net'

const CR = 13
const LF = 10

const server = net.createServer({ noDelay: true }, (socket) => {
  let carry
  socket.on('data', (chunk) => {
    let data = chunk
    if (carry !== undefined) {
      data = Buffer.concat([carry, chunk])
      carry = undefined
    }
    let start = 0
    for (let end = data.indexOf(LF); end >= 0; end = data.indexOf(LF, end + 1)) {
      if (end > 0 && data[end - 1] === CR) start = end + 1
    }
    if (start < data.length) carry = data.subarray(start)
    if (start > 0) socket.write(start === data.length ? data : data.subarray(0, start))
  })
  socket.on('error', () => {})
})
server.listen({ host: '127.0.0.1', port: 0, backlog: 511 }, () => process.stdout.write(`${server.address().port}\n`))
process.on('SIGTERM', () => process.exit(0))
