import type { X509Certificate } from 'node:crypto'
import net from 'node:net'
import type tls from 'node:tls'
import {
  AsyncSocketSession,
  type AsyncSocketSessionInit,
  type ConnectSocketOptions,
  connectSocket,
} from '@socketlite/session-async'
import { InvalidArgumentError, type TlsSessionInfo } from '@socketlite/socket-base'
import {
  type SecureClientSocketOptions,
  type SecureServerSocketOptions,
  secureClientSocket,
  secureServerSocket,
} from './tls-handshake.js'

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

/**
 * Options of {@link TlsSocketSession.connect}: where to connect (`host`, `port`, `timeout`, `signal`, ... as for
 * `connectSocket`), Node's TLS client options (`ca`, `cert`, `key`, `servername`, `rejectUnauthorized`, ...), the
 * handshake timeout, and the session's options.
 */
export interface TlsConnectInit
  extends Omit<TlsSocketSessionInit, 'authorized'>,
    ConnectSocketOptions,
    Omit<SecureClientSocketOptions, 'handshakeTimeOut' | 'signal'> {
  /**
   * The server has this many milliseconds to complete the handshake once connected. A positive integer.
   * @default the connect `timeout` (10000)
   */
  handshakeTimeOut?: number
}

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
 * client-certificate check included), connect out with {@link TlsSocketSession.connect} (TCP connect, client
 * handshake, server certificate verified), or wrap a TLS socket that is already secure.
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
 *   session?.start({ onData: (data) => session.trySend(data), onClosed() {} })
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

  /**
   * Connect to `host:port`, run the client handshake (the server's certificate is verified against `ca`, or the
   * system CAs, for `servername`, which defaults to `host` unless `host` is an IP address) and make the session (not
   * started yet).
   * @throws {InvalidArgumentError} a bad `host`, `port`, `timeout` or `handshakeTimeOut` (synchronously), or bad
   *   session options (the connection is then closed again).
   * @throws {ConnectError} (`ERR_CONNECT_FAILED`) the TCP connection was refused, failed, timed out or was aborted.
   * @throws {TlsHandshakeError} (`ERR_TLS_HANDSHAKE`) the handshake failed (e.g. the certificate did not verify),
   *   took longer than `handshakeTimeOut`, or was aborted; the connection is destroyed.
   */
  static override connect(init: TlsConnectInit): Promise<TlsSocketSession> {
    const {
      host,
      port,
      timeout,
      signal,
      localAddress,
      family,
      handshakeTimeOut,
      sendHighWaterMark,
      sendLowWaterMark,
      closeTimeOut,
      sendStallTimeOut,
      sendPool,
      noDelay,
      keepAliveTime,
      allowHalfOpen,
      ...tlsOptions
    } = init
    const sessionInit: TlsSocketSessionInit = { sendHighWaterMark, sendLowWaterMark, closeTimeOut }
    if (sendStallTimeOut !== undefined) sessionInit.sendStallTimeOut = sendStallTimeOut
    if (sendPool !== undefined) sessionInit.sendPool = sendPool
    if (noDelay !== undefined) sessionInit.noDelay = noDelay
    if (keepAliveTime !== undefined) sessionInit.keepAliveTime = keepAliveTime
    if (allowHalfOpen !== undefined) sessionInit.allowHalfOpen = allowHalfOpen
    const connectTimeOut = timeout ?? 10_000
    const handshake: SecureClientSocketOptions = { ...tlsOptions, handshakeTimeOut: handshakeTimeOut ?? connectTimeOut }
    if (handshake.servername === undefined && net.isIP(host) === 0) handshake.servername = host
    if (signal !== undefined) handshake.signal = signal
    if (!Number.isInteger(handshake.handshakeTimeOut) || handshake.handshakeTimeOut < 1) {
      throw new InvalidArgumentError(
        `handshakeTimeOut must be a positive integer (ms), got ${String(handshake.handshakeTimeOut)}`,
      )
    }
    const connecting = connectSocket({
      host,
      port,
      timeout: connectTimeOut,
      ...(signal === undefined ? {} : { signal }),
      ...(localAddress === undefined ? {} : { localAddress }),
      ...(family === undefined ? {} : { family }),
    })
    return connecting.then(async (socket) => {
      socket.setNoDelay(noDelay ?? true)
      const secured = await secureClientSocket(socket, handshake)
      try {
        return new TlsSocketSession(secured, sessionInit)
      } catch (error) {
        secured.destroy()
        throw error
      }
    })
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
