/**
 * @packageDocumentation
 * The socket session layer of socketlite: the abstract `SocketSession` base (state machine `open → closing →
 * closed`, first-reason-wins close reasons, the send path over a coalescing `SendingQueue` with one gather write per
 * tick, one writability signal for backpressure, the close deadline) and `AsyncSocketSession`, the TCP session over
 * `net.Socket`, accepted or connected out (`AsyncSocketSession.connect`, `connectSocket`). TLS and UDP sessions
 * extend the base.
 *
 * @example
 * ```ts
 * import net from 'node:net'
 * import { AsyncSocketSession } from '@socketlite/session-async'
 * import { CloseReason } from '@socketlite/socket-base'
 *
 * net.createServer({ allowHalfOpen: true }, (socket) => {
 *   const session = new AsyncSocketSession(socket, { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 5_000 })
 *   session.start({
 *     onData: (data) => session.trySend(data), // echo: the received buffer is handed over, no copy
 *     onWritabilityChanged: (writable) => (writable ? session.resumeReceive() : session.pauseReceive()),
 *     onClosed: (reason) => console.log('closed with', reason),
 *   })
 * }).listen(2020, '127.0.0.1')
 * ```
 */
export {
  type AsyncSocketConnectInit,
  AsyncSocketSession,
  type AsyncSocketSessionInit,
} from './async-socket-session.js'
export { type ConnectSocketOptions, connectSocket } from './connect.js'
export { SocketSession, type SocketSessionInit, type SocketSessionTransportOptions } from './socket-session.js'
