/**
 * @packageDocumentation
 * TLS sessions for socketlite: `TlsSocketSession` (TLS over an accepted TCP socket, or connected out with
 * `TlsSocketSession.connect`, with the TCP session's close semantics, backpressure and send path),
 * `secureServerSocket` / `secureClientSocket` (the server and client handshakes, each with a timeout that really
 * drops the connection; client-certificate checks on the server side, server-certificate checks on the client
 * side), and `TlsCertificateStore` (PEM or PFX files loaded eagerly into a `tls.SecureContext`, with live reload).
 *
 * @example
 * ```ts
 * import net from 'node:net'
 * import { TlsCertificateStore, TlsSocketSession } from '@socketlite/session-tls'
 *
 * const store = new TlsCertificateStore({ certFile: 'cert.pem', keyFile: 'key.pem' }) // ConfigError if unusable
 * net.createServer({ allowHalfOpen: true }, (socket) => {
 *   TlsSocketSession.accept(socket, {
 *     secureContext: store.secureContext,
 *     handshakeTimeOut: 10_000,
 *     sendHighWaterMark: 65_536,
 *     sendLowWaterMark: 32_768,
 *     closeTimeOut: 5_000,
 *   }).then(
 *     (session) => session.start({ onData: (data) => session.trySend(data), onClosed() {} }),
 *     () => {}, // TlsHandshakeError: the connection was already dropped
 *   )
 * }).listen(2021, '127.0.0.1')
 * ```
 */
export {
  TlsCertificateStore,
  type TlsCertificateStoreOptions,
} from './tls-certificate-store.js'
export {
  type SecureClientSocketOptions,
  type SecureServerSocketOptions,
  secureClientSocket,
  secureServerSocket,
} from './tls-handshake.js'
export {
  type TlsAcceptInit,
  type TlsConnectInit,
  TlsSocketSession,
  type TlsSocketSessionInit,
} from './tls-socket-session.js'
