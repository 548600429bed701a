import type net from 'node:net'
import { expect, onTestFinished, test } from 'vitest'
import { connectLineClient, lineReader, listenTcp, tcpSocketPair } from '../src/index.js'

test('lineReader splits on \\r\\n and \\n across chunks, keeps early lines, and ends with undefined', async () => {
  const { server: peer, client, close } = await tcpSocketPair()
  onTestFinished(close)
  const lines = lineReader(client)
  peer.write('one\r\ntw')
  expect(await lines.next()).toBe('one')
  peer.write('o\nthree\r')
  peer.write('\nfour\n')
  expect(await lines.next()).toBe('two')
  expect(await lines.next()).toBe('three')
  expect(await lines.next()).toBe('four')
  peer.end('last, unterminated')
  expect(await lines.next()).toBe('last, unterminated')
  expect(await lines.next()).toBeUndefined()
})

test('lineReader rejects when no line arrives in time, and still reads the next line after', async () => {
  const { server: peer, client, close } = await tcpSocketPair()
  onTestFinished(close)
  const lines = lineReader(client)
  peer.write('partial')
  await expect(lines.next(20)).rejects.toThrow(/no line within 20 ms/)
  peer.write(' line\r\n')
  expect(await lines.next()).toBe('partial line')
})

test('connectLineClient: say and ask write \\r\\n-terminated lines, next and ask read the answers', async () => {
  const server = await listenTcp((socket) => socket.setEncoding('latin1'))
  onTestFinished(() => server.close())
  const client = await connectLineClient(server.port)
  const peer = await server.nextConnection()
  const received: string[] = []
  let pending = ''
  peer.on('data', (text: string) => {
    received.push(text)
    pending += text
    for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
      peer.write(`got ${JSON.stringify(pending.slice(0, end + 2))}\r\n`)
      pending = pending.slice(end + 2)
    }
  })
  expect(client.say('hello')).toBe(true)
  expect(await client.next()).toBe('got "hello\\r\\n"')
  expect(await client.ask('how are you')).toBe('got "how are you\\r\\n"')
  expect(received.join('')).toBe('hello\r\nhow are you\r\n')
  peer.end()
  expect(await client.next()).toBeUndefined()
})

test('connectLineClient destroys its socket when the test finishes', async () => {
  const server = await listenTcp()
  let socket: net.Socket | undefined
  onTestFinished(async () => {
    expect(socket?.destroyed).toBe(true)
    await server.close()
  })
  socket = (await connectLineClient(server.port)).socket
  expect(socket.destroyed).toBe(false)
})
