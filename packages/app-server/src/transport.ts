import type { ChunkPool } from '@socketlite/sending-queue'
import type { TlsCertificateStore } from '@socketlite/session-tls'
import type {
  EndPoint,
  ListenerInfo,
  Logger,
  ReceiveFilter,
  ResolvedListenerConfig,
  ResolvedServerConfig,
  SocketSession,
} from '@socketlite/socket-base'
import type { ServerCounters } from './server-stats.js'
import { TcpTransport } from './tcp-transport.js'
import { TlsTransport } from './tls-transport.js'
import { UdpTransport } from './udp-transport.js'

/**
 * A connection that arrived on a {@link Transport} and may become a session. The server first checks the limits
 * and the connection filters (cheap, before any handshake), then calls {@link IncomingConnection.open}.
 */
export interface IncomingConnection {
  readonly remoteEndPoint: EndPoint
  /** The session id to use (UDP: `ip:port`, or the id carried in the datagram); a random UUID when omitted. */
  readonly sessionId?: string
  /**
   * Make the transport session: at once for plain TCP, after the handshake for TLS. A throw or rejection refuses the
   * connection; it is counted as `handshake` for a `TlsHandshakeError` (`ERR_TLS_HANDSHAKE`), else as `acceptError`.
   */
  open(): SocketSession | Promise<SocketSession>
  /** Drop the connection without a session (no session events). Safe to call more than once. */
  refuse(): void
  /** The session made from this connection closed (after `sessionClosed`): the transport may forget it. */
  released?(): void
}

/** What a {@link Transport} reports to its server. */
export interface TransportHost {
  readonly config: ResolvedServerConfig
  readonly logger: Logger
  /** A connection arrived on `listener`: admit it (limits, filters), open it and make it a session, or refuse it. */
  acceptConnection(connection: IncomingConnection, listener: ListenerInfo): void
  /** Listener-level trouble (e.g. `accept` failing with `EMFILE`); accepting goes on. */
  listenerError(error: Error, listener: ListenerInfo | undefined): void
  /** The server's counters (UDP transports count the datagrams they drop). */
  readonly counters: ServerCounters
  /** The chunks every session of the server coalesces its replies into. */
  readonly sendPool: ChunkPool
  /** The server certificate, when a listener is TLS. */
  readonly certificates: TlsCertificateStore | undefined
  /**
   * A receive filter made without a session (`createFilter(undefined)`), for UDP transports to read the session id a
   * `UdpRequestInfo` carries before the session is known.
   * @throws whatever the filter factory throws (it may not support being called without a session).
   */
  createListenerFilter(): ReceiveFilter<unknown>
}

/** One endpoint of a server: it binds, accepts connections and hands them to its {@link TransportHost}. */
export interface Transport {
  /**
   * Bind and start accepting; resolves with the bound endpoint (the actual port when `0` was asked).
   * @throws {ListenError} the endpoint could not be bound; nothing stays bound.
   */
  start(): Promise<ListenerInfo>
  /** Stop accepting; connections already accepted are not touched. Idempotent. */
  stop(): Promise<void>
}

/**
 * The one place that turns a listener configuration into a transport, chosen by the server `mode` and the
 * listener's `security`: plain TCP, TLS over TCP, or UDP (the config schema refuses TLS in UDP mode).
 */
export function createTransport(listener: ResolvedListenerConfig, host: TransportHost): Transport {
  if (host.config.mode === 'udp') return new UdpTransport(listener, host)
  if (listener.security === 'tls') return new TlsTransport(listener, host)
  return new TcpTransport(listener, host)
}
