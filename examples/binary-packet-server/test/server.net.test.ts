import { once } from 'node:events'
import { CloseReason, silentLogFactory } from '@socketlite/app-server'
import { connectTcp, readBytes, readUntilEnd } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { type BinaryPacket, encodePacket } from '../src/binary-packet.js'
import { defaultPacketHandlers, type PacketHandler } from '../src/packet-handlers.js'
import { type BinaryPacketServerOptions, createBinaryPacketServer } from '../src/server.js'

async function startServer(options: Partial<BinaryPacketServerOptions> = {}) {
  const server = createBinaryPacketServer({ port: 0, logFactory: silentLogFactory, ...options })
  const [endpoint] = await server.start()
  onTestFinished(() => server.stop())
  const client = await connectTcp(endpoint?.port ?? 0)
  onTestFinished(() => {
    client.destroy()
  })
  return { server, client }
}

function packet(packetId: number, body: string, value1 = 0, value2 = 0): Buffer {
  return encodePacket({ packetId, value1, value2, body: Buffer.from(body) })
}

/** Read one echo reply: `int32 packetId, int32 bodyLength, body`. */
async function readEcho(client: Parameters<typeof readBytes>[0]) {
  const header = await readBytes(client, 8)
  const body = await readBytes(client, header.readInt32LE(4))
  return { packetId: header.readInt32LE(0), body: body.toString() }
}

test('packet id 1 is echoed with an 8-byte reply header', async () => {
  const { client } = await startServer()
  client.write(packet(1, 'hello', 7, -3))
  expect(await readEcho(client)).toEqual({ packetId: 1, body: 'hello' })
})

test('pipelined packets sent one byte at a time: echoes in order, unknown ids dropped, empty bodies echoed', async () => {
  const { client } = await startServer()
  client.setNoDelay(true)
  const stream = Buffer.concat([packet(1, 'first'), packet(42, 'ignored'), packet(1, ''), packet(1, 'last')])
  for (let index = 0; index < stream.length; index++) client.write(stream.subarray(index, index + 1))
  expect(await readEcho(client)).toEqual({ packetId: 1, body: 'first' })
  expect(await readEcho(client)).toEqual({ packetId: 1, body: '' })
  expect(await readEcho(client)).toEqual({ packetId: 1, body: 'last' })
})

test('a handler map of your own: packet id 2 adds the header values', async () => {
  const add: PacketHandler = (session, { value1, value2 }: BinaryPacket) => {
    const reply = Buffer.alloc(8)
    reply.writeInt32LE(2, 0)
    reply.writeInt32LE(value1 + value2, 4)
    session.trySend(reply)
  }
  const { client } = await startServer({ handlers: new Map([...defaultPacketHandlers, [2, add]]) })
  client.write(Buffer.concat([packet(2, '', 40, 2), packet(1, 'still echoes')]))
  const sum = await readBytes(client, 8)
  expect([sum.readInt32LE(0), sum.readInt32LE(4)]).toEqual([2, 42])
  expect(await readEcho(client)).toEqual({ packetId: 1, body: 'still echoes' })
})

test('a packet over maxRequestLength closes the session with ProtocolError before its body arrives', async () => {
  const { server, client } = await startServer({ maxRequestLength: 64 })
  const closed = once(server, 'sessionClosed', { signal: AbortSignal.timeout(2_000) })
  const oversized = packet(1, 'x'.repeat(53)) // 12 + 53 = 65 bytes
  client.write(Buffer.concat([packet(1, 'x'.repeat(52)), oversized.subarray(0, 12)]))
  expect((await readEcho(client)).body).toHaveLength(52) // exactly 64 bytes is accepted
  const [, reason] = await closed
  expect(reason).toBe(CloseReason.ProtocolError)
  expect((await readUntilEnd(client)).length).toBe(0)
})

test('a negative body length is a protocol error', async () => {
  const { server, client } = await startServer()
  const closed = once(server, 'sessionClosed', { signal: AbortSignal.timeout(2_000) })
  const bad = packet(1, '')
  bad.writeInt32LE(-1, 8)
  client.write(bad)
  const [, reason] = await closed
  expect(reason).toBe(CloseReason.ProtocolError)
})
