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
import { lineLength, measure, serveCommands, streamEcho, writeLine } from './bench-kit.mjs'

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

serveCommands({
  tls: ({ port, ca, window, connections, ...timing }) =>
    measure(
      (stats) =>
        streamEcho(
          tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }),
          'secureConnect',
          window,
          stats,
        ),
      connections,
      timing,
    ),
  udp: ({ port, window, clients, ...timing }) => measure((stats) => udpClient(port, window, stats), clients, timing),
})
