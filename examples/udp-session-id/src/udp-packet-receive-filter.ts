import { ProtocolError, type ReceiveFilterContext } from '@socketlite/app-server'
import { ReceiveFilterBase } from '@socketlite/protocol'
import { UdpPacket, udpPacketHeaderSize } from './udp-packet.js'

/**
 * Reads one whole datagram into a {@link UdpPacket} (a UDP request never spans datagrams). The server also uses one
 * instance made without a session to read each datagram's session id before it knows the session. A datagram shorter
 * than the header is a protocol error: it is dropped, and the session (if any) lives on.
 */
export class UdpPacketReceiveFilter extends ReceiveFilterBase<UdpPacket> {
  get leftBufferSize(): number {
    return 0
  }

  protected doFilter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<UdpPacket>): number {
    if (length < udpPacketHeaderSize) throw new ProtocolError('A datagram starts with a 4-byte key and a 36-byte id')
    const header = data.toString('latin1', offset, offset + udpPacketHeaderSize)
    const value = data.toString('utf8', offset + udpPacketHeaderSize, offset + length)
    context.request = new UdpPacket(header.slice(0, 4), header.slice(4), value)
    return length
  }

  protected resetFrame(): void {}
}
