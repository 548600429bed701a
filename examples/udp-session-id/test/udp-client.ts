import dgram from 'node:dgram'
import { once } from 'node:events'
import { onTestFinished } from 'vitest'
import { type UdpPacket, udpPacketHeaderSize } from '../src/udp-packet.js'

/** A UDP socket on 127.0.0.1 port 0 (closed when the test finishes) that reads the server's answers in order. */
export async function udpClient(serverPort: number) {
  const socket = dgram.createSocket('udp4')
  socket.bind({ address: '127.0.0.1', port: 0 })
  await once(socket, 'listening', { signal: AbortSignal.timeout(2_000) })
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())))
  const received: Buffer[] = []
  const waiters: (() => void)[] = []
  socket.on('message', (datagram) => {
    received.push(datagram)
    waiters.shift()?.()
  })
  const next = async (): Promise<Pick<UdpPacket, 'key' | 'sessionId' | 'value'>> => {
    if (received.length === 0) {
      const arrived = new Promise<void>((resolve) => waiters.push(resolve))
      const timeout = AbortSignal.timeout(2_000)
      await Promise.race([arrived, once(timeout, 'abort').then(() => Promise.reject(new Error('no answer')))])
    }
    const datagram = received.shift() as Buffer
    const header = datagram.toString('latin1', 0, udpPacketHeaderSize)
    return {
      key: header.slice(0, 4),
      sessionId: header.slice(4),
      value: datagram.toString('utf8', udpPacketHeaderSize),
    }
  }
  return {
    port: socket.address().port,
    received,
    send: (datagram: Uint8Array) => socket.send(datagram, serverPort, '127.0.0.1'),
    next,
  }
}
