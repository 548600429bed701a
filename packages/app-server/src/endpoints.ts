import { setMaxListeners } from 'node:events'
import type net from 'node:net'
import { TcpSocketListener, UdpSocketListener } from '@socketlite/listener'
import type { AsyncSocketSessionInit } from '@socketlite/session-async'
import type { TlsCertificateStore } from '@socketlite/session-tls'
import { UdpDemultiplexer, type UdpDrop, type UdpPeerSessionInit } from '@socketlite/session-udp'
import {
  type AddressFamily,
  CloseReason,
  ConnectError,
  type EndPoint,
  formatEndPoint,
  InternalError,
  ListenError,
  type ListenerInfo,
  type Logger,
  type ReceiveFilter,
  type ResolvedListenerConfig,
  type ResolvedServerConfig,
  SocketError,
} from '@socketlite/socket-base'
import {
  type PendingConnection,
  remoteEndPointOf,
  TcpConnection,
  TlsServerConnection,
  UdpPeerConnection,
} from './pending-connection.js'
import type { RefusalSummary } from './refusal-summary.js'
import type { ServerCounters } from './server-stats.js'
import { UdpSessionIds } from './udp-session-ids.js'

/**
 * `SO_RCVBUF` (and `SO_SNDBUF`) asked for every UDP listener: room for bursts of datagrams while the process is busy.
 * The kernel caps it (Linux: `net.core.rmem_max`).
 */
const udpBufferSize = 4 * 1_048_576

/** What the endpoints report to their server. */
export interface EndpointsHost {
  readonly config: ResolvedServerConfig
  readonly logger: Logger
  /** UDP: the datagrams dropped or that name no session are counted here. */
  readonly counters: ServerCounters
  /** Where refusals (datagrams that name no session, ...) are logged as periodic summaries. */
  readonly refusals: RefusalSummary
  /** A connection arrived on a listener: admit it (limits, filters, handshake) or refuse it. */
  admit(connection: PendingConnection): void
  /** Listener-level trouble (e.g. `accept` failing with `EMFILE`); accepting goes on. */
  listenerError(error: Error, listener: ListenerInfo | undefined): void
  /**
   * A receive filter made with no session, to read the session id a datagram carries (`UdpRequestInfo`).
   * @throws whatever the filter factory throws (it may not support being called without a session).
   */
  createListenerFilter(): ReceiveFilter<unknown>
}

/** One configured endpoint and what runs on it. */
type Endpoint =
  | {
      readonly kind: 'tcp'
      readonly config: ResolvedListenerConfig
      readonly listener: TcpSocketListener
      info: ListenerInfo | undefined
    }
  | {
      readonly kind: 'udp'
      readonly config: ResolvedListenerConfig
      readonly listener: UdpSocketListener
      info: ListenerInfo | undefined
      /** Made at each start, once the socket is bound. */
      demultiplexer: UdpDemultiplexer | undefined
      /** The server is stopping: datagrams received are dropped; the socket stays open for its sessions' replies. */
      draining: boolean
    }

/** Aborts the TLS handshakes in progress when the server stops; every handshake listens to its signal. */
function handshakeController(): AbortController {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal)
  return controller
}

/**
 * The server's endpoints, bound with `@socketlite/listener`'s listeners as the config says: a `TcpSocketListener` per
 * TCP or TLS endpoint (each accepted socket becomes a pending connection: plain, or TLS with its handshake still to
 * run), a `UdpSocketListener` per UDP endpoint with session-udp's `UdpDemultiplexer` routing its datagrams to peers.
 * Everything that arrives goes to the host's admission; nothing here decides whether it becomes a session.
 *
 * UDP: datagrams that name no session (they do not parse, hold no request, mix ids, or carry none in session-id mode)
 * are dropped and counted in `getStats().datagramErrors`; datagrams for a session being closed, beyond its bounds, or
 * of a refused peer in `getStats().datagramsDropped`.
 */
export class ServerEndpoints {
  readonly #host: EndpointsHost
  readonly #streamInit: AsyncSocketSessionInit
  readonly #udpInit: UdpPeerSessionInit
  readonly #certificates: TlsCertificateStore | undefined
  readonly #endpoints: readonly Endpoint[]
  #handshakes = handshakeController()

  /**
   * @param streamInit the options of every TCP and TLS session
   * @param udpInit the options of every UDP session
   * @param certificates the server certificate, when an endpoint is TLS
   * @throws {InternalError} a TLS endpoint without a certificate (the config schema requires one).
   */
  constructor(
    host: EndpointsHost,
    streamInit: AsyncSocketSessionInit,
    udpInit: UdpPeerSessionInit,
    certificates: TlsCertificateStore | undefined,
  ) {
    this.#host = host
    this.#streamInit = streamInit
    this.#udpInit = udpInit
    this.#certificates = certificates
    const udp = host.config.mode === 'udp'
    this.#endpoints = host.config.listeners.map((config): Endpoint => {
      if (udp) {
        const listener = new UdpSocketListener({
          ip: config.ip,
          port: config.port,
          receiveBufferSize: udpBufferSize,
          sendBufferSize: udpBufferSize,
        })
        const endpoint: Endpoint = {
          kind: 'udp',
          config,
          listener,
          info: undefined,
          demultiplexer: undefined,
          draining: false,
        }
        listener.on('message', (data, remote) => {
          if (!endpoint.draining) endpoint.demultiplexer?.receive(data, remote)
        })
        listener.on('error', (error) => host.listenerError(error, endpoint.info))
        return endpoint
      }
      if (config.security === 'tls' && certificates === undefined) {
        throw new InternalError('A TLS listener without a certificate store')
      }
      const listener = new TcpSocketListener({ ip: config.ip, port: config.port, backlog: config.backlog })
      const endpoint: Endpoint = { kind: 'tcp', config, listener, info: undefined }
      listener.on('connection', (socket) => this.#accept(socket, endpoint.info))
      listener.on('error', (error) => host.listenerError(error, endpoint.info))
      return endpoint
    })
  }

  /**
   * Bind every endpoint and start accepting; resolves with the bound endpoints, in config order (actual ports when
   * `0` was asked). If one fails, the others are closed again.
   * @throws {ListenError} an endpoint could not be bound (`cause` is the system error); nothing stays bound.
   */
  async start(): Promise<ListenerInfo[]> {
    if (this.#handshakes.signal.aborted) this.#handshakes = handshakeController()
    const results = await Promise.allSettled(this.#endpoints.map((endpoint) => this.#start(endpoint)))
    const failure = results.find((result) => result.status === 'rejected')
    if (failure !== undefined) {
      await this.stop()
      const reason: unknown = failure.reason
      throw SocketError.isSocketError(reason) && reason.code === 'ERR_LISTEN_FAILED'
        ? reason
        : new ListenError('Cannot start the listeners', { cause: reason })
    }
    return results.map((result) => (result as PromiseFulfilledResult<ListenerInfo>).value)
  }

  /**
   * Stop accepting: TLS handshakes in progress are aborted, TCP listeners are closed, and UDP sockets drop what they
   * receive from now on but stay open, so that the UDP sessions still running a handler can send its replies (close
   * them with {@link ServerEndpoints.stop} once the sessions are gone). Sessions over TCP are not touched. Idempotent.
   */
  async stopAccepting(): Promise<void> {
    this.#handshakes.abort(new Error('The server is stopping'))
    await Promise.allSettled(
      this.#endpoints.map(async (endpoint) => {
        if (endpoint.kind === 'udp') {
          endpoint.draining = true
          return
        }
        await endpoint.listener.stop()
        endpoint.info = undefined
      }),
    )
  }

  /**
   * Stop every endpoint: {@link ServerEndpoints.stopAccepting}, then every UDP session still open is closed with
   * `ServerShutdown` (each sends what it queued through its listener's socket first, at most `closeTimeOut`) and the
   * UDP sockets are closed. Idempotent.
   */
  async stop(): Promise<void> {
    await this.stopAccepting()
    await Promise.allSettled(
      this.#endpoints.map(async (endpoint) => {
        if (endpoint.kind !== 'udp') return
        await endpoint.demultiplexer?.closeAll(CloseReason.ServerShutdown)
        await endpoint.listener.stop()
        endpoint.info = undefined
        endpoint.demultiplexer = undefined
        endpoint.draining = false
      }),
    )
  }

  /**
   * A session with `remote` on the first running UDP endpoint of its family (`activeConnect` in UDP mode): it sends
   * from that endpoint's socket and receives every datagram `remote` sends to it.
   * @throws {ConnectError} no running UDP endpoint of that family, or a session with `remote` exists already there.
   */
  connectDatagram(remote: EndPoint): PendingConnection {
    for (const endpoint of this.#endpoints) {
      if (endpoint.kind !== 'udp' || endpoint.info?.family !== remote.family) continue
      const demultiplexer = endpoint.demultiplexer
      if (demultiplexer === undefined) break
      return new UdpPeerConnection(demultiplexer.connect(remote), endpoint.info)
    }
    throw new ConnectError(`No running UDP listener of family ${remote.family} for ${formatEndPoint(remote)}`)
  }

  async #start(endpoint: Endpoint): Promise<ListenerInfo> {
    const bound = await endpoint.listener.start()
    const info = listenerInfo(endpoint, bound.address, bound.port, bound.family)
    if (endpoint.kind === 'udp') {
      const ids = new UdpSessionIds(() => this.#host.createListenerFilter(), this.#host.config.maxRequestLength)
      endpoint.demultiplexer = new UdpDemultiplexer({
        sender: endpoint.listener,
        localEndPoint: bound,
        session: this.#udpInit,
        sessionIdOf: (datagram) => ids.sessionIdOf(datagram),
        onPeer: (peer) => this.#host.admit(new UdpPeerConnection(peer, info)),
        onDropped: (drop) => this.#dropped(drop),
      })
    }
    endpoint.info = info
    return info
  }

  #accept(socket: net.Socket, info: ListenerInfo | undefined): void {
    const remote = remoteEndPointOf(socket)
    if (remote === undefined || info === undefined) {
      socket.destroy()
      return
    }
    if (info.security !== 'tls') {
      this.#host.admit(new TcpConnection(socket, remote, info, this.#streamInit))
      return
    }
    this.#host.admit(
      new TlsServerConnection(
        socket,
        remote,
        info,
        this.#streamInit,
        this.#certificates as TlsCertificateStore,
        this.#host.config.handshakeTimeOut,
        this.#handshakes.signal,
      ),
    )
  }

  #dropped(drop: UdpDrop): void {
    const host = this.#host
    if (drop.reason !== 'unnamed') {
      host.counters.datagramsDropped++
      return
    }
    // A datagram that names no session: nobody to give it to. It decides nothing and makes no session.
    host.counters.datagramErrors++
    const remote = formatEndPoint(drop.remoteEndPoint)
    const error = drop.error
    const code = error === undefined ? undefined : SocketError.isSocketError(error) ? error.code : 'ERR_PROTOCOL'
    host.refusals.refuse('Datagram that names no session dropped', code === undefined ? { remote } : { remote, code })
    if (error !== undefined) host.logger.debug('Datagram that names no session dropped', { remote, code, err: error })
  }
}

function listenerInfo(endpoint: Endpoint, ip: string, port: number, family: AddressFamily): ListenerInfo {
  return Object.freeze({
    ip,
    port,
    family,
    security: endpoint.kind === 'udp' ? 'none' : endpoint.config.security,
    mode: endpoint.kind,
  })
}
