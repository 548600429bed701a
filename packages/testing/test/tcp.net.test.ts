import net from 'node:net'
import { expect, onTestFinished, test } from 'vitest'
import { connectTcp, listenTcp, readBytes, readUntilEnd, streamPeer, tcpSocketPair, waitFor } from '../src/index.js'

test('listenTcp binds an ephemeral loopback port and connectTcp reaches it', async () => {
  const server = await listenTcp((socket) => socket.pipe(socket))
  onTestFinished(() => server.close())
  expect(server.port).toBeGreaterThan(0)
  expect(server.host).toBe('127.0.0.1')
  const client = await connectTcp(server.port)
  onTestFinished(() => {
    client.destroy()
  })
  const accepted = await server.nextConnection()
  expect(accepted.remotePort).toBe(client.localPort)
  client.write('ping')
  expect((await readBytes(client, 4)).toString()).toBe('ping')
})

test('listenTcp and connectTcp work over IPv6 loopback', async () => {
  const server = await listenTcp((socket) => socket.pipe(socket), { host: '::1' })
  onTestFinished(() => server.close())
  const client = await connectTcp(server.port, '::1')
  onTestFinished(() => {
    client.destroy()
  })
  expect(client.remoteFamily).toBe('IPv6')
  client.write('v6')
  expect((await readBytes(client, 2)).toString()).toBe('v6')
})

test('readBytes reads exact amounts and leaves the rest for the next call', async () => {
  const pair = await tcpSocketPair()
  onTestFinished(() => pair.close())
  pair.server.write('abcdefgh')
  expect((await readBytes(pair.client, 3)).toString()).toBe('abc')
  expect((await readBytes(pair.client, 5)).toString()).toBe('defgh')
  expect((await readBytes(pair.client, 0)).length).toBe(0)
})

test('readBytes rejects when the stream ends first, readUntilEnd collects up to the end', async () => {
  const first = await tcpSocketPair()
  onTestFinished(() => first.close())
  first.server.end('abc')
  await expect(readBytes(first.client, 10)).rejects.toThrow()

  const second = await tcpSocketPair()
  onTestFinished(() => second.close())
  second.server.write('hello ')
  second.server.end('world')
  expect((await readUntilEnd(second.client)).toString()).toBe('hello world')
})

test('readBytes rejects after its timeout', async () => {
  const pair = await tcpSocketPair()
  onTestFinished(() => pair.close())
  await expect(readBytes(pair.client, 1, 50)).rejects.toThrow(/timed out/)
})

test('nextConnection rejects when nobody connects in time', async () => {
  const server = await listenTcp()
  onTestFinished(() => server.close())
  await expect(server.nextConnection(50)).rejects.toThrow()
})

test('close destroys accepted sockets and frees the port', async () => {
  const server = await listenTcp()
  const client = await connectTcp(server.port)
  onTestFinished(() => {
    client.destroy()
  })
  await server.nextConnection()
  const closed = waitFor(client, 'close')
  await server.close()
  await closed
  expect(server.server.listening).toBe(false)
  const probe = net.createServer()
  onTestFinished(() => {
    probe.close()
  })
  probe.listen({ host: '127.0.0.1', port: server.port })
  await waitFor(probe, 'listening')
})

test('streamPeer reads, sees the end and survives a reset of its socket', async () => {
  const pair = await tcpSocketPair()
  onTestFinished(() => pair.close())
  const peer = streamPeer(pair.client)
  pair.server.write('12345')
  expect((await peer.read(2)).toString()).toBe('12')
  pair.server.end('678')
  expect((await peer.read(6)).toString()).toBe('345678')
  await peer.ended?.()
  await expect(peer.read(1, 100)).rejects.toThrow()
  peer.reset?.()
})
