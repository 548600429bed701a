import { setMaxListeners } from 'node:events'
import type net from 'node:net'
import type tls from 'node:tls'
import { TcpSocketListener } from '@socketlite/listener'
import type { ChunkPool } from '@socketlite/sending-queue'
import {
  secureClientSocket,
  type TlsCertificateStore,
  TlsSocketSession,
  type TlsSocketSessionInit,
} from '@socketlite/session-tls'
import {
  type EndPoint,
  InternalError,
  type ListenerInfo,
  type ResolvedListenerConfig,
  type ResolvedServerConfig,
  type SocketSession,
} from '@socketlite/socket-base'
import { remoteEndPointOf } from './tcp-transport.js'
import type { IncomingConnection, Transport, TransportHost } from './transport.js'

/** The session options of a TLS session, from the server config. */
function sessionInit(config: ResolvedServerConfig, sendPool: ChunkPool): TlsSocketSessionInit {
  return {
    sendHighWaterMark: config.sendHighWaterMark,
    sendLowWaterMark: config.sendLowWaterMark,
    closeTimeOut: config.closeTimeOut,
    sendPool,
    noDelay: config.noDelay,
    keepAliveTime: config.keepAliveTime,
  }
}

/**
 * An accepted TCP connection on a TLS listener. Limits and connection filters are checked before
 * {@link TlsIncomingConnection.open} runs the handshake (with `handshakeTimeOut` and, with
 * `clientCertificateRequired`, the client-certificate check), so refused connections cost no handshake.
 */
export class TlsIncomingConnection implements IncomingConnection {
  readonly remoteEndPoint: EndPoint
  readonly #socket: net.Socket
  readonly #config: ResolvedServerConfig
  readonly #sendPool: ChunkPool
  readonly #certificates: TlsCertificateStore
  readonly #signal: AbortSignal

  constructor(
    socket: net.Socket,
    remoteEndPoint: EndPoint,
    config: ResolvedServerConfig,
    sendPool: ChunkPool,
    certificates: TlsCertificateStore,
    signal: AbortSignal,
  ) {
    this.#socket = socket
    this.remoteEndPoint = remoteEndPoint
    this.#config = config
    this.#sendPool = sendPool
    this.#certificates = certificates
    this.#signal = signal
  }

  /** @throws {TlsHandshakeError} the handshake failed, timed out or was aborted (the server stops). */
  open(): Promise<SocketSession> {
    return TlsSocketSession.accept(this.#socket, {
      ...sessionInit(this.#config, this.#sendPool),
      // Read now: after `reloadCertificate()`, new handshakes use the new certificate.
      secureContext: this.#certificates.secureContext,
      requestCert: this.#certificates.clientCertificateRequired,
      handshakeTimeOut: this.#config.handshakeTimeOut,
      signal: this.#signal,
    })
  }

  refuse(): void {
    this.#socket.destroy()
  }
}

/**
 * An outbound TCP connection (`activeConnect({ tls })`) on which this server is the TLS client. The handshake runs
 * in {@link TlsOutgoingConnection.open}, after the limits and connection filters; {@link TlsOutgoingConnection.failure}
 * keeps why it failed.
 */
export class TlsOutgoingConnection implements IncomingConnection {
  readonly remoteEndPoint: EndPoint
  readonly #socket: net.Socket
  readonly #config: ResolvedServerConfig
  readonly #sendPool: ChunkPool
  readonly #options: tls.ConnectionOptions
  readonly #timeout: number
  #failure: Error | undefined

  constructor(
    socket: net.Socket,
    remoteEndPoint: EndPoint,
    config: ResolvedServerConfig,
    sendPool: ChunkPool,
    options: tls.ConnectionOptions,
    timeout: number,
  ) {
    this.#socket = socket
    this.remoteEndPoint = remoteEndPoint
    this.#config = config
    this.#sendPool = sendPool
    this.#options = options
    this.#timeout = timeout
  }

  /** Why the handshake failed, once it did. */
  get failure(): Error | undefined {
    return this.#failure
  }

  /** @throws {TlsHandshakeError} the handshake failed (e.g. the server's certificate did not verify) or timed out. */
  async open(): Promise<SocketSession> {
    try {
      const secured = await secureClientSocket(this.#socket, { ...this.#options, handshakeTimeOut: this.#timeout })
      return new TlsSocketSession(secured, sessionInit(this.#config, this.#sendPool))
    } catch (error) {
      this.#failure = error as Error
      throw error
    }
  }

  refuse(): void {
    this.#socket.destroy()
  }
}

/** Aborts the handshakes in progress when the transport stops; every handshake listens to its signal. */
function handshakeController(): AbortController {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal)
  return controller
}

/**
 * A TLS endpoint: a {@link TcpSocketListener} whose connections become {@link TlsSocketSession}s after the
 * handshake. Handshakes in progress are aborted when the transport stops.
 */
export class TlsTransport implements Transport {
  readonly #listener: TcpSocketListener
  readonly #host: TransportHost
  readonly #certificates: TlsCertificateStore
  #handshakes = handshakeController()
  #info: ListenerInfo | undefined

  /** @throws {InternalError} the host has no certificate (the config schema requires one for a TLS listener). */
  constructor(config: ResolvedListenerConfig, host: TransportHost) {
    if (host.certificates === undefined) throw new InternalError('A TLS listener without a certificate store')
    this.#host = host
    this.#certificates = host.certificates
    this.#listener = new TcpSocketListener({ ip: config.ip, port: config.port, backlog: config.backlog })
    this.#listener.on('connection', (socket) => this.#onConnection(socket))
    this.#listener.on('error', (error) => host.listenerError(error, this.#info))
  }

  async start(): Promise<ListenerInfo> {
    const endPoint = await this.#listener.start()
    if (this.#handshakes.signal.aborted) this.#handshakes = handshakeController()
    this.#info = Object.freeze({
      ip: endPoint.address,
      port: endPoint.port,
      family: endPoint.family,
      security: 'tls',
      mode: 'tcp',
    })
    return this.#info
  }

  async stop(): Promise<void> {
    this.#handshakes.abort(new Error('The server is stopping'))
    await this.#listener.stop()
  }

  #onConnection(socket: net.Socket): void {
    const remoteEndPoint = remoteEndPointOf(socket)
    const info = this.#info
    if (remoteEndPoint === undefined || info === undefined) {
      socket.destroy()
      return
    }
    const host = this.#host
    host.acceptConnection(
      new TlsIncomingConnection(
        socket,
        remoteEndPoint,
        host.config,
        host.sendPool,
        this.#certificates,
        this.#handshakes.signal,
      ),
      info,
    )
  }
}
