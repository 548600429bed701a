import dgram from 'node:dgram'
import type { EndPoint } from '@socketlite/socket-base'
import { waitFor } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { UdpSocketListener } from '../src/index.js'

function listener(init: ConstructorParameters<typeof UdpSocketListener>[0]): UdpSocketListener {
  const made = new UdpSocketListener(init)
  onTestFinished(() => made.stop())
  return made
}

async function client(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket(type)
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve())
        } catch {
          resolve()
        }
      }),
  )
  socket.bind({ address, port: 0 })
  await waitFor(socket, 'listening')
  return socket
}

function sendDone(under: UdpSocketListener, data: Uint8Array, remote: EndPoint): Promise<Error | null> {
  return new Promise((resolve) => under.send(data, remote, resolve))
}

describe('UdpSocketListener', () => {
  test('receives datagrams with the sender endpoint and sends replies from the bound socket', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const endPoint = await under.start()
    expect(endPoint).toEqual({ address: '127.0.0.1', port: expect.any(Number), family: 'IPv4' })
    expect(endPoint.port).toBeGreaterThan(0)
    expect(under.listening).toBe(true)
    expect(under.maxDatagramSize).toBe(65_507)

    const peer = await client('udp4', '127.0.0.1')
    const received = waitFor(under, 'message')
    peer.send(Buffer.from('ping'), endPoint.port, '127.0.0.1')
    const [data, remote] = (await received) as [Buffer, EndPoint]
    expect(data.toString()).toBe('ping')
    expect(remote).toEqual({ address: '127.0.0.1', port: peer.address().port, family: 'IPv4' })

    const reply = waitFor(peer, 'message')
    expect(await sendDone(under, Buffer.from('pong'), remote)).toBeNull()
    const [replyData, replyInfo] = (await reply) as [Buffer, dgram.RemoteInfo]
    expect(replyData.toString()).toBe('pong')
    expect(replyInfo.port).toBe(endPoint.port)
    expect(under.pendingSendBytes).toBe(0)
  })

  test('works over IPv6 loopback with the IPv6 payload limit', async () => {
    const under = listener({ ip: '::1', port: 0 })
    const endPoint = await under.start()
    expect(endPoint.family).toBe('IPv6')
    expect(under.maxDatagramSize).toBe(65_527)
    const peer = await client('udp6', '::1')
    const received = waitFor(under, 'message')
    peer.send(Buffer.from('six'), endPoint.port, '::1')
    const [data, remote] = (await received) as [Buffer, EndPoint]
    expect(data.toString()).toBe('six')
    expect(remote.family).toBe('IPv6')
    const reply = waitFor(peer, 'message')
    under.send(Buffer.from('back'), remote)
    expect(((await reply) as [Buffer])[0].toString()).toBe('back')
  })

  test('a port in use rejects with ListenError whose cause is EADDRINUSE', async () => {
    const first = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await first.start()
    const second = listener({ ip: '127.0.0.1', port })
    await expect(second.start()).rejects.toMatchObject({ code: 'ERR_LISTEN_FAILED', cause: { code: 'EADDRINUSE' } })
    expect(second.listening).toBe(false)
    await first.stop()
    expect((await second.start()).port).toBe(port)
  })

  test('stop frees the port, is idempotent, and the listener binds again', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await under.start()
    await under.stop()
    await under.stop()
    expect(under.listening).toBe(false)
    expect(under.endPoint).toBeUndefined()
    const other = listener({ ip: '127.0.0.1', port })
    expect((await other.start()).port).toBe(port)
    await other.stop()
    const again = await under.start()
    const peer = await client('udp4', '127.0.0.1')
    const received = waitFor(under, 'message')
    peer.send(Buffer.from('again'), again.port, '127.0.0.1')
    expect(((await received) as [Buffer])[0].toString()).toBe('again')
  })

  test('Symbol.asyncDispose stops the listener', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    await under.start()
    await under[Symbol.asyncDispose]()
    expect(under.listening).toBe(false)
  })

  test('send reports a datagram over the limit and a listener that is not bound, without throwing', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const remote: EndPoint = { address: '127.0.0.1', port: 9, family: 'IPv4' }
    expect(await sendDone(under, Buffer.from('x'), remote)).toMatchObject({ code: 'ERR_SERVER_STATE' })
    await under.start()
    expect(await sendDone(under, Buffer.alloc(65_508), remote)).toMatchObject({ code: 'ERR_DATAGRAM_TOO_LARGE' })
    // Without a callback the failure goes to the error event.
    const reported = waitFor(under, 'error')
    under.send(Buffer.alloc(65_508), remote)
    expect((await reported)[0]).toMatchObject({ code: 'ERR_DATAGRAM_TOO_LARGE' })
  })

  test('socket errors while bound are emitted, or dropped without a listener', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    await under.start()
    const failure = new Error('icmp trouble')
    expect(() => under.dgramSocket?.emit('error', failure)).not.toThrow()
    const errors: Error[] = []
    under.on('error', (error) => errors.push(error))
    under.dgramSocket?.emit('error', failure)
    expect(errors).toEqual([failure])
    expect(under.listening).toBe(true)
  })

  test('a message listener that throws is reported as error and receiving goes on', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0 })
    const { port } = await under.start()
    const failure = new Error('owner bug')
    under.once('message', () => {
      throw failure
    })
    const reported = waitFor(under, 'error')
    const peer = await client('udp4', '127.0.0.1')
    peer.send(Buffer.from('one'), port, '127.0.0.1')
    expect(await reported).toEqual([failure])
    const received = waitFor(under, 'message')
    peer.send(Buffer.from('two'), port, '127.0.0.1')
    expect(((await received) as [Buffer])[0].toString()).toBe('two')
  })

  test('applies the buffer sizes and rejects invalid options', async () => {
    const under = listener({ ip: '127.0.0.1', port: 0, receiveBufferSize: 262_144, sendBufferSize: 131_072 })
    await under.start()
    // Linux doubles the requested sizes for bookkeeping; never less than asked.
    expect(under.dgramSocket?.getRecvBufferSize()).toBeGreaterThanOrEqual(262_144)
    expect(under.dgramSocket?.getSendBufferSize()).toBeGreaterThanOrEqual(131_072)
    for (const init of [
      { ip: 'localhost', port: 0 },
      { ip: '127.0.0.1', port: 70_000 },
      { ip: '127.0.0.1', port: 0, receiveBufferSize: 0 },
      { ip: '127.0.0.1', port: 0, sendBufferSize: 1.5 },
    ]) {
      expect(() => new UdpSocketListener(init), JSON.stringify(init)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
  })
})
