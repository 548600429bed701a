/**
 * @packageDocumentation
 * The socket session layer of socketlite: the abstract `SocketSession` base (state machine `open → closing →
 * closed`, first-reason-wins close reasons, the send path over a `SendingQueue` with one gather write per tick,
 * backpressure, the close deadline) and `AsyncSocketSession`, the TCP session over `net.Socket`. TLS and UDP
 * sessions extend the base.
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
 *     onData: (data) => {
 *       if (!session.trySend(data)) void session.close(CloseReason.ServerClosing) // echo; a reader too slow is dropped
 *     },
 *     onDrain: () => {},
 *     onClosed: (reason) => console.log('closed with', reason),
 *   })
 * }).listen(2020, '127.0.0.1')
 * ```
 */
export { AsyncSocketSession, type AsyncSocketSessionInit } from './async-socket-session.js'
export { SocketSession, type SocketSessionInit } from './socket-session.js'
