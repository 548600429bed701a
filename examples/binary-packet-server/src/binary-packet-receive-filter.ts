import { FixedHeaderReceiveFilter } from '@socketlite/protocol'
import { BinaryPacket, packetHeaderSize } from './binary-packet.js'

/**
 * Splits the stream into {@link BinaryPacket}s: a 12-byte header whose last field is the body length, then the
 * body. All the framing work (chunks split anywhere, the `maxRequestLength` check, empty bodies) is the base class's.
 */
export class BinaryPacketReceiveFilter extends FixedHeaderReceiveFilter<BinaryPacket> {
  constructor() {
    super(packetHeaderSize)
  }

  protected getBodyLengthFromHeader(header: Buffer): number {
    return header.readInt32LE(8)
  }

  protected resolveRequestInfo(header: Buffer, body: Buffer): BinaryPacket {
    return new BinaryPacket(header.readInt32LE(0), header.readInt16LE(4), header.readInt16LE(6), body)
  }
}
