// The load generator of the benchmark, in its own process. Commands arrive over IPC from bench/echo.mjs:
//   { cmd: 'echo', port, connections, window, seconds, warmup } → { messages, seconds, errors, mismatches }
//     Each connection keeps `window` 36-byte lines in flight ("ECHO " + 29 bytes + CRLF) and checks that the echo is
//     byte-identical to what it sent.
//   { cmd: 'open', port, count } → { opened }   idle connections, kept until { cmd: 'close' }
import net from 'node:net'

const lineLength = 36
const template = Buffer.from(`ECHO ${'0'.repeat(8)}${'x'.repeat(21)}\r\n`, 'latin1')
const digits = '0123456789abcdefghijklmnopqrstuvwxyz'

function makeLines(count, firstSequence) {
  const batch = Buffer.allocUnsafe(count * lineLength)
  for (let index = 0; index < count; index++) {
    const offset = index * lineLength
    template.copy(batch, offset)
    let sequence = firstSequence + index
    for (let digit = 12; digit >= 5 && sequence > 0; digit--) {
      batch[offset + digit] = digits.charCodeAt(sequence % 36)
      sequence = Math.floor(sequence / 36)
    }
  }
  return batch
}

function echoConnection(port, window, stats) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
    const sent = [] // batches not yet fully echoed
    let sentOffset = 0 // bytes of sent[0] already echoed
    let sequence = 0
    let running = true
    const send = (count) => {
      if (count <= 0 || !running) return
      const batch = makeLines(count, sequence)
      sequence += count
      sent.push(batch)
      socket.write(batch)
    }
    let partial = 0
    socket.on('connect', () => {
      socket.setNoDelay(true)
      send(window)
    })
    socket.on('data', (data) => {
      let offset = 0
      while (offset < data.length) {
        const head = sent[0]
        if (head === undefined) {
          stats.mismatches++
          socket.destroy()
          return
        }
        const length = Math.min(head.length - sentOffset, data.length - offset)
        if (data.compare(head, sentOffset, sentOffset + length, offset, offset + length) !== 0) stats.mismatches++
        offset += length
        sentOffset += length
        if (sentOffset === head.length) {
          sent.shift()
          sentOffset = 0
        }
      }
      const bytes = partial + data.length
      const completed = Math.floor(bytes / lineLength)
      partial = bytes - completed * lineLength
      if (stats.counting) stats.messages += completed
      send(completed)
    })
    socket.on('error', () => {
      stats.errors++
    })
    socket.on('close', () => resolve())
    stats.stoppers.push(() => {
      running = false
      socket.destroy()
    })
  })
}

async function echo({ port, connections, window, seconds, warmup }) {
  const stats = { messages: 0, errors: 0, mismatches: 0, counting: false, stoppers: [] }
  const closed = []
  for (let index = 0; index < connections; index++) closed.push(echoConnection(port, window, stats))
  await new Promise((resolve) => setTimeout(resolve, warmup * 1000))
  stats.counting = true
  const started = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  stats.counting = false
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuStart)
  for (const stop of stats.stoppers) stop()
  await Promise.all(closed)
  return {
    messages: stats.messages,
    seconds: elapsed,
    errors: stats.errors,
    mismatches: stats.mismatches,
    cpu: cpu.user + cpu.system,
  }
}

let idle = []
async function open({ port, count }) {
  const batch = 250
  let opened = 0
  for (let start = 0; start < count; start += batch) {
    const sockets = []
    for (let index = start; index < Math.min(count, start + batch); index++) {
      const socket = net.connect({ host: '127.0.0.1', port })
      socket.on('error', () => {})
      sockets.push(
        new Promise((resolve) => socket.once('connect', () => resolve(socket)).once('error', () => resolve())),
      )
    }
    for (const socket of await Promise.all(sockets)) {
      if (socket !== undefined) {
        idle.push(socket)
        opened++
      }
    }
  }
  return { opened }
}

process.on('message', async (message) => {
  if (message.cmd === 'echo') process.send(await echo(message))
  else if (message.cmd === 'open') process.send(await open(message))
  else if (message.cmd === 'close') {
    await Promise.all(
      idle.map((socket) => {
        const closed = new Promise((resolve) => socket.once('close', resolve))
        socket.destroy()
        return closed
      }),
    )
    idle = []
    process.send({ closed: true })
  } else if (message.cmd === 'stop') process.exit(0)
})
process.send({ ready: true })
