import { UdpSocketListener } from '@socketlite/listener'
import { ReceivePipeline } from '@socketlite/protocol'
import { UdpSocketSession } from '@socketlite/session-udp'
import {
  CloseReason,
  ConnectError,
  type EndPoint,
  formatEndPoint,
  type ListenerInfo,
  type ReceiveFilter,
  type ResolvedListenerConfig,
  SocketError,
  type SocketSession,
} from '@socketlite/socket-base'
import type { IncomingConnection, Transport, TransportHost } from './transport.js'

/**
 * `SO_RCVBUF` asked for every UDP listener: room for bursts of datagrams while the process is busy. The kernel caps
 * it (Linux: `net.core.rmem_max`).
 */
export const udpReceiveBufferSize = 4 * 1_048_576

/**
 * Datagrams of one session that may wait while its handler is busy (or while the session is being admitted); more
 * are dropped and counted in `getStats().datagramsDropped`.
 */
export const maxQueuedDatagrams = 1_024

/** One peer (or session id) of a UDP listener, from its first datagram until its session closed. */
interface Route {
  /** Key in its routing map: `ip:port`, or the lower-cased session id. */
  readonly key: string
  readonly byId: boolean
  /** Made by `activeConnect`: every datagram from its endpoint goes to it. */
  readonly outbound: boolean
  remote: EndPoint
  remoteKey: string
  session: UdpSocketSession | undefined
  /** Datagrams that arrived while the session is being admitted (limits, connection filters). */
  pending: Buffer[] | undefined
}

/** A datagram that names no session; `error` when it does not parse. */
interface Unnamed {
  readonly error?: unknown
}

const unnamed: Unnamed = Object.freeze({})

/**
 * What a datagram's requests say about its session: the id they all carry, `null` when none of them carries one,
 * else {@link Unnamed} (it does not parse, holds no request, or mixes ids, or requests with and without one).
 */
type SessionIdResult = string | null | Unnamed

/**
 * A UDP endpoint (SuperSocket's `UdpSocketListener` + `UdpSocketServer`): one bound socket shared by every peer, and
 * the demultiplexer that turns peers into {@link UdpSocketSession}s.
 *
 * - **Endpoint mode** (the default): a session per remote endpoint, id `ip:port` / `[ip]:port`, made by the peer's
 *   first datagram. Datagrams that arrive while it is admitted wait (bounded), so two first datagrams never make two
 *   sessions (SuperSocket's B13 race).
 * - **Session-id mode**: when the receive filter yields requests with a `sessionId` (`UdpRequestInfo`), one filter
 *   per listener (made with no session) reads each datagram's id first; the session follows its id, and when the id
 *   arrives from a new address, replies go there (roaming). The session's own filter then parses the datagram again
 *   for dispatch.
 * - The mode is decided once per run of the listener, by the first datagram whose requests say it: all carry one id
 *   (session-id mode) or none carries any (endpoint mode). A datagram that says neither (it does not parse, holds no
 *   request, or mixes ids) decides nothing and makes no session: it is dropped and counted in
 *   `getStats().datagramErrors`. So is, in session-id mode, a datagram that names no session.
 * - A datagram that arrives for a session being closed, or over the session's queue bound, is dropped and counted;
 *   so are the datagrams of a refused peer (each new datagram of it is a new admission attempt).
 */
export class UdpTransport implements Transport {
  readonly #listener: UdpSocketListener
  readonly #host: TransportHost
  readonly #byEndPoint = new Map<string, Route>()
  readonly #byId = new Map<string, Route>()
  /** `undefined` until a datagram decides; then true for session-id mode. */
  #idMode: boolean | undefined
  /** The listener's own filter for session-id mode; `null` when the factory cannot make one without a session. */
  #idPipeline: ReceivePipeline<unknown> | null | undefined
  /** The filter {@link UdpTransport.#idPipeline} starts every datagram with. */
  #idFilter: ReceiveFilter<unknown> | undefined
  /** A datagram that named no session was logged at warn level; later ones go to debug. */
  #warnedUnnamed = false
  #info: ListenerInfo | undefined
  #local: EndPoint | undefined

  constructor(config: ResolvedListenerConfig, host: TransportHost) {
    this.#host = host
    this.#listener = new UdpSocketListener({
      ip: config.ip,
      port: config.port,
      receiveBufferSize: udpReceiveBufferSize,
      sendBufferSize: udpReceiveBufferSize,
    })
    this.#listener.on('message', (data, remote) => this.#onMessage(data, remote))
    this.#listener.on('error', (error) => host.listenerError(error, this.#info))
  }

  /** The bound endpoint while running. */
  get info(): ListenerInfo | undefined {
    return this.#info
  }

  async start(): Promise<ListenerInfo> {
    const endPoint = await this.#listener.start()
    this.#local = endPoint
    this.#info = Object.freeze({
      ip: endPoint.address,
      port: endPoint.port,
      family: endPoint.family,
      security: 'none',
      mode: 'udp',
    })
    return this.#info
  }

  /**
   * Close every session of this listener with `ServerShutdown` (each sends what it queued, at most `closeTimeOut`),
   * then the socket.
   */
  async stop(): Promise<void> {
    const closing: Promise<void>[] = []
    for (const map of [this.#byEndPoint, this.#byId]) {
      for (const route of map.values()) {
        if (route.session !== undefined) closing.push(route.session.close(CloseReason.ServerShutdown))
      }
    }
    await Promise.all(closing)
    await this.#listener.stop()
    this.#info = undefined
    this.#idMode = undefined
    this.#idPipeline = undefined
    this.#idFilter = undefined
  }

  /**
   * A session to `remote` made by this server (`activeConnect` in UDP mode): it sends from this listener's socket
   * and receives every datagram `remote` sends to it.
   * @throws {ConnectError} the listener is not running, or a session with `remote` exists already.
   */
  outbound(remote: EndPoint): IncomingConnection {
    if (this.#info === undefined) throw new ConnectError('The UDP listener is not running')
    const key = formatEndPoint(remote)
    if (this.#byEndPoint.has(key)) {
      throw new ConnectError(`A session with ${key} exists already on this listener`)
    }
    return this.#connection(this.#addRoute(this.#byEndPoint, key, false, true, remote, key, []), key)
  }

  #onMessage(data: Buffer, remote: EndPoint): void {
    const remoteKey = formatEndPoint(remote)
    const direct = this.#byEndPoint.get(remoteKey)
    // An activeConnect session takes all that its peer sends; so does a peer's session in endpoint mode.
    if (direct !== undefined && (direct.outbound || this.#idMode === false)) {
      this.#deliver(direct, data)
      return
    }
    if (this.#idMode !== false) {
      const id = this.#sessionIdOf(data)
      if (typeof id === 'string') {
        this.#idMode = true
        this.#routeById(id, data, remote, remoteKey)
        return
      }
      if (id !== null || this.#idMode === true) {
        this.#dropUnnamed(remoteKey, id)
        return
      }
      this.#idMode = false
    }
    const route = this.#addRoute(this.#byEndPoint, remoteKey, false, false, remote, remoteKey, [data])
    this.#host.acceptConnection(this.#connection(route, remoteKey), this.#info as ListenerInfo)
  }

  /** A datagram that names no session: nobody to give it to. It decides nothing and makes no session. */
  #dropUnnamed(remoteKey: string, result: Unnamed | null): void {
    this.#host.counters.datagramErrors++
    const error = result?.error
    const code = error === undefined ? undefined : SocketError.isSocketError(error) ? error.code : 'ERR_PROTOCOL'
    const fields = code === undefined ? { remoteEndPoint: remoteKey } : { remoteEndPoint: remoteKey, code, err: error }
    const logger = this.#host.logger
    if (this.#warnedUnnamed) logger.debug('Datagram that names no session dropped', fields)
    else {
      this.#warnedUnnamed = true
      logger.warn('Datagram that names no session dropped (later ones are logged at debug level)', fields)
    }
  }

  #routeById(id: string, data: Buffer, remote: EndPoint, remoteKey: string): void {
    const key = id.toLowerCase()
    const route = this.#byId.get(key)
    if (route === undefined) {
      const added = this.#addRoute(this.#byId, key, true, false, remote, remoteKey, [data])
      this.#host.acceptConnection(this.#connection(added, id), this.#info as ListenerInfo)
      return
    }
    if (route.remoteKey !== remoteKey) {
      // The peer roamed: replies follow it.
      route.remote = remote
      route.remoteKey = remoteKey
      route.session?.updateRemoteEndPoint(remote)
    }
    this.#deliver(route, data)
  }

  /** What the datagram's requests say about its session, read with the listener's own filter. */
  #sessionIdOf(data: Buffer): SessionIdResult {
    if (this.#idPipeline === undefined) {
      try {
        this.#idFilter = this.#host.createListenerFilter()
        this.#idPipeline = new ReceivePipeline(this.#idFilter, { maxRequestLength: this.#host.config.maxRequestLength })
      } catch {
        // A factory that needs a session: this server uses endpoint mode.
        this.#idPipeline = null
      }
    }
    const pipeline = this.#idPipeline
    if (pipeline === null) return null
    let requests: unknown[]
    try {
      pipeline.push(data)
      requests = pipeline.drainDatagram()
    } catch (error) {
      // drainDatagram reset the pipeline: the next datagram starts clean.
      return { error }
    }
    // The filter is shared by every peer: a switch made by one datagram must not change how the next one is read.
    if (pipeline.filter !== this.#idFilter) pipeline.reset()
    let id: string | null | undefined
    for (const request of requests) {
      const carried = (request as { sessionId?: unknown } | null)?.sessionId
      const current = typeof carried === 'string' ? carried : null
      if (current === '') return unnamed
      if (id === undefined) id = current
      else if (id === null || current === null) {
        if (id !== current) return unnamed
      } else if (current.toLowerCase() !== id.toLowerCase()) return unnamed
    }
    return id === undefined ? unnamed : id
  }

  #deliver(route: Route, data: Buffer): void {
    const session = route.session
    if (session !== undefined) {
      if (!session.receive(data)) this.#host.counters.datagramsDropped++
    } else if (route.pending !== undefined && route.pending.length < maxQueuedDatagrams) route.pending.push(data)
    else this.#host.counters.datagramsDropped++
  }

  #addRoute(
    map: Map<string, Route>,
    key: string,
    byId: boolean,
    outbound: boolean,
    remote: EndPoint,
    remoteKey: string,
    pending: Buffer[],
  ): Route {
    const route: Route = { key, byId, outbound, remote, remoteKey, session: undefined, pending }
    map.set(key, route)
    return route
  }

  #forget(route: Route): void {
    const map = route.byId ? this.#byId : this.#byEndPoint
    if (map.get(route.key) === route) map.delete(route.key)
  }

  #connection(route: Route, sessionId: string): IncomingConnection {
    return {
      remoteEndPoint: route.remote,
      sessionId,
      open: (): SocketSession => {
        const config = this.#host.config
        const session = new UdpSocketSession({
          sender: this.#listener,
          remoteEndPoint: route.remote,
          localEndPoint: this.#local as EndPoint,
          sendHighWaterMark: config.sendHighWaterMark,
          sendLowWaterMark: config.sendLowWaterMark,
          closeTimeOut: config.closeTimeOut,
          maxQueuedDatagrams,
        })
        const pending = route.pending ?? []
        route.pending = undefined
        route.session = session
        // Queued in the session until it starts (after the connect handlers), in order.
        for (const datagram of pending) if (!session.receive(datagram)) this.#host.counters.datagramsDropped++
        return session
      },
      refuse: (): void => {
        this.#forget(route)
        this.#host.counters.datagramsDropped += route.pending?.length ?? 0
        route.pending = undefined
      },
      released: (): void => {
        this.#forget(route)
      },
    }
  }
}
