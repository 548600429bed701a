import type { CloseReason } from './close-reason.js'
import type { ClusterCountOptions, ClusterPublishOptions, NodeInfo } from './cluster.js'
import type { ListenerInfo, ResolvedServerConfig, TextEncoding } from './config.js'
import type { EndPoint } from './endpoint.js'
import type { Logger } from './logging.js'
import type { ReceiveFilter } from './receive-filter.js'
import type { ServerState } from './states.js'

/** Lifecycle of a transport session. */
export type SocketSessionState = 'open' | 'closing' | 'closed'

/**
 * What a transport session carries: a byte `stream` (TCP, TLS: sends may be split or joined on the wire, the
 * receiver frames them) or `datagram`s (UDP: each received message is one datagram, each send leaves as one, at
 * most {@link SocketSession.maxMessageSize} bytes). Netty keeps the two apart (`ByteToMessageDecoder`,
 * `MessageToMessageDecoder`); so does the dispatch above the session.
 */
export type SocketSessionKind = 'stream' | 'datagram'

/**
 * The owner of a {@link SocketSession} (the app session): told about received bytes, the session's writability
 * and the end of the connection. Called synchronously from the socket's events, never re-entrantly from `trySend`
 * or `close`.
 */
export interface SocketSessionHandler {
  /** Bytes received. The buffer is the handler's to keep: the session never reuses it. */
  onData(data: Buffer): void
  /**
   * The session's {@link SocketSession.writable} changed (Netty's `channelWritabilityChanged`): `false` once its
   * sending queue is full (a send was refused, or the high water mark was reached), `true` again once it fell below
   * the low water mark. The one backpressure signal: stop producing while unwritable (e.g. pause reading the peer
   * whose requests make the replies). Changes alternate, starting with `false`; a change caused by `trySend` is
   * reported asynchronously, in a later tick, even if the queue became writable again meanwhile (then both changes
   * come, in order); only while the session is open.
   */
  onWritabilityChanged?(writable: boolean): void
  /**
   * The peer ended its side (TCP FIN); nothing more will be received. By default the session is now closing with
   * `ClientClosing` (what was queued still goes out) and `onClosed` follows. A session made with `allowHalfOpen`
   * stays open for sending instead, its `closeReason` already `ClientClosing`: the owner sends what it still has to
   * and then calls `close()` (Node's `allowHalfOpen`, Netty's `ALLOW_HALF_CLOSURE`).
   */
  onEnd?(): void
  /** The connection is gone; called exactly once, with the first close reason. */
  onClosed(reason: CloseReason): void
}

/**
 * The transport half of a session (SuperSocket's `ISocketSession`): one TCP connection, TLS connection or UDP peer.
 * It owns the sending queue and the close state machine; it knows nothing of requests.
 */
export interface SocketSession {
  readonly remoteEndPoint: EndPoint
  readonly localEndPoint: EndPoint
  /** True for TLS. */
  readonly secure: boolean
  /** A byte stream (TCP, TLS) or datagrams (UDP): how received bytes are to be framed, and sends delimited. */
  readonly kind: SocketSessionKind
  /**
   * Largest payload one `trySend` may carry: one datagram's worth for `datagram` sessions (a larger one is refused),
   * `Infinity` for streams.
   */
  readonly maxMessageSize: number
  readonly state: SocketSessionState
  /**
   * The first close reason, once closing; for a half-open session, `ClientClosing` from the peer's end on (the
   * session then stays `open` for sending until it is closed, with that reason).
   */
  readonly closeReason: CloseReason | undefined
  /** Bytes accepted by `trySend` and not yet written to the kernel. */
  readonly pendingBytes: number
  /**
   * Netty's `isWritable()`: true while the session is open and its sending queue is not full (see
   * {@link SocketSessionHandler.onWritabilityChanged}). Advisory: `trySend` still accepts what fits.
   */
  readonly writable: boolean
  /** Start reading; bytes go to `handler`. Called once. */
  start(handler: SocketSessionHandler): void
  /**
   * Queue `data`, taking ownership of it: the caller must not modify it afterwards (small payloads are copied into
   * the queue's chunk anyway, large ones are queued without a copy). False when closing, closed or over the high
   * water mark (a payload larger than the mark is accepted into an empty queue); a refused payload is not queued at
   * all. Never throws.
   */
  trySend(data: Uint8Array): boolean
  /**
   * Queue a copy of `data`, the caller keeping it: bytes are copied, a string is encoded in `encoding` (default
   * `'utf8'`), once, straight into the sending queue (never into a temporary buffer first). Same room rule and
   * result as {@link SocketSession.trySend}. Never throws.
   */
  trySendCopy(data: Uint8Array | string, encoding?: TextEncoding): boolean
  /** Stop reading from the peer (backpressure). */
  pauseReceive(): void
  /** Resume reading. */
  resumeReceive(): void
  /**
   * Close with `reason` (the first reason wins): stop reading, drain what is queued for at most `closeTimeOut`,
   * end the connection. Resolves once closed. Calling it again resolves the same way.
   */
  close(reason: CloseReason): Promise<void>
  /**
   * Close now, without draining: what is queued is dropped (counted as dropped bytes) and the transport destroyed
   * (`reason` recorded unless one came first). For a deadline that must hold, such as the end of `stop()`. The
   * `close()` promise resolves once the transport is gone, after `onClosed`. Idempotent.
   */
  abort(reason: CloseReason): void
}

/** Decides whether a new connection (or a new UDP peer) may become a session. */
export interface ConnectionFilter {
  readonly name: string
  /** Return (or resolve) false to refuse: the connection is closed with no session events and counted. */
  allowConnect(remoteEndPoint: EndPoint): boolean | Promise<boolean>
}

/** TLS details of a secure session. */
export interface TlsSessionInfo {
  /** e.g. `'TLSv1.3'`. */
  readonly protocol: string | null
  /** e.g. `{ name: 'TLS_AES_256_GCM_SHA384', standardName: ..., version: 'TLSv1.3' }`. */
  readonly cipher: { readonly name: string; readonly standardName?: string; readonly version: string }
  /** The client's certificate when one was presented (empty object when none). */
  readonly peerCertificate: object | undefined
  /** True when the peer certificate was verified against `caFile`. */
  readonly authorized: boolean
}

/** The user-facing session (SuperSocket's `IAppSession`). `app-server`'s `AppSession` class implements it. */
export interface AppSession<TRequest = unknown> {
  /** TCP/TLS: a random lower-case UUID. UDP: `ip:port` / `[ip]:port`, or the id carried in the datagram. */
  readonly sessionId: string
  readonly server: AppServer<TRequest>
  readonly config: ResolvedServerConfig
  readonly logger: Logger
  readonly remoteEndPoint: EndPoint
  readonly localEndPoint: EndPoint
  readonly startTime: Date
  /** Last time bytes were received (sends do not count). */
  readonly lastActiveTime: Date
  /** True from `newSessionConnected` until closing starts. */
  readonly connected: boolean
  /** Free per-session storage. */
  readonly items: Map<unknown, unknown>
  /** The first close reason, once closing. */
  readonly closeReason: CloseReason | undefined
  readonly secure: boolean
  /** TLS details; `undefined` on plain sessions. */
  readonly tls: TlsSessionInfo | undefined
  /** The listener that accepted the session; `undefined` for an outbound session. A plain value. */
  readonly listener: ListenerInfo | undefined
  /** True for a session the server connected out (`activeConnect`), false for every accepted one. A plain value. */
  readonly outbound: boolean
  /** Queue `data`; false when closing, closed or without room. Never throws, never blocks. */
  trySend(data: Uint8Array | string): boolean
  /**
   * Queue `data`, waiting up to `sendTimeOut` for room.
   * @throws {SendTimeoutError} no room in time (the session stays open).
   * @throws {SessionClosedError} the session is closing or closed.
   */
  send(data: Uint8Array | string): Promise<void>
  /** Close with `reason` (default `ServerClosing`); drains what was queued first. Idempotent. */
  close(reason?: CloseReason): Promise<void>
  /** Parse the stream with `filter` from the next unread byte on. */
  setNextReceiveFilter(filter: ReceiveFilter<TRequest>): void
  /**
   * Join `group`: at once locally; resolves once in force service-wide (with an adapter, once this node's
   * subscription is in place). A session leaves every group when it closes.
   */
  join(group: string): Promise<void>
  /** Leave `group`: at once locally; resolves once in force service-wide. */
  leave(group: string): Promise<void>
  /** The groups it is a member of now. */
  readonly groups: ReadonlySet<string>
}

/** The user-facing server (SuperSocket's `IAppServer`). `app-server`'s `AppServer` class implements it. */
export interface AppServer<TRequest = unknown, TSession extends AppSession<TRequest> = AppSession<TRequest>> {
  readonly name: string
  readonly state: ServerState
  readonly config: ResolvedServerConfig
  readonly logger: Logger
  /** The bound endpoints while running. */
  readonly endpoints: readonly ListenerInfo[]
  /** When the server last started. */
  readonly startedTime: Date | undefined
  readonly sessionCount: number
  start(): Promise<ListenerInfo[]>
  stop(): Promise<void>
  /** Case-insensitive; `undefined` for an unknown or empty id. */
  getSessionById(sessionId: string): TSession | undefined
  /** Every live session (a fresh array each call). */
  getAllSessions(): TSession[]
  getSessions(predicate: (session: TSession) => boolean): TSession[]
  /** `trySend` to every matching session of this process; returns how many accepted it. */
  broadcast(data: Uint8Array | string, predicate?: (session: TSession) => boolean): number
  /** Every session of the service, or every member of `group`, on every node; resolves once the adapter accepted it. */
  publish(data: Uint8Array | string, options?: ClusterPublishOptions): Promise<void>
  /** The session wherever it lives in the service; false when no node has it. */
  sendTo(sessionId: string, data: Uint8Array | string): Promise<boolean>
  /** Sessions of the whole service, or members of `group`. */
  countSessions(options?: ClusterCountOptions): Promise<number>
  /** The nodes of the service alive now. */
  nodes(): Promise<NodeInfo[]>
}
