/**
 * @packageDocumentation
 * UDP sessions for socketlite: `UdpSocketSession`, the datagrams of one remote peer on a shared bound socket, with
 * the whole `SocketSession` base of `@socketlite/session-async` (close reasons, byte-bounded sending queue with water
 * marks, close deadline): one datagram per `trySend`, datagrams delivered whole and in order, a bounded queue while
 * the owner is busy, and peer roaming (`updateRemoteEndPoint`).
 *
 * @example
 * ```ts
 * import { UdpSocketListener } from '@socketlite/listener'
 * import { formatEndPoint } from '@socketlite/socket-base'
 * import { UdpSocketSession } from '@socketlite/session-udp'
 *
 * const listener = new UdpSocketListener({ ip: '127.0.0.1', port: 2022 })
 * const local = await listener.start()
 * const sessions = new Map<string, UdpSocketSession>()
 * listener.on('message', (data, remote) => {
 *   const key = formatEndPoint(remote) // '127.0.0.1:50123'
 *   let session = sessions.get(key)
 *   if (session === undefined) {
 *     const created = new UdpSocketSession({ sender: listener, remoteEndPoint: remote, localEndPoint: local,
 *       sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 5_000 })
 *     created.start({ onData: (datagram) => created.trySend(datagram), onDrain() {}, onClosed: () => sessions.delete(key) })
 *     sessions.set(key, created)
 *     session = created
 *   }
 *   session.receive(data) // echo, one datagram back per datagram in
 * })
 * ```
 */
export type { DatagramSender } from './datagram-sender.js'
export { UdpSocketSession, type UdpSocketSessionInit } from './udp-socket-session.js'
