import { BinaryRequestInfo } from '@socketlite/protocol'

/** Bytes in every packet header: `int32 packetId, int16 value1, int16 value2, int32 bodyLength`, little endian. */
export const packetHeaderSize = 12

/** The fields of one packet. */
export interface PacketFields {
  readonly packetId: number
  readonly value1: number
  readonly value2: number
  readonly body: Uint8Array
}

/**
 * One packet as the server's handlers see it: the header fields, and the body. `key` is the packet id as text
 * (SuperSocket dispatched commands on the key).
 */
export class BinaryPacket extends BinaryRequestInfo implements PacketFields {
  readonly packetId: number
  readonly value1: number
  readonly value2: number

  constructor(packetId: number, value1: number, value2: number, body: Buffer) {
    super(String(packetId), body)
    this.packetId = packetId
    this.value1 = value1
    this.value2 = value2
  }
}

/** The bytes of one packet (header + body), as a client sends it. */
export function encodePacket({ packetId, value1, value2, body }: PacketFields): Buffer {
  const packet = Buffer.allocUnsafe(packetHeaderSize + body.byteLength)
  packet.writeInt32LE(packetId, 0)
  packet.writeInt16LE(value1, 4)
  packet.writeInt16LE(value2, 6)
  packet.writeInt32LE(body.byteLength, 8)
  packet.set(body, packetHeaderSize)
  return packet
}
