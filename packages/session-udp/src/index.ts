/**
 * @packageDocumentation
 * UDP sessions for socketlite: `UdpSocketSession`, the datagrams of one remote peer on a shared bound socket, with
 * the whole `SocketSession` base of `@socketlite/session-async` (close reasons, byte-bounded sending queue with water
 * marks and the writability signal, close deadline): one datagram per send, datagrams delivered whole and in order,
 * a queue bounded in count and bytes while the owner is busy, and peer roaming (`updateRemoteEndPoint`). And
 * `UdpDemultiplexer`, which routes the datagrams of one bound socket to those sessions: by remote endpoint, or by
 * the session id each datagram carries (read by a callback you pass in), with outbound sessions (`connect`).
 *
 * @example
 * ```ts
 * import { UdpSocketListener } from '@socketlite/listener'
 * import { UdpDemultiplexer } from '@socketlite/session-udp'
 *
 * const listener = new UdpSocketListener({ ip: '127.0.0.1', port: 2022 })
 * const demultiplexer = new UdpDemultiplexer({
 *   sender: listener,
 *   localEndPoint: await listener.start(),
 *   session: { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 5_000 },
 *   onPeer(peer) {
 *     const session = peer.open() // or peer.refuse()
 *     session.start({ onData: (datagram) => session.trySend(datagram), onClosed: () => peer.release() }) // echo
 *   },
 * })
 * listener.on('message', (datagram, remote) => demultiplexer.receive(datagram, remote))
 * ```
 */
export type { DatagramSender } from './datagram-sender.js'
export {
  type DatagramSessionId,
  UdpDemultiplexer,
  type UdpDemultiplexerInit,
  type UdpDrop,
  type UdpDropReason,
  type UdpPeer,
  type UdpPeerSessionInit,
} from './udp-demultiplexer.js'
export { UdpSocketSession, type UdpSocketSessionInit } from './udp-socket-session.js'
