// The custom-protocol example of README.md, kept here so it is proven to work.
import { describe, expect, test } from 'vitest'
import { FixedHeaderReceiveFilter, ReceivePipeline } from '../src/index.js'

// --- README example start ---
/** A game packet: header `int16 size` (whole packet), `int16 packetId`, `int8 type`, all little endian; then the body. */
class GamePacket {
  constructor(
    readonly key: string, // the packet id as text, for logs and dispatch
    readonly packetId: number,
    readonly type: number,
    readonly body: Buffer,
  ) {}
}

const headerSize = 5

class GamePacketFilter extends FixedHeaderReceiveFilter<GamePacket> {
  constructor() {
    super(headerSize)
  }

  protected getBodyLengthFromHeader(header: Buffer): number {
    return header.readUInt16LE(0) - headerSize // a size below 5 gives a negative length: ProtocolError
  }

  protected resolveRequestInfo(header: Buffer, body: Buffer): GamePacket {
    const packetId = header.readUInt16LE(2)
    return new GamePacket(String(packetId), packetId, header.readUInt8(4), body)
  }
}

/** Encodes a packet (what a client sends). */
function encodeGamePacket(packetId: number, type: number, body: Uint8Array): Buffer {
  const packet = Buffer.alloc(headerSize + body.length)
  packet.writeUInt16LE(packet.length, 0)
  packet.writeUInt16LE(packetId, 2)
  packet.writeUInt8(type, 4)
  packet.set(body, headerSize)
  return packet
}
// --- README example end ---

describe('README custom-protocol example', () => {
  test('parses game packets split anywhere, including an empty body', () => {
    const stream = Buffer.concat([
      encodeGamePacket(1002, 1, Buffer.from('{"user":"kim"}')),
      encodeGamePacket(8011, 0, Buffer.alloc(0)),
      encodeGamePacket(1026, 2, Buffer.from('hello room')),
    ])
    for (let cut = 0; cut <= stream.length; cut++) {
      const pipeline = new ReceivePipeline(new GamePacketFilter(), { maxRequestLength: 1024 })
      pipeline.push(stream.subarray(0, cut))
      pipeline.push(stream.subarray(cut))
      const packets: GamePacket[] = []
      for (let packet = pipeline.next(); packet !== undefined; packet = pipeline.next()) packets.push(packet)
      expect(packets.map((packet) => [packet.key, packet.packetId, packet.type, packet.body.toString()])).toEqual([
        ['1002', 1002, 1, '{"user":"kim"}'],
        ['8011', 8011, 0, ''],
        ['1026', 1026, 2, 'hello room'],
      ])
    }
  })

  test('a packet whose size is below the header size, or over the limit, is a ProtocolError', () => {
    const tooSmall = new ReceivePipeline(new GamePacketFilter(), { maxRequestLength: 1024 })
    tooSmall.push(Buffer.of(4, 0, 1, 0, 0))
    expect(() => tooSmall.next()).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }))
    const tooLarge = new ReceivePipeline(new GamePacketFilter(), { maxRequestLength: 1024 })
    tooLarge.push(encodeGamePacket(1, 1, Buffer.alloc(1020)).subarray(0, headerSize))
    expect(() => tooLarge.next()).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_TOO_LARGE' }))
  })
})
