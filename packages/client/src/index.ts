/**
 * @packageDocumentation
 * The client side of socketlite (SuperSocket's `EasyClient`): `SocketClient` connects to a server over TCP, TLS or
 * UDP, frames its replies with the same receive filters the server uses, sends through the same bounded, coalescing
 * sending queue, hands replies out as `message` events, as an async iterator and through a request/reply helper,
 * and reconnects with exponential back-off and jitter. What a client needs from the layers below (the receive
 * filters and request types, close reasons, the error classes) is re-exported.
 *
 * @example
 * ```ts
 * import { SocketClient, TerminatorReceiveFilter } from '@socketlite/client'
 *
 * const client = new SocketClient({
 *   host: '127.0.0.1',
 *   port: 2020,
 *   receiveFilter: new TerminatorReceiveFilter({ terminator: '\r\n' }),
 *   reconnect: { initialDelay: 500, maxDelay: 10_000 },
 * })
 * await client.connect()
 * const reply = await client.request('ECHO hello\r\n', { timeout: 2_000 })
 * console.log(reply.key) // 'hello'
 * await client.close()
 * ```
 */
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
  TerminatorReceiveFilter,
  TerminatorReceiveFilterBase,
  type TerminatorReceiveFilterBaseInit,
  TerminatorReceiveFilterFactory,
  type TerminatorReceiveFilterInit,
  UdpRequestInfo,
} from '@socketlite/protocol'
export { SmartPool } from '@socketlite/sending-queue'
export {
  CloseReason,
  type CloseReasonName,
  ConnectError,
  closeReasonName,
  DatagramTooLargeError,
  type EndPoint,
  InvalidArgumentError,
  ProtocolError,
  type ReceiveFilter,
  type ReceiveFilterContext,
  type ReceiveFilterFactory,
  type ReceiveFilterFactoryLike,
  type RequestInfo,
  RequestTimeoutError,
  SendTimeoutError,
  SessionClosedError,
  SocketError,
  type SocketErrorCode,
  type TextEncoding,
  TlsHandshakeError,
} from '@socketlite/socket-base'
export { type ReconnectOptions, type ResolvedReconnectOptions, reconnectDefaults, reconnectDelay } from './backoff.js'
export type { SendReport, Unsent } from './send-ledger.js'
export { SocketClient } from './socket-client.js'
export type {
  DisconnectInfo,
  RequestOptions,
  SocketClientEvents,
  SocketClientInit,
  SocketClientState,
  SocketClientTlsOptions,
} from './socket-client-options.js'
