/** Brand read by {@link SocketError.isSocketError}; shared across installed copies of socket-base. */
export const socketErrorBrand: unique symbol = Symbol.for('@socketlite/socket-base/error') as never

/**
 * Every stable error code of socketlite. `docs/errors.md` lists each with its meaning and fix.
 * Codes never change meaning; tests and users match on them, never on messages.
 */
export type SocketErrorCode =
  | 'ERR_INVALID_CONFIG'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_SERVER_STATE'
  | 'ERR_LISTEN_FAILED'
  | 'ERR_CONNECT_FAILED'
  | 'ERR_CONNECTION_REFUSED'
  | 'ERR_SESSION_CLOSED'
  | 'ERR_SEND_TIMEOUT'
  | 'ERR_REQUEST_TIMEOUT'
  | 'ERR_DATAGRAM_TOO_LARGE'
  | 'ERR_PROTOCOL'
  | 'ERR_REQUEST_TOO_LARGE'
  | 'ERR_TLS_HANDSHAKE'
  | 'ERR_HANDLER_TIMEOUT'
  | 'ERR_CLUSTER_UNAVAILABLE'
  | 'ERR_INTERNAL'

/** Options every socketlite error accepts. */
export interface SocketErrorOptions {
  /** The underlying error (a system error, a schema issue list, ...). */
  cause?: unknown
}

/**
 * Base of every error socketlite throws, rejects with or emits.
 * Match on {@link SocketError.code}, or use {@link SocketError.isSocketError} which also works across
 * duplicate installs of this package (it checks a `Symbol.for` brand, not the prototype chain).
 */
export class SocketError extends Error {
  /** Brand for {@link SocketError.isSocketError}. */
  readonly [socketErrorBrand] = true as const
  /** Stable, documented error code. */
  readonly code: SocketErrorCode

  constructor(code: SocketErrorCode, message: string, options?: SocketErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.name = 'SocketError'
  }

  /** True for errors made by any installed copy of socket-base. */
  static isSocketError(value: unknown): value is SocketError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [socketErrorBrand]?: unknown })[socketErrorBrand] === true &&
      typeof (value as { code?: unknown }).code === 'string'
    )
  }
}

/** One problem found in a configuration object. */
export interface ConfigIssue {
  /** Dotted path of the bad field, e.g. `listeners.1.port`; `''` for the object itself. */
  readonly path: string
  /** What is wrong with it. */
  readonly message: string
}

/** Invalid configuration. Lists every problem at once in {@link ConfigError.issues}. Code `ERR_INVALID_CONFIG`. */
export class ConfigError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_INVALID_CONFIG'

  /** Every problem found, one per bad field. */
  readonly issues: readonly ConfigIssue[]

  constructor(issues: readonly ConfigIssue[], options?: SocketErrorOptions) {
    const list = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')
    super('ERR_INVALID_CONFIG', `Invalid configuration: ${list}`, options)
    this.issues = issues
    this.name = 'ConfigError'
  }
}

/** A method was called with an argument it cannot accept (a programming error). Code `ERR_INVALID_ARGUMENT`. */
export class InvalidArgumentError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_INVALID_ARGUMENT'

  constructor(message: string, options?: SocketErrorOptions) {
    super('ERR_INVALID_ARGUMENT', message, options)
    this.name = 'InvalidArgumentError'
  }
}

/** A server method was called in a state that does not allow it (e.g. `start()` while running). Code `ERR_SERVER_STATE`. */
export class ServerStateError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_SERVER_STATE'

  constructor(message: string, options?: SocketErrorOptions) {
    super('ERR_SERVER_STATE', message, options)
    this.name = 'ServerStateError'
  }
}

/** An endpoint could not be bound. `cause` is the system error (`EADDRINUSE`, `EACCES`, ...). Code `ERR_LISTEN_FAILED`. */
export class ListenError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_LISTEN_FAILED'

  constructor(message: string, options?: SocketErrorOptions) {
    super('ERR_LISTEN_FAILED', message, options)
    this.name = 'ListenError'
  }
}

/** An outbound connection (`activeConnect`) failed or was refused. Code `ERR_CONNECT_FAILED` or `ERR_CONNECTION_REFUSED`. */
export class ConnectError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_CONNECT_FAILED' | 'ERR_CONNECTION_REFUSED'

  constructor(
    message: string,
    options?: SocketErrorOptions & { code?: 'ERR_CONNECT_FAILED' | 'ERR_CONNECTION_REFUSED' },
  ) {
    super(options?.code ?? 'ERR_CONNECT_FAILED', message, options)
    this.name = 'ConnectError'
  }
}

/** The session is closing or closed; nothing more can be sent. Code `ERR_SESSION_CLOSED`. */
export class SessionClosedError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_SESSION_CLOSED'

  constructor(message = 'The session is closed', options?: SocketErrorOptions) {
    super('ERR_SESSION_CLOSED', message, options)
    this.name = 'SessionClosedError'
  }
}

/** `send()` found no room in the sending queue within `sendTimeOut`; the session stays open. Code `ERR_SEND_TIMEOUT`. */
export class SendTimeoutError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_SEND_TIMEOUT'

  constructor(message = 'No room in the sending queue within sendTimeOut', options?: SocketErrorOptions) {
    super('ERR_SEND_TIMEOUT', message, options)
    this.name = 'SendTimeoutError'
  }
}

/**
 * A request sent with a client's request/reply helper got no reply within its timeout. Code `ERR_REQUEST_TIMEOUT`.
 * The connection stays open.
 */
export class RequestTimeoutError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_REQUEST_TIMEOUT'

  constructor(message = 'No reply within the request timeout', options?: SocketErrorOptions) {
    super('ERR_REQUEST_TIMEOUT', message, options)
    this.name = 'RequestTimeoutError'
  }
}

/** A UDP payload is larger than one datagram can carry. Code `ERR_DATAGRAM_TOO_LARGE`. */
export class DatagramTooLargeError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_DATAGRAM_TOO_LARGE'

  constructor(message: string, options?: SocketErrorOptions) {
    super('ERR_DATAGRAM_TOO_LARGE', message, options)
    this.name = 'DatagramTooLargeError'
  }
}

/**
 * The byte stream does not follow the protocol. Code `ERR_PROTOCOL` for malformed input,
 * `ERR_REQUEST_TOO_LARGE` for a frame over `maxRequestLength`. The session closes with `ProtocolError`.
 */
export class ProtocolError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_PROTOCOL' | 'ERR_REQUEST_TOO_LARGE'

  constructor(message: string, options?: SocketErrorOptions & { code?: 'ERR_PROTOCOL' | 'ERR_REQUEST_TOO_LARGE' }) {
    super(options?.code ?? 'ERR_PROTOCOL', message, options)
    this.name = 'ProtocolError'
  }
}

/** A TLS handshake failed or timed out. Code `ERR_TLS_HANDSHAKE`. */
export class TlsHandshakeError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_TLS_HANDSHAKE'

  constructor(message: string, options?: SocketErrorOptions) {
    super('ERR_TLS_HANDSHAKE', message, options)
    this.name = 'TlsHandshakeError'
  }
}

/**
 * A connect or request handler (or `onSessionStarted`) did not settle within `handlerTimeOut`. It is passed to
 * `session.handleException`, whose default closes the session with `ApplicationError`; the handler's late result is
 * ignored. Code `ERR_HANDLER_TIMEOUT`.
 */
export class HandlerTimeoutError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_HANDLER_TIMEOUT'

  constructor(message = 'A handler did not settle within handlerTimeOut', options?: SocketErrorOptions) {
    super('ERR_HANDLER_TIMEOUT', message, options)
    this.name = 'HandlerTimeoutError'
  }
}

/**
 * The cluster backend (Redis, for `@socketlite/redis-adapter`) cannot be reached: the adapter could not connect at
 * start, or it is disconnected now. Cluster calls (`publish`, `sendTo` to another node, `countSessions`, `nodes`,
 * `join`/`leave` putting a subscription in force) fail fast with it instead of waiting; local sessions keep working,
 * and the adapter re-registers everything by itself once the backend is back. `cause` is the connection error when
 * there is one. Code `ERR_CLUSTER_UNAVAILABLE`.
 */
export class ClusterUnavailableError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_CLUSTER_UNAVAILABLE'

  constructor(message = 'The cluster backend is unreachable', options?: SocketErrorOptions) {
    super('ERR_CLUSTER_UNAVAILABLE', message, options)
    this.name = 'ClusterUnavailableError'
  }
}

/** A bug of socketlite: please report it. Code `ERR_INTERNAL`. */
export class InternalError extends SocketError {
  /** This class's code(s), so that a union of error classes narrows on `code`. */
  declare readonly code: 'ERR_INTERNAL'

  constructor(message: string, options?: SocketErrorOptions) {
    super('ERR_INTERNAL', message, options)
    this.name = 'InternalError'
  }
}
