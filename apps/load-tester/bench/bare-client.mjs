// The bare-Node baseline client ("blaster"): the same closed-model load as socketlite-load (C connections, P lines in
// flight each, 36-byte lines, one write per read refilling what came back), with nothing else: no verification, no
// latency, no reports. Usage: node bare-client.mjs PORT CONNECTIONS PIPELINE SECONDS
// Prints one JSON line: { messagesPerSecond, cpuPercent, nsPerMessage }.
import net from 'node:net'

const [port, connections, pipeline, seconds] = process.argv.slice(2).map(Number)
const frame = Buffer.from('ECHO 00000000xxxxxxxxxxxxxxxxxxxxx\r\n', 'latin1')
const batch = Buffer.concat(Array.from({ length: pipeline }, () => frame))
let messages = 0
let measuring = false
let connected = 0
const sockets = []
for (let index = 0; index < connections; index++) {
  let received = 0
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
  socket.on('connect', () => {
    connected++
    socket.write(batch)
    if (connected === connections) setTimeout(measure, 300)
  })
  socket.on('data', (chunk) => {
    received += chunk.length
    const done = Math.floor(received / frame.length)
    if (done > 0) {
      received -= done * frame.length
      if (measuring) messages += done
      socket.write(done === pipeline ? batch : batch.subarray(0, done * frame.length))
    }
  })
  socket.on('error', () => {})
  sockets.push(socket)
}

function measure() {
  measuring = true
  const start = performance.now()
  const cpu = process.cpuUsage()
  setTimeout(() => {
    const wall = performance.now() - start
    const used = process.cpuUsage(cpu)
    const cpuMs = (used.user + used.system) / 1000
    process.stdout.write(
      `${JSON.stringify({
        messagesPerSecond: (messages * 1000) / wall,
        cpuPercent: (100 * cpuMs) / wall,
        nsPerMessage: messages > 0 ? (cpuMs * 1e6) / messages : 0,
      })}\n`,
    )
    for (const socket of sockets) socket.destroy()
  }, seconds * 1000)
}
