import dgram from 'node:dgram'
import { once } from 'node:events'
import { onTestFinished } from 'vitest'

/** Room for thousands of small datagrams on loopback (the kernel caps it at `net.core.rmem_max`). */
const bufferSize = 4 * 1_048_576

/** A UDP client on loopback port 0 that collects every datagram it receives; closed when the test finishes. */
export interface UdpClient {
  readonly socket: dgram.Socket
  readonly port: number
  readonly address: string
  /** Every datagram received, in order. */
  readonly received: Buffer[]
  /** Send `data` (a string is UTF-8) to `port` on the client's loopback address. */
  send(data: string | Uint8Array, port: number): void
  /** Resolves with the datagrams once `count` arrived in total (at most `timeoutMs`). */
  receive(count: number, timeoutMs?: number): Promise<Buffer[]>
  /** The datagrams received so far, as text. */
  texts(): string[]
}

export async function udpClient(host = '127.0.0.1'): Promise<UdpClient> {
  const socket = dgram.createSocket({
    type: host.includes(':') ? 'udp6' : 'udp4',
    recvBufferSize: bufferSize,
    sendBufferSize: bufferSize,
  })
  socket.on('error', () => {})
  socket.bind({ address: host, port: 0 })
  await once(socket, 'listening', { signal: AbortSignal.timeout(2_000) })
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        socket.close(() => resolve())
      }),
  )
  const received: Buffer[] = []
  const waiters = new Set<() => void>()
  socket.on('message', (data) => {
    received.push(data)
    for (const waiter of [...waiters]) waiter()
  })
  return {
    socket,
    port: socket.address().port,
    address: host,
    received,
    send(data, port) {
      socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, host)
    },
    receive(count, timeoutMs = 2_000) {
      return new Promise<Buffer[]>((resolve, reject) => {
        const check = (): void => {
          if (received.length < count) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(received)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`udpClient: ${received.length} of ${count} datagrams after ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    texts() {
      return received.map((datagram) => datagram.toString())
    },
  }
}
