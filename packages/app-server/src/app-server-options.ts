import type tls from 'node:tls'
import type {
  CloseReason,
  ClusterAdapter,
  ConnectionFilter,
  LogFactory,
  ReceiveFilterFactoryLike,
  ServerConfig,
} from '@socketlite/socket-base'
import type { AppSession, AppSessionInit } from './app-session.js'

/**
 * A subclass of {@link AppSession} the server makes its sessions with. It must accept the
 * {@link AppSessionInit} the server passes (declare no constructor, or pass it on to `super`).
 */
export type AppSessionClass<TRequest, TSession extends AppSession<TRequest>> = new (
  init: AppSessionInit<TRequest>,
) => TSession

/** What `new AppServer(options)` takes. */
export interface AppServerOptions<TRequest, TSession extends AppSession<TRequest>> {
  /** The configuration (a plain JSON-able object; see `ServerConfig`). Validated at once. */
  config: ServerConfig
  /**
   * Makes one receive filter per session: an object with `createFilter(session)` or a plain function.
   * @default new CommandLineReceiveFilterFactory({ encoding: config.textEncoding })
   */
  receiveFilterFactory?: ReceiveFilterFactoryLike<TRequest>
  /**
   * The session class, a subclass of {@link AppSession} (to add state or override its hooks).
   * @default AppSession
   */
  sessionClass?: AppSessionClass<TRequest, TSession>
  /**
   * Where the server and its sessions log; the server's logger is named after `config.name`.
   * @default new ConsoleLogFactory()
   */
  logFactory?: LogFactory
  /**
   * Asked in order about each new connection before it becomes a session; the first that returns (or resolves)
   * false refuses it. A filter that throws refuses it too (and is logged).
   * @default []
   */
  connectionFilters?: readonly ConnectionFilter[]
  /**
   * Match the string keys of commands (`server.command(key, handler)`) case-insensitively: `'echo'` handles `ECHO`,
   * `Echo`, ... Numeric keys are not affected.
   * @default false
   */
  commandKeysIgnoreCase?: boolean
  /**
   * Joins this server to a service of many processes (`RedisAdapter` of `@socketlite/redis-adapter`): groups,
   * `publish`, `sendTo`, `countSessions` and `nodes()` then work service-wide. One adapter per server. Without one
   * the server uses an {@link InProcessAdapter} of its own, and the same calls work within this process.
   * @default new InProcessAdapter()
   */
  adapter?: ClusterAdapter
}

/**
 * The events of an {@link AppServer}. `newSessionConnected` and `newRequestReceived` listeners may return a
 * promise: the session's next event waits for it (other sessions go on).
 */
export interface AppServerEvents<TRequest, TSession> {
  /**
   * A connection became a session; first event of each session. For an outbound session it is emitted before
   * `activeConnect` resolves.
   */
  newSessionConnected: [session: TSession]
  /**
   * A request of `session`, in arrival order, after the previous one's handler settled; not emitted for a request
   * whose key has a command (`server.command`).
   */
  newRequestReceived: [session: TSession, request: TRequest]
  /** Last event of each session, once no handler of it is still running. */
  sessionClosed: [session: TSession, reason: CloseReason]
  /** Listener-level trouble (e.g. `accept` failing with `EMFILE`); accepting goes on. Never thrown. */
  error: [error: Error]
  /** The server is listening (after `start()`). */
  started: []
  /** The server stopped: every session closed and every listener closed. */
  stopped: []
}

/** Options of `server.activeConnect()`. */
export interface ActiveConnectOptions {
  /** Host name or address to connect to. */
  host: string
  /** Port to connect to. */
  port: number
  /**
   * Give up connecting after this long (ms).
   * @default config.handshakeTimeOut
   */
  timeout?: number
  /** Aborts the connection attempt. */
  signal?: AbortSignal
  /**
   * TCP mode: be the TLS client of the connection. `true` verifies the peer against the system CAs with `host` as the
   * server name; `tls.ConnectionOptions` (e.g. `{ ca, servername, cert, key }`) are passed to `tls.connect`.
   * Not available in UDP mode.
   * @default false
   */
  tls?: boolean | tls.ConnectionOptions
}
