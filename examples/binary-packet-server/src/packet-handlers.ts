import type { AppSession } from '@socketlite/app-server'
import type { BinaryPacket } from './binary-packet.js'

/** Handles one packet of a session; may return a promise (the session's next packet waits for it). */
export type PacketHandler = (session: AppSession<BinaryPacket>, packet: BinaryPacket) => void | Promise<void>

/** The packet ids this example knows. */
export const PacketId = { Echo: 1 } as const

/** The echo reply: `int32 packetId, int32 bodyLength, body` (an 8-byte header, unlike the request's 12). */
export function encodeEchoReply(packet: BinaryPacket): Buffer {
  const reply = Buffer.allocUnsafe(8 + packet.body.length)
  reply.writeInt32LE(packet.packetId, 0)
  reply.writeInt32LE(packet.body.length, 4)
  packet.body.copy(reply, 8)
  return reply
}

/** Packet id 1: reply with the same id and body. `send` waits while the client is not reading. */
export const echoHandler: PacketHandler = (session, packet) => session.send(encodeEchoReply(packet))

/** The default handler map: packet id → handler. */
export const defaultPacketHandlers: ReadonlyMap<number, PacketHandler> = new Map([[PacketId.Echo, echoHandler]])
