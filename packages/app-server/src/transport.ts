import {
  ConfigError,
  type EndPoint,
  type ListenerInfo,
  type Logger,
  type ResolvedListenerConfig,
  type ResolvedServerConfig,
  type SocketSession,
} from '@socketlite/socket-base'
import { TcpTransport } from './tcp-transport.js'

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
}

/** What a {@link Transport} reports to its server. */
export interface TransportHost {
  readonly config: ResolvedServerConfig
  readonly logger: Logger
  /** A connection arrived on `listener`: admit it (limits, filters), open it and make it a session, or refuse it. */
  acceptConnection(connection: IncomingConnection, listener: ListenerInfo): void
  /** Listener-level trouble (e.g. `accept` failing with `EMFILE`); accepting goes on. */
  listenerError(error: Error, listener: ListenerInfo | undefined): void
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
 * listener's `security`. TLS and UDP transports plug in here.
 * @throws {ConfigError} a combination this build cannot serve.
 */
export function createTransport(listener: ResolvedListenerConfig, host: TransportHost): Transport {
  const { mode } = host.config
  if (mode === 'tcp' && listener.security === 'none') return new TcpTransport(listener, host)
  throw new ConfigError([
    {
      path: mode === 'udp' ? 'mode' : 'security',
      message: `${mode === 'udp' ? 'udp mode' : 'TLS listeners'} are not supported by this build of @socketlite/app-server`,
    },
  ])
}
