/**
 * @packageDocumentation
 * Contracts of socketlite: the interfaces every layer implements or consumes (`SocketSession`, `AppSession`,
 * `AppServer`, `ReceiveFilter`, the cluster adapter contract `ClusterAdapter`, ...), the constants (`CloseReason`,
 * `ServerState`, `FilterState`), the `SocketError` family with stable codes, the config types (their schema,
 * defaults and validation live in `@socketlite/app-server`), and a console log factory. No runtime dependencies and
 * no `node:*` imports.
 *
 * @example
 * ```ts
 * import { CloseReason, closeReasonName, SocketError } from '@socketlite/socket-base'
 *
 * closeReasonName(CloseReason.TimeOut) // 'TimeOut'
 * try { await session.send(bytes) } catch (err) {
 *   if (SocketError.isSocketError(err) && err.code === 'ERR_SEND_TIMEOUT') session.close()
 * }
 * ```
 */
export { CloseReason, type CloseReasonName, closeReasonName } from './close-reason.js'
export type {
  ClusterAdapter,
  ClusterCountOptions,
  ClusterLocalNode,
  ClusterPublishOptions,
  ClusterStats,
  NodeInfo,
} from './cluster.js'
export {
  type CertificateConfig,
  type CertificateOptions,
  type ListenAddressAlias,
  type ListenerConfig,
  type ListenerInfo,
  listenAddressAliases,
  type PemCertificateConfig,
  type PfxCertificateConfig,
  type ResolvedListenerConfig,
  type ResolvedServerConfig,
  resolveListenAddress,
  type SecurityMode,
  type ServerConfig,
  type ServerMode,
  type TextEncoding,
  type TlsVersion,
} from './config.js'
export { type AddressFamily, type EndPoint, formatEndPoint } from './endpoint.js'
export {
  ClusterUnavailableError,
  ConfigError,
  type ConfigIssue,
  ConnectError,
  DatagramTooLargeError,
  HandlerTimeoutError,
  InternalError,
  InvalidArgumentError,
  ListenError,
  ProtocolError,
  RequestTimeoutError,
  SendTimeoutError,
  ServerStateError,
  SessionClosedError,
  SocketError,
  type SocketErrorCode,
  type SocketErrorOptions,
  socketErrorBrand,
  TlsHandshakeError,
} from './errors.js'
export {
  type ConsoleLike,
  ConsoleLogFactory,
  type ConsoleLogFactoryInit,
  type LogFactory,
  type LogFields,
  type Logger,
  type LogLevel,
  silentLogFactory,
} from './logging.js'
export type {
  FilterSessionInfo,
  ReceiveFilter,
  ReceiveFilterContext,
  ReceiveFilterFactory,
  ReceiveFilterFactoryLike,
  RequestInfo,
} from './receive-filter.js'
export {
  type ReceivedView,
  viewOffset,
  viewOffsetOf,
  viewSource,
  viewSourceOf,
} from './received-view.js'
export type {
  AppServer,
  AppSession,
  ConnectionFilter,
  SocketSession,
  SocketSessionHandler,
  SocketSessionKind,
  SocketSessionState,
  TlsSessionInfo,
} from './session.js'
export { FilterState, ServerState, serverStateName } from './states.js'
