import { UdpSocketListener } from '@socketlite/listener'
import { ReceivePipeline } from '@socketlite/protocol'
import { UdpSocketSession } from '@socketlite/session-udp'
import {
  CloseReason,
  ConnectError,
  type EndPoint,
  formatEndPoint,
  type ListenerInfo,
  type ResolvedListenerConfig,
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

/** The result of reading a datagram's session id: the id, `null` for a request without one, `undefined` for none. */
type SessionIdResult = string | null | undefined

/**
 * A UDP endpoint (SuperSocket's `UdpSocketListener` + `UdpSocketServer`): one bound socket shared by every peer, and
 * the demultiplexer that turns peers into {@link UdpSocketSession}s.
 *
 * - **Endpoint mode** (the default): a session per remote endpoint, id `ip:port` / `[ip]:port`, made by the peer's
 *   first datagram. Datagrams that arrive while it is admitted wait (bounded), so two first datagrams never make two
 *   sessions (SuperSocket's B13 race).
 * - **Session-id mode**: when the receive filter yields requests with a `sessionId` (`UdpRequestInfo`), one filter
 *   per listener (made with no session) reads each datagram's id first; the session follows its id, and when the id
 *   arrives from a new address, replies go there (roaming). The mode is decided by the first datagram that parses.
 *   The session's own filter then parses the datagram again for dispatch.
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
    if (direct !== undefined && (direct.outbound || this.#idMode !== true)) {
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
      if (id === null) this.#idMode = false
      else if (this.#idMode === true) {
        // Session-id mode, and this datagram names no session: nobody to give it to.
        this.#host.counters.datagramErrors++
        this.#host.counters.datagramsDropped++
        return
      }
    }
    if (direct !== undefined) this.#deliver(direct, data)
    else {
      const route = this.#addRoute(this.#byEndPoint, remoteKey, false, false, remote, remoteKey, [data])
      this.#host.acceptConnection(this.#connection(route, remoteKey), this.#info as ListenerInfo)
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

  /** The session id the datagram's requests carry (all the same), `null` when they carry none, `undefined` if unknown. */
  #sessionIdOf(data: Buffer): SessionIdResult {
    if (this.#idPipeline === undefined) {
      try {
        this.#idPipeline = new ReceivePipeline(this.#host.createListenerFilter(), {
          maxRequestLength: this.#host.config.maxRequestLength,
        })
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
    } catch {
      return undefined
    }
    let id: string | undefined
    for (const request of requests) {
      const carried = (request as { sessionId?: unknown } | null)?.sessionId
      if (typeof carried !== 'string') return id === undefined ? null : undefined
      if (carried === '' || (id !== undefined && carried.toLowerCase() !== id.toLowerCase())) return undefined
      id = carried
    }
    return id
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
