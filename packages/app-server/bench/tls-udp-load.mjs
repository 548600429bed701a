// The load generator of the TLS and UDP benchmark, in its own process. Commands arrive over IPC from
// bench/tls-udp.mjs:
//   { cmd: 'tls', port, ca, connections, window, seconds, warmup } → { messages, seconds, errors, mismatches, cpu }
//     Like bench/load-generator.mjs over TLS: each connection keeps `window` 36-byte lines in flight and checks that
//     the echo is byte-identical to what it sent.
//   { cmd: 'udp', port, clients, window, seconds, warmup } → { messages, seconds, errors, mismatches, lost, cpu }
//     Each client socket keeps `window` datagrams of one 36-byte line in flight; every echo must be the datagram
//     it answers (in order). A client that hears nothing for 200 ms counts what it still waits for as lost and
//     starts a new window, so a dropped datagram cannot stall the run.
import dgram from 'node:dgram'
import tls from 'node:tls'

const lineLength = 36
const template = Buffer.from(`ECHO ${'0'.repeat(8)}${'x'.repeat(21)}\r\n`, 'latin1')
const digits = '0123456789abcdefghijklmnopqrstuvwxyz'

function writeLine(target, offset, sequence) {
  template.copy(target, offset)
  let rest = sequence
  for (let digit = 12; digit >= 5 && rest > 0; digit--) {
    target[offset + digit] = digits.charCodeAt(rest % 36)
    rest = Math.floor(rest / 36)
  }
}

function makeLines(count, firstSequence) {
  const batch = Buffer.allocUnsafe(count * lineLength)
  for (let index = 0; index < count; index++) writeLine(batch, index * lineLength, firstSequence + index)
  return batch
}

function tlsConnection(port, ca, window, stats) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' })
    const sent = []
    let sentOffset = 0
    let sequence = 0
    let running = true
    let partial = 0
    const send = (count) => {
      if (count <= 0 || !running) return
      const batch = makeLines(count, sequence)
      sequence += count
      sent.push(batch)
      socket.write(batch)
    }
    socket.on('secureConnect', () => {
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

function udpClient(port, window, stats) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1_048_576 })
    const waiting = [] // sequences in flight, in send order
    let sequence = 0
    let running = true
    let heard = true
    const send = (count) => {
      for (let index = 0; index < count && running; index++) {
        const datagram = Buffer.allocUnsafe(lineLength)
        writeLine(datagram, 0, sequence)
        waiting.push(sequence)
        sequence++
        socket.send(datagram, port, '127.0.0.1')
      }
    }
    socket.on('message', (data) => {
      heard = true
      // Drop what was lost before this one (UDP on loopback keeps order; a gap is a loss).
      let expected
      const line = Buffer.allocUnsafe(lineLength)
      while (waiting.length > 0) {
        expected = waiting.shift()
        writeLine(line, 0, expected)
        if (data.equals(line)) break
        stats.lost++
        expected = undefined
      }
      if (expected === undefined) {
        stats.mismatches++
        return
      }
      if (stats.counting) stats.messages++
      send(1)
    })
    socket.on('error', () => {
      stats.errors++
    })
    const watchdog = setInterval(() => {
      if (!heard && running && waiting.length > 0) {
        stats.lost += waiting.length
        waiting.length = 0
        send(window)
      }
      heard = false
    }, 200)
    socket.bind({ address: '127.0.0.1', port: 0 }, () => send(window))
    stats.stoppers.push(() => {
      running = false
      clearInterval(watchdog)
      socket.close(() => resolve())
    })
  })
}

async function measure(start, count, { seconds, warmup }) {
  const stats = { messages: 0, errors: 0, mismatches: 0, lost: 0, counting: false, stoppers: [] }
  const closed = []
  for (let index = 0; index < count; index++) closed.push(start(stats))
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
    lost: stats.lost,
    cpu: cpu.user + cpu.system,
  }
}

process.on('message', async (message) => {
  if (message.cmd === 'tls') {
    process.send(
      await measure(
        (stats) => tlsConnection(message.port, message.ca, message.window, stats),
        message.connections,
        message,
      ),
    )
  } else if (message.cmd === 'udp') {
    process.send(await measure((stats) => udpClient(message.port, message.window, stats), message.clients, message))
  } else if (message.cmd === 'stop') process.exit(0)
})
process.send({ ready: true })
