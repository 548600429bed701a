import type { X509Certificate } from 'node:crypto'
import type net from 'node:net'
import type tls from 'node:tls'
import { AsyncSocketSession, type AsyncSocketSessionInit } from '@socketlite/session-async'
import type { TlsSessionInfo } from '@socketlite/socket-base'
import { type SecureServerSocketOptions, secureServerSocket } from './tls-handshake.js'

/** Options of {@link TlsSocketSession}: a TCP session's, plus what the handshake established. */
export interface TlsSocketSessionInit extends AsyncSocketSessionInit {
  /**
   * The peer's certificate was verified against the CA (`caFile`). {@link TlsSocketSession.accept} sets it.
   * @default socket.authorized (set by Node for client sockets from `tls.connect`)
   */
  authorized?: boolean
}

/** Options of {@link TlsSocketSession.accept}: the handshake's and the session's. */
export interface TlsAcceptInit extends Omit<TlsSocketSessionInit, 'authorized'>, SecureServerSocketOptions {}

function infoOf(socket: tls.TLSSocket, authorized: boolean): TlsSessionInfo {
  const cipher = socket.getCipher()
  const peerCertificate = socket.getPeerCertificate()
  return Object.freeze({
    protocol: socket.getProtocol(),
    cipher: Object.freeze({
      name: cipher?.name ?? '',
      ...(cipher?.standardName === undefined ? {} : { standardName: cipher.standardName }),
      version: cipher?.version ?? '',
    }),
    peerCertificate: peerCertificate ?? undefined,
    authorized,
  })
}

/**
 * A TLS session (SuperSocket's `AsyncStreamSocketSession`): an {@link AsyncSocketSession} over a `tls.TLSSocket`
 * whose handshake is complete, so it has exactly the TCP session's close semantics, backpressure and send path
 * (queued payloads leave as one corked write per tick; TLS turns them into records). `secure` is true and
 * {@link TlsSocketSession.tls} tells the negotiated protocol, cipher and the peer's certificate.
 *
 * Make one from an accepted TCP socket with {@link TlsSocketSession.accept} (handshake, handshake timeout and
 * client-certificate check included), or wrap a TLS socket that is already secure (e.g. from `tls.connect`).
 *
 * @example
 * ```ts
 * const store = new TlsCertificateStore({ certFile: 'cert.pem', keyFile: 'key.pem' })
 * net.createServer({ allowHalfOpen: true }, async (socket) => {
 *   const session = await TlsSocketSession.accept(socket, {
 *     secureContext: store.secureContext,
 *     handshakeTimeOut: 10_000,
 *     sendHighWaterMark: 65_536,
 *     sendLowWaterMark: 32_768,
 *     closeTimeOut: 5_000,
 *   }).catch(() => undefined) // TlsHandshakeError: the connection is already destroyed
 *   session?.start({ onData: (data) => session.trySend(data), onDrain() {}, onClosed() {} })
 * }).listen(2021, '127.0.0.1')
 * ```
 */
export class TlsSocketSession extends AsyncSocketSession {
  readonly #tlsSocket: tls.TLSSocket
  readonly #info: TlsSessionInfo

  /**
   * Wrap a TLS socket whose handshake is complete; the session owns it from now on.
   * @throws {InvalidArgumentError} invalid options (see `AsyncSocketSessionInit`).
   */
  constructor(socket: tls.TLSSocket, init: TlsSocketSessionInit) {
    super(socket, init)
    this.#tlsSocket = socket
    this.#info = infoOf(socket, init.authorized ?? socket.authorized === true)
  }

  /**
   * Run the server side of the TLS handshake over an accepted TCP `socket` (see {@link secureServerSocket}) and
   * make the session once it is complete.
   * @throws {TlsHandshakeError} the handshake failed, timed out (`handshakeTimeOut`), was aborted, or the client's
   *   certificate was missing or invalid while `requestCert` is set. The connection is already destroyed.
   * @throws {InvalidArgumentError} invalid options.
   */
  static async accept(socket: net.Socket, init: TlsAcceptInit): Promise<TlsSocketSession> {
    const { secureContext, handshakeTimeOut, requestCert, signal, ...sessionInit } = init
    const handshake: SecureServerSocketOptions = { secureContext, handshakeTimeOut }
    if (requestCert !== undefined) handshake.requestCert = requestCert
    if (signal !== undefined) handshake.signal = signal
    // Socket options go to the TCP socket itself (the TLS socket forwards them too, but only once it is set up).
    socket.setNoDelay(sessionInit.noDelay ?? true)
    const tlsSocket = await secureServerSocket(socket, handshake)
    return new TlsSocketSession(tlsSocket, { ...sessionInit, authorized: requestCert === true })
  }

  /** The TLS socket (read-only use: certificates, counters; the session owns its I/O). */
  override get socket(): tls.TLSSocket {
    return this.#tlsSocket
  }

  /** Always true. */
  override get secure(): boolean {
    return true
  }

  /**
   * The negotiated protocol (`'TLSv1.3'`), cipher, the peer's certificate (an empty object when it presented none)
   * and whether that certificate was verified against the CA (`caFile`). Fixed when the session is made.
   */
  get tls(): TlsSessionInfo {
    return this.#info
  }

  /** The peer's certificate as an `X509Certificate`, when it presented one. */
  get peerX509Certificate(): X509Certificate | undefined {
    return this.#tlsSocket.getPeerX509Certificate()
  }
}
