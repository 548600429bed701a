import type net from 'node:net'
import type tls from 'node:tls'
import { AsyncSocketSession, type AsyncSocketSessionInit } from '@socketlite/session-async'
import { secureClientSocket, type TlsCertificateStore, TlsSocketSession } from '@socketlite/session-tls'
import type { UdpPeer } from '@socketlite/session-udp'
import type { EndPoint, ListenerInfo, SocketSession } from '@socketlite/socket-base'

/**
 * A connection that arrived (or was connected out) and may become a session. Admission first checks the limits
 * and the connection filters (cheap, before any handshake), then calls {@link PendingConnection.open}.
 */
export interface PendingConnection {
  readonly remoteEndPoint: EndPoint
  /** The listener it arrived on; `undefined` for an outbound connection. */
  readonly listener: ListenerInfo | undefined
  /** Connected out by `activeConnect`. */
  readonly outbound: boolean
  /** The session id to use (UDP: `ip:port`, or the id carried in the datagram); a random UUID when `undefined`. */
  readonly sessionId: string | undefined
  /**
   * Make the socket session: at once for plain TCP, after the handshake for TLS. A throw or rejection refuses the
   * connection; it is counted as `handshake` for a `TlsHandshakeError` (`ERR_TLS_HANDSHAKE`), else as `acceptError`.
   */
  open(): SocketSession | Promise<SocketSession>
  /** {@link PendingConnection.open} returns the socket session itself, never a promise (plain TCP, UDP). */
  readonly opensAtOnce: boolean
  /** Drop the connection without a session (no session events). Safe to call more than once. */
  refuse(): void
  /** Whether {@link PendingConnection.release} must be called once the session made from it closed. */
  readonly releases: boolean
  /**
   * A TLS connection accepted on a listener, whose handshake {@link PendingConnection.open} runs: it counts toward
   * `maxPendingHandshakes` instead of a session slot until the handshake is done.
   */
  readonly handshakes?: boolean
  /** The session made from it closed (after `sessionClosed`): forget it (a UDP peer's route). */
  release(): void
}

/** The remote endpoint of a connected socket; `undefined` once it is gone. */
export function remoteEndPointOf(socket: net.Socket): EndPoint | undefined {
  const address = socket.remoteAddress
  const port = socket.remotePort
  if (address === undefined || port === undefined) return undefined
  return { address, port, family: socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4' }
}

/** A plain TCP connection, accepted or connected out, that becomes an `AsyncSocketSession`. */
export class TcpConnection implements PendingConnection {
  readonly remoteEndPoint: EndPoint
  readonly listener: ListenerInfo | undefined
  readonly #socket: net.Socket
  readonly #init: AsyncSocketSessionInit

  constructor(
    socket: net.Socket,
    remoteEndPoint: EndPoint,
    listener: ListenerInfo | undefined,
    init: AsyncSocketSessionInit,
  ) {
    this.#socket = socket
    this.remoteEndPoint = remoteEndPoint
    this.listener = listener
    this.#init = init
  }

  get outbound(): boolean {
    return this.listener === undefined
  }

  get sessionId(): undefined {
    return undefined
  }

  get opensAtOnce(): boolean {
    return true
  }

  get releases(): boolean {
    return false
  }

  open(): SocketSession {
    return new AsyncSocketSession(this.#socket, this.#init)
  }

  refuse(): void {
    this.#socket.destroy()
  }

  release(): void {}
}

/**
 * A TCP connection accepted on a TLS listener. The handshake (with `handshakeTimeOut` and, with
 * `clientCertificateRequired`, the client-certificate check) runs in {@link TlsServerConnection.open}, after the
 * limits and connection filters, so refused connections cost no handshake.
 */
export class TlsServerConnection implements PendingConnection {
  readonly remoteEndPoint: EndPoint
  readonly listener: ListenerInfo
  readonly #socket: net.Socket
  readonly #init: AsyncSocketSessionInit
  readonly #certificates: TlsCertificateStore
  readonly #handshakeTimeOut: number
  readonly #signal: AbortSignal

  constructor(
    socket: net.Socket,
    remoteEndPoint: EndPoint,
    listener: ListenerInfo,
    init: AsyncSocketSessionInit,
    certificates: TlsCertificateStore,
    handshakeTimeOut: number,
    signal: AbortSignal,
  ) {
    this.#socket = socket
    this.remoteEndPoint = remoteEndPoint
    this.listener = listener
    this.#init = init
    this.#certificates = certificates
    this.#handshakeTimeOut = handshakeTimeOut
    this.#signal = signal
  }

  get outbound(): boolean {
    return false
  }

  get sessionId(): undefined {
    return undefined
  }

  get opensAtOnce(): boolean {
    return false
  }

  get releases(): boolean {
    return false
  }

  get handshakes(): boolean {
    return true
  }

  /** @throws {TlsHandshakeError} the handshake failed, timed out or was aborted (the server stops). */
  open(): Promise<SocketSession> {
    return TlsSocketSession.accept(this.#socket, {
      ...this.#init,
      // Read now: after `reloadCertificate()`, new handshakes use the new certificate.
      secureContext: this.#certificates.secureContext,
      requestCert: this.#certificates.clientCertificateRequired,
      handshakeTimeOut: this.#handshakeTimeOut,
      signal: this.#signal,
    })
  }

  refuse(): void {
    this.#socket.destroy()
  }

  release(): void {}
}

/**
 * An outbound TCP connection (`activeConnect({ tls })`) on which this server is the TLS client. The handshake runs in
 * {@link TlsClientConnection.open}, after the limits and connection filters; {@link TlsClientConnection.failure}
 * keeps why it failed.
 */
export class TlsClientConnection implements PendingConnection {
  readonly remoteEndPoint: EndPoint
  readonly #socket: net.Socket
  readonly #init: AsyncSocketSessionInit
  readonly #options: tls.ConnectionOptions
  readonly #timeout: number
  #failure: Error | undefined

  constructor(
    socket: net.Socket,
    remoteEndPoint: EndPoint,
    init: AsyncSocketSessionInit,
    options: tls.ConnectionOptions,
    timeout: number,
  ) {
    this.#socket = socket
    this.remoteEndPoint = remoteEndPoint
    this.#init = init
    this.#options = options
    this.#timeout = timeout
  }

  get listener(): undefined {
    return undefined
  }

  get outbound(): boolean {
    return true
  }

  get sessionId(): undefined {
    return undefined
  }

  get opensAtOnce(): boolean {
    return false
  }

  get releases(): boolean {
    return false
  }

  /** Why the handshake failed, once it did. */
  get failure(): Error | undefined {
    return this.#failure
  }

  /** @throws {TlsHandshakeError} the handshake failed (e.g. the server's certificate did not verify) or timed out. */
  async open(): Promise<SocketSession> {
    try {
      const secured = await secureClientSocket(this.#socket, { ...this.#options, handshakeTimeOut: this.#timeout })
      return new TlsSocketSession(secured, this.#init)
    } catch (error) {
      this.#failure = error as Error
      throw error
    }
  }

  refuse(): void {
    this.#socket.destroy()
  }

  release(): void {}
}

/** A peer of a UDP listener's demultiplexer (session-udp), or a session with a peer made by `activeConnect`. */
export class UdpPeerConnection implements PendingConnection {
  readonly listener: ListenerInfo | undefined
  readonly #peer: UdpPeer

  constructor(peer: UdpPeer, listener: ListenerInfo) {
    this.#peer = peer
    // An outbound session sends from the listener's socket, but no listener accepted it.
    this.listener = peer.outbound ? undefined : listener
  }

  /** Where the peer sends from now (it may roam in session-id mode). */
  get remoteEndPoint(): EndPoint {
    return this.#peer.remoteEndPoint
  }

  get outbound(): boolean {
    return this.#peer.outbound
  }

  get sessionId(): string {
    return this.#peer.sessionId
  }

  get opensAtOnce(): boolean {
    return true
  }

  get releases(): boolean {
    return true
  }

  open(): SocketSession {
    return this.#peer.open()
  }

  refuse(): void {
    this.#peer.refuse()
  }

  release(): void {
    this.#peer.release()
  }
}
