import { ConnectError, type EndPoint, formatEndPoint, InvalidArgumentError } from '@socketlite/socket-base'
import type { DatagramSender } from './datagram-sender.js'
import { UdpSocketSession, type UdpSocketSessionInit } from './udp-socket-session.js'

/** The options every session of a {@link UdpDemultiplexer} is made with (all but the sender and the endpoints). */
export type UdpPeerSessionInit = Omit<UdpSocketSessionInit, 'sender' | 'remoteEndPoint' | 'localEndPoint'>

/**
 * What a datagram says about the session it belongs to, as read by {@link UdpDemultiplexerInit.sessionIdOf}: the id
 * it carries, `null` when it carries none, `undefined` when it says neither (it holds no request, or mixes ids).
 */
export type DatagramSessionId = string | null | undefined

/** Why a datagram was dropped (see {@link UdpDemultiplexerInit.onDropped}). */
export type UdpDropReason =
  /** It names no session: it says neither, or no id in session-id mode, or its id could not be read (`error`). */
  | 'unnamed'
  /** Its session (or the peer being admitted) already holds `maxQueuedDatagrams` datagrams or `maxQueuedBytes`. */
  | 'queueFull'
  /** Its session is closing, or closed and not yet released. */
  | 'closing'
  /** Its peer was refused (it waited while being admitted). */
  | 'refused'

/** A dropped datagram. */
export interface UdpDrop {
  readonly reason: UdpDropReason
  readonly remoteEndPoint: EndPoint
  /** Its size in bytes. */
  readonly bytes: number
  /** For `unnamed`: what `sessionIdOf` threw, if it did. */
  readonly error?: unknown
}

/** Options of {@link UdpDemultiplexer}. */
export interface UdpDemultiplexerInit {
  /** The bound socket the datagrams arrive on and the replies leave through (`UdpSocketListener` is one). */
  sender: DatagramSender
  /** Its endpoint. */
  localEndPoint: EndPoint
  /**
   * The options of every session it makes (water marks, close deadline, `sendPool`, the bounds of the datagrams
   * waiting: `maxQueuedDatagrams` (1024) and `maxQueuedBytes` (1 MiB), which also bound what waits while a new peer
   * is being admitted).
   */
  session: UdpPeerSessionInit
  /**
   * Reads the session id a datagram carries, for session-id mode (the owner's receive filter knows the format):
   * the id, `null` when the datagram carries none, `undefined` when it says neither. A throw counts as "says
   * neither" (the datagram does not parse). Without it every session is an endpoint session.
   */
  sessionIdOf?: (datagram: Buffer) => DatagramSessionId
  /**
   * A new peer (or a new session id) sent its first datagram: admit it with `peer.open()` or drop it with
   * `peer.refuse()`, now or later (its datagrams wait meanwhile, bounded). Called synchronously from
   * {@link UdpDemultiplexer.receive}.
   */
  onPeer(peer: UdpPeer): void
  /** A datagram was dropped; for the owner's counters and logs. */
  onDropped?(drop: UdpDrop): void
}

/** A peer waiting to become a session: handed to `onPeer`, or made by {@link UdpDemultiplexer.connect}. */
export interface UdpPeer {
  /** Where its datagrams come from now (it may roam before it is opened, in session-id mode). */
  readonly remoteEndPoint: EndPoint
  /** `ip:port` (`[ip]:port` for IPv6) in endpoint mode; the id its datagrams carry in session-id mode. */
  readonly sessionId: string
  /** Made by {@link UdpDemultiplexer.connect}. */
  readonly outbound: boolean
  /**
   * Make its session (not started). The datagrams that waited are queued in it, in order, and delivered once it
   * starts; the next ones go to it directly.
   * @throws {InvalidArgumentError} called twice, or after `refuse` or `release`.
   */
  open(): UdpSocketSession
  /** Drop it and the datagrams that waited (each reported as `refused`); its next datagram makes a new peer. */
  refuse(): void
  /**
   * The owner is done with its session (it closed): forget it, so the next datagram of its endpoint or id makes a new
   * peer. Until then, datagrams for it are dropped (`closing`). Idempotent.
   */
  release(): void
}

/** One peer (or session id) of the socket, from its first datagram until released or refused. */
interface Route {
  /** Key in its routing map: `ip:port`, or the lower-cased session id. */
  readonly key: string
  readonly byId: boolean
  /** Made by `connect`: every datagram from its endpoint goes to it, whatever the mode. */
  readonly outbound: boolean
  readonly sessionId: string
  remote: EndPoint
  remoteKey: string
  session: UdpSocketSession | undefined
  /** Datagrams that arrived while the peer is being admitted, and their bytes; `undefined` once opened. */
  pending: Buffer[] | undefined
  pendingBytes: number
  /** Refused or released: gone from the maps. */
  done: boolean
}

/**
 * Routes the datagrams of one bound socket to {@link UdpSocketSession}s (SuperSocket's `UdpSocketServer`): one
 * session per remote endpoint, or per session id carried in each datagram.
 *
 * - **Endpoint mode** (the default): a session per remote endpoint, id `ip:port` / `[ip]:port`, made when the peer's
 *   first datagram arrives (`onPeer`). Datagrams that arrive while the owner admits it wait, bounded, so two first
 *   datagrams never make two sessions (SuperSocket's B13 race).
 * - **Session-id mode**: when `sessionIdOf` finds an id in a datagram, the session follows its id; when the id
 *   arrives from a new address, the session's replies go there from then on (roaming).
 * - The mode is decided once, by the first datagram that says it: one that carries an id (session-id mode) or one
 *   that carries none (endpoint mode). A datagram that says neither decides nothing and makes no session: it is
 *   dropped as `unnamed`; so is, in session-id mode, a datagram that names no session.
 * - A datagram for a session that is closing, or beyond its bounds (`maxQueuedDatagrams`, `maxQueuedBytes`), is
 *   dropped; so are the datagrams of a refused peer. Every drop is reported to `onDropped`.
 * - {@link UdpDemultiplexer.connect} makes a session with a given endpoint (an outbound one): it receives every
 *   datagram that endpoint sends, whatever the mode.
 *
 * @example
 * ```ts
 * const listener = new UdpSocketListener({ ip: '127.0.0.1', port: 0 })
 * const demultiplexer = new UdpDemultiplexer({
 *   sender: listener,
 *   localEndPoint: await listener.start(),
 *   session: { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 5_000 },
 *   onPeer(peer) {
 *     const session = peer.open()
 *     session.start({ onData: (datagram) => session.trySend(datagram), onClosed: () => peer.release() })
 *   },
 * })
 * listener.on('message', (datagram, remote) => demultiplexer.receive(datagram, remote))
 * ```
 */
export class UdpDemultiplexer {
  readonly #sender: DatagramSender
  readonly #local: EndPoint
  readonly #session: UdpPeerSessionInit
  readonly #sessionIdOf: ((datagram: Buffer) => DatagramSessionId) | undefined
  readonly #onPeer: (peer: UdpPeer) => void
  readonly #onDropped: ((drop: UdpDrop) => void) | undefined
  readonly #maxPending: number
  readonly #maxPendingBytes: number
  readonly #byEndPoint = new Map<string, Route>()
  readonly #byId = new Map<string, Route>()
  /** `undefined` until a datagram decides; then true for session-id mode. */
  #idMode: boolean | undefined

  /** @throws {InvalidArgumentError} no `sender`, `localEndPoint` or `onPeer`, or bad queue bounds. */
  constructor(init: UdpDemultiplexerInit) {
    const { sender, localEndPoint, session, sessionIdOf, onPeer, onDropped } = init
    if (typeof sender !== 'object' || sender === null || typeof sender.send !== 'function') {
      throw new InvalidArgumentError('sender must have send(data, remote, callback)')
    }
    if (typeof localEndPoint !== 'object' || localEndPoint === null) {
      throw new InvalidArgumentError('localEndPoint must be an endpoint { address, port, family }')
    }
    if (typeof onPeer !== 'function') throw new InvalidArgumentError('onPeer must be a function')
    if (sessionIdOf !== undefined && typeof sessionIdOf !== 'function') {
      throw new InvalidArgumentError('sessionIdOf must be a function')
    }
    const maxPending = session.maxQueuedDatagrams ?? 1_024
    const maxPendingBytes = session.maxQueuedBytes ?? 1_048_576
    for (const [name, value] of [
      ['maxQueuedDatagrams', maxPending],
      ['maxQueuedBytes', maxPendingBytes],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`)
      }
    }
    this.#sender = sender
    this.#local = localEndPoint
    this.#session = { ...session }
    this.#sessionIdOf = sessionIdOf
    this.#onPeer = onPeer
    this.#onDropped = onDropped
    this.#maxPending = maxPending
    this.#maxPendingBytes = maxPendingBytes
  }

  /** `'endpoint'` or `'sessionId'` once a datagram decided; `undefined` before. */
  get mode(): 'endpoint' | 'sessionId' | undefined {
    return this.#idMode === undefined ? undefined : this.#idMode ? 'sessionId' : 'endpoint'
  }

  /** Peers known now: sessions not yet released, and peers being admitted. */
  get peerCount(): number {
    return this.#byEndPoint.size + this.#byId.size
  }

  /** Every session made and not yet released. */
  get sessions(): UdpSocketSession[] {
    const sessions: UdpSocketSession[] = []
    for (const map of [this.#byEndPoint, this.#byId]) {
      for (const route of map.values()) if (route.session !== undefined) sessions.push(route.session)
    }
    return sessions
  }

  /**
   * Route one datagram the socket received from `remote` (call it from the socket's `message` event, in arrival
   * order). The buffer becomes the demultiplexer's (then its session's).
   */
  receive(datagram: Buffer, remote: EndPoint): void {
    const remoteKey = formatEndPoint(remote)
    const direct = this.#byEndPoint.get(remoteKey)
    // An outbound session takes all that its peer sends; so does a peer's session in endpoint mode.
    if (direct !== undefined && (direct.outbound || this.#idMode === false)) {
      this.#deliver(direct, datagram)
      return
    }
    if (this.#idMode !== false && this.#sessionIdOf !== undefined) {
      let id: DatagramSessionId
      let error: unknown
      try {
        id = this.#sessionIdOf(datagram)
      } catch (caught) {
        id = undefined
        error = caught === undefined ? new Error('sessionIdOf threw undefined') : caught
      }
      if (typeof id === 'string' && id !== '') {
        this.#idMode = true
        this.#routeById(id, datagram, remote, remoteKey)
        return
      }
      if (id !== null || this.#idMode === true) {
        this.#drop('unnamed', remote, datagram.length, error)
        return
      }
    }
    this.#idMode = false
    const route = this.#addRoute(this.#byEndPoint, remoteKey, false, false, remoteKey, remote, remoteKey, datagram)
    this.#onPeer(this.#peer(route))
  }

  /**
   * A session with `remote` made from this side (its first datagram goes from here): it sends from this socket and
   * receives every datagram `remote` sends to it, whatever the mode. Open or refuse the returned peer.
   * @throws {ConnectError} a session (or a peer being admitted) with `remote` exists already.
   */
  connect(remote: EndPoint): UdpPeer {
    const key = formatEndPoint(remote)
    if (this.#byEndPoint.has(key)) throw new ConnectError(`A session with ${key} exists already on this socket`)
    return this.#peer(this.#addRoute(this.#byEndPoint, key, false, true, key, remote, key, undefined))
  }

  /**
   * Close every session not yet released with `reason` (each sends what it queued, at most its `closeTimeOut`) and
   * resolve once all are closed. Peers still being admitted are not touched (refuse them).
   */
  async closeAll(reason: Parameters<UdpSocketSession['close']>[0]): Promise<void> {
    await Promise.all(this.sessions.map((session) => session.close(reason)))
  }

  #routeById(id: string, datagram: Buffer, remote: EndPoint, remoteKey: string): void {
    const key = id.toLowerCase()
    const route = this.#byId.get(key)
    if (route === undefined) {
      const added = this.#addRoute(this.#byId, key, true, false, id, remote, remoteKey, datagram)
      this.#onPeer(this.#peer(added))
      return
    }
    if (route.remoteKey !== remoteKey) {
      // The peer roamed: replies follow it.
      route.remote = remote
      route.remoteKey = remoteKey
      route.session?.updateRemoteEndPoint(remote)
    }
    this.#deliver(route, datagram)
  }

  #deliver(route: Route, datagram: Buffer): void {
    const session = route.session
    if (session !== undefined) {
      if (!session.receive(datagram)) {
        this.#drop(session.state === 'open' ? 'queueFull' : 'closing', route.remote, datagram.length)
      }
      return
    }
    const pending = route.pending
    if (pending === undefined) {
      // Opened and refused/released already, or never given a session: nobody takes it.
      this.#drop('closing', route.remote, datagram.length)
    } else if (pending.length >= this.#maxPending || route.pendingBytes + datagram.length > this.#maxPendingBytes) {
      this.#drop('queueFull', route.remote, datagram.length)
    } else {
      pending.push(datagram)
      route.pendingBytes += datagram.length
    }
  }

  #addRoute(
    map: Map<string, Route>,
    key: string,
    byId: boolean,
    outbound: boolean,
    sessionId: string,
    remote: EndPoint,
    remoteKey: string,
    first: Buffer | undefined,
  ): Route {
    const route: Route = {
      key,
      byId,
      outbound,
      sessionId,
      remote,
      remoteKey,
      session: undefined,
      pending: [],
      pendingBytes: 0,
      done: false,
    }
    map.set(key, route)
    if (first !== undefined) this.#deliver(route, first)
    return route
  }

  #forget(route: Route): void {
    route.done = true
    const map = route.byId ? this.#byId : this.#byEndPoint
    if (map.get(route.key) === route) map.delete(route.key)
  }

  #drop(reason: UdpDropReason, remoteEndPoint: EndPoint, bytes: number, error?: unknown): void {
    const onDropped = this.#onDropped
    if (onDropped === undefined) return
    onDropped(error === undefined ? { reason, remoteEndPoint, bytes } : { reason, remoteEndPoint, bytes, error })
  }

  #peer(route: Route): UdpPeer {
    const demultiplexer = this
    return {
      get remoteEndPoint() {
        return route.remote
      },
      sessionId: route.sessionId,
      outbound: route.outbound,
      open(): UdpSocketSession {
        if (route.done || route.session !== undefined) {
          throw new InvalidArgumentError('open: this peer was opened, refused or released already')
        }
        const session = new UdpSocketSession({
          ...demultiplexer.#session,
          sender: demultiplexer.#sender,
          remoteEndPoint: route.remote,
          localEndPoint: demultiplexer.#local,
        })
        const pending = route.pending ?? []
        route.pending = undefined
        route.pendingBytes = 0
        route.session = session
        // Queued in the session until it starts, in order.
        for (const datagram of pending) {
          if (!session.receive(datagram)) demultiplexer.#drop('queueFull', route.remote, datagram.length)
        }
        return session
      },
      refuse(): void {
        if (route.done) return
        demultiplexer.#forget(route)
        const pending = route.pending ?? []
        route.pending = undefined
        route.pendingBytes = 0
        for (const datagram of pending) demultiplexer.#drop('refused', route.remote, datagram.length)
      },
      release(): void {
        if (route.done) return
        demultiplexer.#forget(route)
        route.pending = undefined
      },
    }
  }
}
