import dgram from 'node:dgram'
import { existsSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { CloseReason, type ServerConfig, silentLogFactory } from '@socketlite/app-server'
import { bytesDiff, readBytes, readUntilEnd, seededRandom } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import {
  type EchoProtocolName,
  type EchoProtocolOptions,
  type EchoServer,
  echoProtocolNames,
  startEchoServer,
} from '../src/index.js'
import { randomFrames } from './frames.js'
import { endpointOf, waitEvent } from './processes.js'

async function start(config: ServerConfig, protocol: EchoProtocolOptions = {}): Promise<EchoServer> {
  const echo = await startEchoServer({ config, protocol, logFactory: silentLogFactory })
  onTestFinished(() => echo.stop())
  return echo
}

async function connect(url: string): Promise<net.Socket> {
  const socket = net.connect(endpointOf(url))
  onTestFinished(() => {
    socket.destroy()
  })
  await waitEvent(socket, 'connect')
  return socket
}

/** Writes `pieces` one by one, each after the previous one was handed to the kernel. */
async function writeApart(socket: net.Socket, pieces: readonly Buffer[]): Promise<void> {
  for (const piece of pieces) {
    await new Promise<void>((resolve, reject) => socket.write(piece, (error) => (error ? reject(error) : resolve())))
  }
}

/** Cuts `stream` into `count` pieces at seeded random places. */
function cut(stream: Buffer, count: number, random: () => number): Buffer[] {
  const points = Array.from({ length: count - 1 }, () => 1 + Math.floor(random() * (stream.length - 1)))
  points.sort((a, b) => a - b)
  const pieces: Buffer[] = []
  let start = 0
  for (const point of [...points, stream.length]) {
    if (point > start) pieces.push(stream.subarray(start, point))
    start = point
  }
  return pieces
}

describe('startEchoServer over TCP', () => {
  test.each(echoProtocolNames)(
    '%s: several frames, split across writes, come back byte-identical',
    async (protocol) => {
      const echo = await start({ ip: '127.0.0.1', port: 0 }, { protocol })
      expect(echo.urls).toEqual([expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/)])
      const socket = await connect(echo.urls[0] as string)
      const random = seededRandom(7)
      const stream = Buffer.concat(randomFrames(protocol, 20, random))
      await writeApart(socket, cut(stream, 9, random))
      expect(await readBytes(socket, stream.length)).toEqual(stream)
    },
  )

  test.each([
    ['terminator', { terminator: '\r\n\r\n' }],
    ['length-field', { lengthFieldLength: 2, lengthFieldOffset: 1, byteOrder: 'le', initialBytesToStrip: 3 }],
    ['begin-end', { beginMark: '\x02', endMark: '\x03\x03' }],
    ['count-spliter', { count: 3 }],
    ['fixed-size', { size: 5 }],
  ] as [EchoProtocolName, EchoProtocolOptions][])(
    '%s %j: options other than the defaults',
    async (protocol, options) => {
      const echo = await start({ ip: '127.0.0.1', port: 0 }, { protocol, ...options })
      const socket = await connect(echo.urls[0] as string)
      const stream = Buffer.concat(randomFrames(protocol, 10, seededRandom(3), options))
      await writeApart(socket, cut(stream, 5, seededRandom(4)))
      expect(await readBytes(socket, stream.length)).toEqual(stream)
    },
  )

  test('several listeners, IPv4 and IPv6, in one server', async () => {
    const echo = await start({
      listeners: [
        { ip: '127.0.0.1', port: 0 },
        { ip: '::1', port: 0 },
      ],
    })
    expect(echo.urls).toEqual([
      expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^tcp:\/\/\[::1\]:\d+$/),
    ])
    for (const url of echo.urls) {
      const socket = await connect(url)
      socket.write(`hello ${url}\r\n`)
      expect((await readBytes(socket, `hello ${url}\r\n`.length)).toString()).toBe(`hello ${url}\r\n`)
    }
  })

  test('a client that sends without reading gets every echo once it reads (no loss under backpressure)', async () => {
    const echo = await start({ ip: '127.0.0.1', port: 0, sendHighWaterMark: 16_384 }, { protocol: 'fixed-size' })
    const socket = await connect(echo.urls[0] as string)
    socket.pause()
    const stream = Buffer.concat(randomFrames('fixed-size', 32_768, seededRandom(11))) // 1 MiB
    socket.write(stream)
    // bytesDiff, not toEqual: a deep comparison of 1 MiB takes seconds.
    expect(bytesDiff(await readBytes(socket, stream.length, 10_000), stream)).toBeUndefined()
  })

  test('stop() sends the queued replies, then ends every connection', async () => {
    const echo = await start({ ip: '127.0.0.1', port: 0 })
    const socket = await connect(echo.urls[0] as string)
    const frames = Buffer.concat(randomFrames('line', 500, seededRandom(5)))
    socket.write(frames)
    await readBytes(socket, 1) // the server has started answering this one chunk
    socket.pause()
    const stopped = echo.stop()
    const rest = await readUntilEnd(socket, 5_000)
    await stopped
    expect(Buffer.concat([frames.subarray(0, 1), rest])).toEqual(frames)
    expect(echo.server.getStats().closed.ServerShutdown).toBe(1)
  })

  test('a framing error closes the session after echoing the frames before it', async () => {
    const echo = await start({ ip: '127.0.0.1', port: 0 }, { protocol: 'begin-end' })
    const closed = waitEvent(echo.server, 'sessionClosed')
    const socket = await connect(echo.urls[0] as string)
    socket.write('!one$!two$junk!three$')
    expect((await readUntilEnd(socket)).toString()).toBe('!one$!two$')
    const [, reason] = await closed
    expect(reason).toBe(CloseReason.ProtocolError)
  })

  test('a frame over maxRequestLength closes the session', async () => {
    const echo = await start({ ip: '127.0.0.1', port: 0, maxRequestLength: 8 }, { protocol: 'line' })
    const socket = await connect(echo.urls[0] as string)
    socket.write('123456\r\n1234567\r\n')
    expect((await readUntilEnd(socket)).toString()).toBe('123456\r\n')
  })

  test('a busy port is ERR_LISTEN_FAILED and nothing stays bound', async () => {
    const first = await start({ ip: '127.0.0.1', port: 0 })
    const { port } = endpointOf(first.urls[0] as string)
    await expect(
      startEchoServer({ config: { ip: '127.0.0.1', port }, logFactory: silentLogFactory }),
    ).rejects.toMatchObject({
      code: 'ERR_LISTEN_FAILED',
    })
  })
})

describe('startEchoServer over TLS', () => {
  test('with no certificate it makes a self-signed one that clients can verify; removed by stop()', async () => {
    const echo = await start({ ip: '127.0.0.1', port: 0, security: 'tls' }, { protocol: 'length-field' })
    expect(echo.urls).toEqual([expect.stringMatching(/^tls:\/\/127\.0\.0\.1:\d+$/)])
    const certificate = echo.selfSignedCertificate
    expect(certificate?.cert).toContain('BEGIN CERTIFICATE')
    for (const servername of ['localhost', undefined]) {
      const socket = tls.connect({ ...endpointOf(echo.urls[0] as string), ca: certificate?.cert, servername })
      onTestFinished(() => {
        socket.destroy()
      })
      await waitEvent(socket, 'secureConnect')
      expect(socket.authorized).toBe(true)
      const stream = Buffer.concat(randomFrames('length-field', 10, seededRandom(2)))
      socket.write(stream.subarray(0, 7))
      socket.write(stream.subarray(7))
      expect(await readBytes(socket, stream.length)).toEqual(stream)
    }
    await echo.stop()
    expect(existsSync(certificate?.certFile as string)).toBe(false)
  })

  test('plain and TLS listeners (IPv4 and IPv6) in one server', async () => {
    const echo = await start({
      listeners: [
        { ip: '127.0.0.1', port: 0 },
        { ip: '::1', port: 0, security: 'tls' },
      ],
    })
    expect(echo.urls).toEqual([
      expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^tls:\/\/\[::1\]:\d+$/),
    ])
    const plain = await connect(echo.urls[0] as string)
    plain.write('plain\r\n')
    expect((await readBytes(plain, 7)).toString()).toBe('plain\r\n')
    const secure = tls.connect({ ...endpointOf(echo.urls[1] as string), ca: echo.selfSignedCertificate?.cert })
    onTestFinished(() => {
      secure.destroy()
    })
    await waitEvent(secure, 'secureConnect')
    secure.write('secure\r\n')
    expect((await readBytes(secure, 8)).toString()).toBe('secure\r\n')
  })
})

describe('startEchoServer over UDP', () => {
  async function udpClient(url: string): Promise<{ send(data: Buffer | string): void; next(): Promise<Buffer> }> {
    const { host, port } = endpointOf(url)
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
    onTestFinished(() => {
      socket.close()
    })
    socket.connect(port, host)
    await waitEvent(socket, 'connect')
    const received: Buffer[] = []
    socket.on('message', (message: Buffer) => received.push(message))
    return {
      send: (data) => socket.send(data),
      async next() {
        if (received.length === 0) await waitEvent(socket, 'message')
        return received.shift() as Buffer
      },
    }
  }

  test.each(echoProtocolNames)('%s: each datagram comes back as the same datagram', async (protocol) => {
    const echo = await start({ ip: '127.0.0.1', port: 0, mode: 'udp' }, { protocol })
    expect(echo.urls).toEqual([expect.stringMatching(/^udp:\/\/127\.0\.0\.1:\d+$/)])
    const client = await udpClient(echo.urls[0] as string)
    const frames = randomFrames(protocol, 3, seededRandom(8))
    const datagrams = [frames[0], Buffer.concat(frames.slice(1))] as Buffer[] // one frame, then two in one datagram
    for (const datagram of datagrams) {
      client.send(datagram)
      expect(await client.next()).toEqual(datagram)
    }
  })

  test('a datagram that ends inside a frame is dropped; the session lives on', async () => {
    const echo = await start({ ip: '::1', port: 0, mode: 'udp' }, { protocol: 'line' })
    const client = await udpClient(echo.urls[0] as string)
    client.send('no terminator')
    client.send('a\r\nb\r\n')
    expect((await client.next()).toString()).toBe('a\r\nb\r\n')
    expect(echo.server.sessionCount).toBe(1)
  })
})
