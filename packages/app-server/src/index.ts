/**
 * @packageDocumentation
 * AppServer and AppSession: the socketlite server. It listens on one or more endpoints, turns each connection into
 * a session, splits its byte stream into requests with a receive filter (command lines by default), and emits
 * typed events in a strict order per session, routing requests to commands by key. It also holds config validation
 * (the JSON Schema of `server.json` ships as `@socketlite/app-server/server.schema.json`), idle clearing, connection
 * limits and filters, outbound connections, groups, broadcast and publish (across processes through a cluster
 * adapter; in-process by default) and statistics. What users need from the layers below (close reasons, server states, errors, config and request
 * types, the receive filters and their factories) is re-exported, so an app needs only this package.
 *
 * @example
 * ```ts
 * import { AppServer, closeReasonName } from '@socketlite/app-server'
 *
 * const server = new AppServer({ config: { ip: '127.0.0.1', port: 2020 } })
 * server.on('newSessionConnected', (session) => { session.trySend('WELCOME\r\n') })
 * server.on('newRequestReceived', async (session, request) => {
 *   if (request.key === 'ECHO') await session.send(`${request.body}\r\n`)
 *   else if (request.key === 'QUIT') await session.close()
 * })
 * server.on('sessionClosed', (session, reason) => console.log(session.sessionId, closeReasonName(reason)))
 * const listeners = await server.start() // [{ ip: '127.0.0.1', port: 2020, family: 'IPv4', security: 'none', mode: 'tcp' }]
 * // ...
 * await server.stop()
 * ```
 */

// Everything a server author writes against from the protocol layer (filters to use or subclass, their factories,
// the request types), so that an app needs only this package. test/exports.test.ts keeps the list complete.
export {
  BasicRequestInfoParser,
  BeginEndMarkReceiveFilter,
  BeginEndMarkReceiveFilterBase,
  BeginEndMarkReceiveFilterFactory,
  type BeginEndMarkReceiveFilterInit,
  BinaryRequestInfo,
  BinaryTerminatorReceiveFilter,
  BinaryTerminatorReceiveFilterFactory,
  CommandLineReceiveFilter,
  CommandLineReceiveFilterFactory,
  type CommandLineReceiveFilterInit,
  CountSpliterReceiveFilter,
  CountSpliterReceiveFilterBase,
  type CountSpliterReceiveFilterBaseInit,
  CountSpliterReceiveFilterFactory,
  type CountSpliterReceiveFilterInit,
  FixedHeaderReceiveFilter,
  FixedSizeReceiveFilter,
  FixedSizeReceiveFilterBase,
  FixedSizeReceiveFilterFactory,
  type FixedSizeReceiveFilterInit,
  type LengthFieldLength,
  LengthFieldReceiveFilter,
  LengthFieldReceiveFilterFactory,
  type LengthFieldReceiveFilterInit,
  ReceiveFilterBase,
  type RequestInfoParser,
  StringBeginEndMarkReceiveFilter,
  StringBeginEndMarkReceiveFilterFactory,
  type StringBeginEndMarkReceiveFilterInit,
  StringRequestInfo,
  type TerminatorFrameInit,
  TerminatorReceiveFilter,
  TerminatorReceiveFilterBase,
  type TerminatorReceiveFilterBaseInit,
  TerminatorReceiveFilterFactory,
  type TerminatorReceiveFilterInit,
  UdpRequestInfo,
} from '@socketlite/protocol'
export {
  type AddressFamily,
  type CertificateConfig,
  CloseReason,
  type CloseReasonName,
  type ClusterAdapter,
  type ClusterCountOptions,
  type ClusterLocalNode,
  type ClusterPublishOptions,
  type ClusterStats,
  ClusterUnavailableError,
  ConfigError,
  type ConfigIssue,
  ConnectError,
  type ConnectionFilter,
  ConsoleLogFactory,
  closeReasonName,
  DatagramTooLargeError,
  type EndPoint,
  FilterState,
  formatEndPoint,
  HandlerTimeoutError,
  InternalError,
  InvalidArgumentError,
  ListenError,
  type ListenerConfig,
  type ListenerInfo,
  type LogFactory,
  type Logger,
  type LogLevel,
  type NodeInfo,
  ProtocolError,
  type ReceiveFilter,
  type ReceiveFilterContext,
  type ReceiveFilterFactory,
  type ReceiveFilterFactoryLike,
  type RequestInfo,
  type ResolvedListenerConfig,
  type ResolvedServerConfig,
  type SecurityMode,
  SendTimeoutError,
  type ServerConfig,
  type ServerMode,
  ServerState,
  ServerStateError,
  SessionClosedError,
  SocketError,
  type SocketErrorCode,
  serverStateName,
  silentLogFactory,
  type TextEncoding,
  TlsHandshakeError,
  type TlsSessionInfo,
  type TlsVersion,
} from '@socketlite/socket-base'
export { AppServer } from './app-server.js'
export type {
  ActiveConnectOptions,
  AppServerEvents,
  AppServerOptions,
  AppSessionClass,
} from './app-server-options.js'
export { AppSession, type AppSessionInit, type SendOptions } from './app-session.js'
export { type RequestHandledMessage, requestHandledChannelName } from './diagnostics.js'
export { InProcessAdapter, type InProcessAdapterInit } from './in-process-adapter.js'
export type { CommandHandler } from './request-router.js'
export { parseServerConfig } from './resolve-server-config.js'
export { type ServerConfigDefaults, serverConfigDefaults } from './server-config-schema.js'
export type { RejectionCause, RejectionStats, SendPoolStats, ServerStats } from './server-stats.js'
