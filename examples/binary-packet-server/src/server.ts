import { AppServer, type LogFactory } from '@socketlite/app-server'
import type { BinaryPacket } from './binary-packet.js'
import { BinaryPacketReceiveFilter } from './binary-packet-receive-filter.js'
import { defaultPacketHandlers, type PacketHandler } from './packet-handlers.js'

/** Options of {@link createBinaryPacketServer}. */
export interface BinaryPacketServerOptions {
  /** Port on 127.0.0.1; 0 = ephemeral. */
  port: number
  /**
   * Largest packet (header + body) in bytes; a larger one closes the session with `ProtocolError`.
   * @default 65536
   */
  maxRequestLength?: number
  /**
   * Packet id → handler; packets with another id are logged and dropped.
   * @default defaultPacketHandlers (id 1: echo)
   */
  handlers?: ReadonlyMap<number, PacketHandler>
  /** Where the server logs. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/**
 * SuperSocketLite's `BinaryPacketServer`: binary packets with a 12-byte header, each packet id routed to its handler
 * as a command (`server.command`). Call `start()` on the result.
 * @throws {ConfigError} a bad port or `maxRequestLength`.
 */
export function createBinaryPacketServer(options: BinaryPacketServerOptions): AppServer<BinaryPacket> {
  const handlers = options.handlers ?? defaultPacketHandlers
  const server = new AppServer<BinaryPacket>({
    config: { name: 'binary-packet-server', port: options.port, maxRequestLength: options.maxRequestLength ?? 65_536 },
    receiveFilterFactory: () => new BinaryPacketReceiveFilter(),
    ...(options.logFactory === undefined ? {} : { logFactory: options.logFactory }),
  })
  // One command per packet id (a packet's key is its id as text); packets of other ids fall through to here.
  for (const [packetId, handler] of handlers) server.command(String(packetId), handler)
  server.on('newRequestReceived', (session, packet) => {
    session.logger.warn('Unknown packet id; dropped', { sessionId: session.sessionId, packetId: packet.packetId })
  })
  return server
}
