// The load generator of the benchmark, in its own process. Commands arrive over IPC from bench/echo.mjs:
//   { cmd: 'echo', port, connections, window, seconds, warmup } → { messages, seconds, errors, mismatches, cpu }
//     Each connection keeps `window` 36-byte lines in flight ("ECHO " + 29 bytes + CRLF) and checks that the echo is
//     byte-identical to what it sent.
//   { cmd: 'open', port, count } → { opened }   idle connections, kept until { cmd: 'close' }
import net from 'node:net'
import { measure, serveCommands, streamEcho } from './bench-kit.mjs'

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

async function close() {
  await Promise.all(
    idle.map((socket) => {
      const closed = new Promise((resolve) => socket.once('close', resolve))
      socket.destroy()
      return closed
    }),
  )
  idle = []
  return { closed: true }
}

serveCommands({
  echo: (message) =>
    measure(
      (stats) =>
        streamEcho(
          net.connect({ host: '127.0.0.1', port: message.port, noDelay: true }),
          'connect',
          message.window,
          stats,
        ),
      message.connections,
      message,
    ),
  open,
  close,
})
