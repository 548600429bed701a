import { readFileSync } from 'node:fs'
import { SmartPool } from '@socketlite/sending-queue'
import {
  type CloseReason,
  InvalidArgumentError,
  type ReceiveFilter,
  type ReceiveFilterFactoryLike,
  type TextEncoding,
} from '@socketlite/socket-base'
import { type ReconnectOptions, type ResolvedReconnectOptions, resolveReconnectOptions } from './backoff.js'
import type { ClientTlsConnectionOptions, ConnectionTarget } from './connection.js'
import type { Unsent } from './send-ledger.js'

/** TLS options of a {@link SocketClientInit} (`tls: true` is `{}`: verify against the system's CAs). */
export interface SocketClientTlsOptions {
  /** CA certificate(s) (PEM) the server's certificate must verify against, instead of the system's CAs. */
  ca?: string | Buffer | readonly (string | Buffer)[]
  /** The same, read from a PEM file when the client is made. */
  caFile?: string
  /** A client certificate (PEM), for servers that require one; with `key`. */
  cert?: string | Buffer
  /** The client certificate's private key (PEM). */
  key?: string | Buffer
  /**
   * The name the server's certificate must be valid for (and the SNI sent).
   * @default `host`, unless it is an IP address (then the certificate must list that address)
   */
  servername?: string
  /**
   * Accept any server certificate, unverified. For tests against a self-signed certificate only: anyone on the path
   * can then read and change the traffic.
   * @default false
   */
  insecure?: boolean
}

/** Options of a {@link SocketClient}. */
export interface SocketClientInit<TReply> {
  /** The server's host name or IP address. */
  host: string
  /** The server's port, 1 to 65535. */
  port: number
  /**
   * `'tcp'` (a stream, optionally TLS) or `'udp'` (datagrams; each one parsed whole by the receive filter).
   * @default 'tcp'
   */
  mode?: 'tcp' | 'udp'
  /** Connect with TLS (TCP only): `true` verifies the server against the system's CAs; options for anything else. */
  tls?: boolean | SocketClientTlsOptions
  /**
   * The receive filter that frames the server's replies (any filter of `@socketlite/protocol`, or your own). It is
   * reset for every new connection. Give this or `receiveFilterFactory`.
   */
  receiveFilter?: ReceiveFilter<TReply>
  /** Makes a fresh filter for every connection (a factory object or a function). Give this or `receiveFilter`. */
  receiveFilterFactory?: ReceiveFilterFactoryLike<TReply>
  /**
   * Reconnect after a drop (and retry a failed `connect()`), with exponential back-off and jitter. `true` takes every
   * default of {@link ReconnectOptions}.
   * @default false
   */
  reconnect?: ReconnectOptions | boolean
  /**
   * The sending queue (bytes queued and not yet written) may not grow past this: `trySend` returns false and `send`
   * waits. A single payload larger than this is accepted into an empty queue. A positive integer (bytes).
   * @default 65536
   */
  sendHighWaterMark?: number
  /**
   * Waiting sends resume once the queue falls below this (bytes, 0 to `sendHighWaterMark`).
   * @default half of sendHighWaterMark
   */
  sendLowWaterMark?: number
  /**
   * How long `send()` and `request()` wait for room, or for the connection while it is being made again (ms);
   * `0` = forever, `< 0` = not at all.
   * @default 5000
   */
  sendTimeOut?: number
  /**
   * How long one connect may take, name resolution and the TLS handshake included (ms). A positive integer.
   * @default 10000
   */
  connectTimeOut?: number
  /**
   * Largest reply frame in bytes, counted whole (header + body + terminator or marks); a larger one is a
   * `ProtocolError` (`ERR_REQUEST_TOO_LARGE`) that closes the connection. A positive integer.
   * @default 65536
   */
  maxRequestLength?: number
  /**
   * `close()` drains the sending queue for at most this long (ms), then the connection is destroyed.
   * @default 5000
   */
  closeTimeOut?: number
  /**
   * Each `for await` loop over the client holds at most about this many bytes of replies its consumer has not taken;
   * then the client stops reading until the consumer took it down to half. A positive integer (bytes).
   * @default 1048576
   */
  replyHighWaterMark?: number
  /**
   * Encoding of strings passed to `send`, `trySend` and `request`.
   * @default 'utf8'
   */
  textEncoding?: TextEncoding
  /** TCP_NODELAY. @default true */
  noDelay?: boolean
  /** TCP keep-alive: seconds of silence before the first probe; `0` = off. @default 600 */
  keepAliveTime?: number
  /**
   * The pool of send chunks small payloads are coalesced into; share one between many clients. A client makes its own
   * (a few chunks) when none is given.
   */
  sendPool?: SmartPool
}

/** The state of a {@link SocketClient}. */
export type SocketClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closing' | 'closed'

/** What `disconnected` reports about the connection that ended. */
export interface DisconnectInfo {
  /**
   * The error behind the drop: the `ProtocolError` of a malformed reply, the system error of a reset, the exception
   * a `message` listener threw; `undefined` for a clean end (`close()`, or the server ended the connection).
   */
  readonly error: Error | undefined
  /**
   * The last sends accepted on this connection that were still in the client's sending queue, never handed to the
   * operating system: certainly not sent. The client never sends them again; send them again yourself if you want
   * them delivered (on the next connection).
   */
  readonly unsent: Unsent
  /**
   * The sends just before those, in the write under way when the connection ended: handed to the operating system,
   * not confirmed. None, part or all of them may have reached the server. (Sends before these were written to the
   * operating system; TCP itself cannot tell whether the server read them before a reset.)
   */
  readonly unconfirmed: Unsent
  /** Replies the `request()` helper was still waiting for (they reject with `SessionClosedError`). */
  readonly pendingRequests: number
  /** True when the client will connect again (`reconnecting` follows). */
  readonly willReconnect: boolean
}

/** Events of a {@link SocketClient} (its `EventEmitter` event map). */
export interface SocketClientEvents<TReply> {
  /** A connection is established (again). */
  connected: []
  /**
   * The connection ended. `reason`, from the client's side: `ClientClosing` = `close()`; `ServerClosing` = the server
   * ended it; `SocketError` = a reset or a socket error; `ProtocolError` = a malformed or too large reply;
   * `ApplicationError` = a `message` listener threw; `InternalError` = a bug of socketlite.
   */
  disconnected: [reason: CloseReason, info: DisconnectInfo]
  /**
   * The client waits `delay` ms, then makes attempt `attempt` (counted from 1) to connect again. `cause` is why the
   * previous attempt failed (`undefined` right after a drop: `disconnected` said why).
   */
  reconnecting: [attempt: number, delay: number, cause: Error | undefined]
  /** `maxAttempts` attempts in a row failed: the client gave up and is closed. `error` is the last attempt's. */
  reconnectFailed: [error: Error]
  /** A reply, framed by the receive filter. */
  message: [reply: TReply]
}

/** Options of {@link SocketClient.request}. */
export interface RequestOptions {
  /**
   * Reject with `RequestTimeoutError` when no reply came within this many ms of the call; `0` = no timeout.
   * @default 10000
   */
  timeout?: number
  /** Reject with the signal's reason when it aborts (the request keeps its place in the reply order, as for a timeout). */
  signal?: AbortSignal
}

/** {@link SocketClientInit} checked and with every default filled in. */
export interface ResolvedClientOptions<TReply> {
  readonly target: ConnectionTarget
  readonly filter: (connectionId: string) => ReceiveFilter<TReply>
  readonly reconnect: ResolvedReconnectOptions | undefined
  readonly sendTimeOut: number
  readonly maxRequestLength: number
  readonly replyHighWaterMark: number
  readonly textEncoding: TextEncoding
}

function integer(name: string, value: unknown, min: number, fallback: number): number {
  const resolved = value ?? fallback
  if (typeof resolved !== 'number' || !Number.isSafeInteger(resolved) || resolved < min) {
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${String(value)}`)
  }
  return resolved
}

function finite(name: string, value: unknown, fallback: number): number {
  const resolved = value ?? fallback
  if (typeof resolved !== 'number' || !Number.isFinite(resolved)) {
    throw new InvalidArgumentError(`${name} must be a finite number, got ${String(value)}`)
  }
  return resolved
}

function isFilter(value: unknown): value is ReceiveFilter<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { filter?: unknown }).filter === 'function'
}

function resolveTls(
  value: boolean | SocketClientTlsOptions | undefined,
  mode: 'tcp' | 'udp',
): ClientTlsConnectionOptions | undefined {
  if (value === undefined || value === false) return undefined
  if (mode === 'udp') throw new InvalidArgumentError('tls is not available in udp mode')
  if (value === true) return Object.freeze({})
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError('tls must be true, false or { ca?, caFile?, cert?, key?, servername?, insecure? }')
  }
  const options: ClientTlsConnectionOptions = {}
  if (value.ca !== undefined) options.ca = value.ca as ClientTlsConnectionOptions['ca'] & object
  if (value.caFile !== undefined) {
    if (value.ca !== undefined) throw new InvalidArgumentError('tls: give ca or caFile, not both')
    try {
      options.ca = readFileSync(value.caFile)
    } catch (error) {
      throw new InvalidArgumentError(`tls.caFile cannot be read: ${(error as Error).message}`, { cause: error })
    }
  }
  if ((value.cert === undefined) !== (value.key === undefined)) {
    throw new InvalidArgumentError('tls: give cert and key together')
  }
  if (value.cert !== undefined) options.cert = value.cert
  if (value.key !== undefined) options.key = value.key
  if (value.servername !== undefined) {
    if (typeof value.servername !== 'string' || value.servername === '') {
      throw new InvalidArgumentError('tls.servername must be a non-empty string')
    }
    options.servername = value.servername
  }
  if (value.insecure === true) options.rejectUnauthorized = false
  return Object.freeze(options)
}

/**
 * Check `init` and fill in the defaults.
 * @throws {InvalidArgumentError} a missing or invalid option (named in the message).
 */
export function resolveClientOptions<TReply>(init: SocketClientInit<TReply>): ResolvedClientOptions<TReply> {
  if (typeof init !== 'object' || init === null) throw new InvalidArgumentError('SocketClient needs options')
  const { host, port } = init
  if (typeof host !== 'string' || host === '') throw new InvalidArgumentError('host must be a non-empty string')
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError(`port must be an integer from 1 to 65535, got ${String(port)}`)
  }
  const mode = init.mode ?? 'tcp'
  if (mode !== 'tcp' && mode !== 'udp')
    throw new InvalidArgumentError(`mode must be 'tcp' or 'udp', got ${String(mode)}`)
  const { receiveFilter, receiveFilterFactory } = init
  if ((receiveFilter === undefined) === (receiveFilterFactory === undefined)) {
    throw new InvalidArgumentError('give exactly one of receiveFilter and receiveFilterFactory')
  }
  let filter: (connectionId: string) => ReceiveFilter<TReply>
  if (receiveFilter !== undefined) {
    if (!isFilter(receiveFilter)) throw new InvalidArgumentError('receiveFilter must be a ReceiveFilter')
    filter = () => {
      receiveFilter.reset()
      return receiveFilter
    }
  } else if (typeof receiveFilterFactory === 'function') {
    filter = (sessionId) => receiveFilterFactory({ sessionId, remoteEndPoint: { address: host, port } })
  } else if (
    typeof receiveFilterFactory === 'object' &&
    receiveFilterFactory !== null &&
    typeof receiveFilterFactory.createFilter === 'function'
  ) {
    filter = (sessionId) => receiveFilterFactory.createFilter({ sessionId, remoteEndPoint: { address: host, port } })
  } else throw new InvalidArgumentError('receiveFilterFactory must have createFilter(session) or be a function')

  const sendHighWaterMark = integer('sendHighWaterMark', init.sendHighWaterMark, 1, 65_536)
  const sendLowWaterMark = integer('sendLowWaterMark', init.sendLowWaterMark, 0, Math.floor(sendHighWaterMark / 2))
  if (sendLowWaterMark > sendHighWaterMark) {
    throw new InvalidArgumentError(`sendLowWaterMark (${sendLowWaterMark}) must not exceed sendHighWaterMark`)
  }
  const connectTimeOut = integer('connectTimeOut', init.connectTimeOut, 1, 10_000)
  const closeTimeOut = integer('closeTimeOut', init.closeTimeOut, 0, 5_000)
  const keepAliveTime = finite('keepAliveTime', init.keepAliveTime, 600)
  if (keepAliveTime < 0) throw new InvalidArgumentError(`keepAliveTime must be >= 0, got ${keepAliveTime}`)
  const sendPool = init.sendPool ?? new SmartPool({ maxChunks: Math.max(4, Math.ceil(sendHighWaterMark / 16_384) + 2) })
  if (!(sendPool instanceof SmartPool)) throw new InvalidArgumentError('sendPool must be a SmartPool')
  const textEncoding = init.textEncoding ?? 'utf8'
  if (typeof textEncoding !== 'string' || !Buffer.isEncoding(textEncoding)) {
    throw new InvalidArgumentError(`textEncoding must be a Node.js encoding, got ${String(textEncoding)}`)
  }
  return {
    target: {
      host,
      port,
      mode,
      tls: resolveTls(init.tls, mode),
      connectTimeOut,
      session: Object.freeze({
        sendHighWaterMark,
        sendLowWaterMark,
        closeTimeOut,
        sendPool,
        noDelay: init.noDelay ?? true,
        keepAliveTime,
      }),
    },
    filter,
    reconnect: resolveReconnectOptions(init.reconnect),
    sendTimeOut: finite('sendTimeOut', init.sendTimeOut, 5_000),
    maxRequestLength: integer('maxRequestLength', init.maxRequestLength, 1, 65_536),
    replyHighWaterMark: integer('replyHighWaterMark', init.replyHighWaterMark, 1, 1_048_576),
    textEncoding,
  }
}
