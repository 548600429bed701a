import { AppServer, AppSession, formatEndPoint, type LogFactory } from '@socketlite/app-server'
import { encodeUdpPacket, type UdpPacket } from './udp-packet.js'
import { UdpPacketReceiveFilter } from './udp-packet-receive-filter.js'

/** A session keeps its state across address changes: here, how many requests it sent. */
export class UdpIdSession extends AppSession<UdpPacket> {
  requests = 0
}

/** Options of {@link createUdpSessionIdServer}. */
export interface UdpSessionIdServerOptions {
  /** UDP port on 127.0.0.1; 0 = ephemeral. */
  port: number
  /**
   * Close a session that sent nothing for this long (seconds); UDP has no FIN, so this is how sessions end.
   * @default 300
   */
  idleSessionTimeOut?: number
  /** Where the server logs. @default new ConsoleLogFactory() */
  logFactory?: LogFactory
}

/**
 * SuperSocketLite's `SimpleUDPServer` tutorial: every datagram carries its session id, so the session follows the id,
 * not the address: a peer whose address changes (NAT rebinding, another network) keeps its session, and replies go to
 * its new address. `ECHO` answers with the same value; `STAT` with `<requests> <address replies go to>`. Answers use
 * the request layout. Call `start()` on the result.
 */
export function createUdpSessionIdServer(options: UdpSessionIdServerOptions): AppServer<UdpPacket, UdpIdSession> {
  const server = new AppServer<UdpPacket, UdpIdSession>({
    config: {
      name: 'udp-session-id',
      mode: 'udp',
      port: options.port,
      idleSessionTimeOut: options.idleSessionTimeOut ?? 300,
      clearIdleSessionInterval: Math.min(options.idleSessionTimeOut ?? 300, 120),
    },
    receiveFilterFactory: () => new UdpPacketReceiveFilter(),
    sessionClass: UdpIdSession,
    ...(options.logFactory === undefined ? {} : { logFactory: options.logFactory }),
  })
  server.on('newRequestReceived', (session, packet) => {
    session.requests++
    const reply = (value: string) => session.trySend(encodeUdpPacket(packet.key, packet.sessionId, value))
    if (packet.key === 'ECHO') reply(packet.value)
    else if (packet.key === 'STAT') reply(`${session.requests} ${formatEndPoint(session.remoteEndPoint)}`)
    else reply(`unknown key ${packet.key}`)
  })
  return server
}
