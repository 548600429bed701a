// The bare-Node baseline client: the same closed-model load as socketlite-load (C connections, P frames in
// flight each, 34-byte line frames), with nothing else — no verification, no histogram, no reports. Prints one
// JSON line: { messagesPerSecond, cpuPercent }.
import net from 'node:net'

const [port, connections, pipeline, seconds] = process.argv.slice(2).map(Number)
const frame = Buffer.from(`${'x'.repeat(32)}\r\n`)
const batch = Buffer.concat(Array.from({ length: pipeline }, () => frame))
let messages = 0
let measuring = false
const sockets = []
for (let index = 0; index < connections; index++) {
  let received = 0
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
  socket.on('connect', () => socket.write(batch))
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
setTimeout(() => {
  measuring = true
  const start = performance.now()
  const cpu = process.cpuUsage()
  setTimeout(() => {
    const wall = performance.now() - start
    const used = process.cpuUsage(cpu)
    process.stdout.write(
      `${JSON.stringify({ messagesPerSecond: (messages * 1000) / wall, cpuPercent: (used.user + used.system) / 10 / wall })}\n`,
    )
    for (const socket of sockets) socket.destroy()
  }, seconds * 1000)
}, 300)
