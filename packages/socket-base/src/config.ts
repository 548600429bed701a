import type { AddressFamily } from './endpoint.js'

/** Transport security of a listener. */
export type SecurityMode = 'none' | 'tls'

/** Transport of a server: stream (`tcp`, optionally TLS) or datagram (`udp`). */
export type ServerMode = 'tcp' | 'udp'

/** Text encodings accepted for string requests and for strings passed to `send` (Node Buffer encodings). */
export type TextEncoding =
  | 'utf8'
  | 'utf-8'
  | 'ascii'
  | 'latin1'
  | 'binary'
  | 'utf16le'
  | 'ucs2'
  | 'ucs-2'
  | 'base64'
  | 'hex'

/** Lowest TLS version a server accepts. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3'

/**
 * SuperSocket's names for the wildcard listen addresses, and the address each stands for. The config accepts them
 * wherever it takes an `ip`.
 */
export const listenAddressAliases = Object.freeze({ Any: '0.0.0.0', IPv6Any: '::' } as const)

/** A listen address alias: `'Any'` or `'IPv6Any'`. */
export type ListenAddressAlias = keyof typeof listenAddressAliases

/** The literal address for a listen `ip`: `'Any'` → `0.0.0.0`, `'IPv6Any'` → `::`, anything else unchanged. */
export function resolveListenAddress(ip: string): string {
  return Object.hasOwn(listenAddressAliases, ip) ? listenAddressAliases[ip as ListenAddressAlias] : ip
}

/** One endpoint of a server with several `listeners`. */
export interface ListenerConfig {
  /** Listen address; `'Any'` = `0.0.0.0`, `'IPv6Any'` = `::`. */
  ip: string
  /** Listen port; `0` asks the system for a free one. */
  port: number
  /**
   * Accept backlog.
   * @default 511
   */
  backlog?: number | undefined
  /**
   * Overrides the server's `security` for this endpoint.
   * @default the server's `security`
   */
  security?: SecurityMode | undefined
}

/** Certificate from PEM files. */
export interface PemCertificateConfig {
  certFile: string
  keyFile: string
  /** Passphrase of an encrypted key. */
  passphrase?: string | undefined
}

/** Certificate from a PKCS#12 (PFX) file. */
export interface PfxCertificateConfig {
  pfxFile: string
  passphrase?: string | undefined
}

/** Options shared by both certificate forms. */
export interface CertificateOptions {
  /** CA bundle (PEM) that client certificates must be signed by. */
  caFile?: string | undefined
  /**
   * Refuse clients without a valid certificate signed by `caFile`.
   * @default false
   */
  clientCertificateRequired?: boolean | undefined
  /**
   * Lowest TLS version accepted.
   * @default 'TLSv1.2'
   */
  minVersion?: TlsVersion | undefined
}

/** Server certificate: `{ certFile, keyFile }` or `{ pfxFile, passphrase? }`, plus {@link CertificateOptions}. */
export type CertificateConfig = (PemCertificateConfig | PfxCertificateConfig) & CertificateOptions

/**
 * What `new AppServer({ config })` accepts: a plain JSON-able object (a `server.json` file works as is).
 * Exactly one of `port` or `listeners` must be given. Times are in milliseconds where the name ends in
 * `TimeOut` (SuperSocket's naming) except the idle options, which are in seconds like SuperSocket's.
 */
export interface ServerConfig {
  /**
   * Server name; also the logger name.
   * @default 'socketlite'
   */
  name?: string | undefined
  /**
   * Listen address for `port`; `'Any'` = `0.0.0.0`, `'IPv6Any'` = `::`.
   * @default '127.0.0.1'
   */
  ip?: string | undefined
  /** Listen port (`0` = ephemeral). Exactly one of `port` or `listeners`. */
  port?: number | undefined
  /** Several endpoints served by one server; `[]` for a server that only connects out. Exactly one of `port` or `listeners`. */
  listeners?: ListenerConfig[] | undefined
  /**
   * Backlog of the `ip`/`port` listener.
   * @default 511
   */
  listenBacklog?: number | undefined
  /**
   * `'tcp'` or `'udp'`, for every listener.
   * @default 'tcp'
   */
  mode?: ServerMode | undefined
  /**
   * Server-wide default security; each listener may override it.
   * @default 'none'
   */
  security?: SecurityMode | undefined
  /** Required when any listener is TLS. */
  certificate?: CertificateConfig | undefined
  /**
   * A TLS client that has not completed its handshake by then is dropped (ms).
   * @default 10000
   */
  handshakeTimeOut?: number | undefined
  /**
   * TLS connections still in their handshake, at once. They hold no session slot (they do count toward
   * `maxConnectionsPerIp`); over this a new TCP connection to a TLS listener is closed at once and counted in
   * `getStats()`, so that silent connections cannot lock real TLS clients out.
   * @default 1000
   */
  maxPendingHandshakes?: number | undefined
  /**
   * Sessions at once; a connection over the limit is closed at once with no session events.
   * @default 10000
   */
  maxConnectionNumber?: number | undefined
  /**
   * Sessions at once per remote address; 0 = unlimited.
   * @default 0
   */
  maxConnectionsPerIp?: number | undefined
  /**
   * Largest frame in bytes, counted whole (header + body + terminator or marks), inclusive.
   * @default 65536
   */
  maxRequestLength?: number | undefined
  /**
   * How long `send()` waits for room in the sending queue (ms); `0` = forever, `< 0` = fail at once.
   * @default 5000
   */
  sendTimeOut?: number | undefined
  /**
   * A session's sending queue (queued + unflushed socket bytes) may not grow past this (bytes).
   * @default 65536
   */
  sendHighWaterMark?: number | undefined
  /**
   * Waiting senders and a paused reader resume once the queue is below this (bytes).
   * @default sendHighWaterMark / 2
   */
  sendLowWaterMark?: number | undefined
  /**
   * How long a closing session drains its queue before the socket is destroyed (ms).
   * @default 5000
   */
  closeTimeOut?: number | undefined
  /**
   * A frame whose first byte has arrived must be complete within this (ms), or the session closes with
   * `CloseReason.TimeOut` (slow-drip clients). The clock stops while the server itself has paused reading
   * (backpressure, a busy handler). `0` = off.
   * @default 30000
   */
  frameTimeOut?: number | undefined
  /**
   * A session whose sending queue holds bytes and whose peer has taken none of them for this long (ms) closes with
   * `CloseReason.TimeOut` (a client that never reads). `0` = off.
   * @default 60000
   */
  sendStallTimeOut?: number | undefined
  /**
   * A connect or request handler (or `onSessionStarted`) that has not settled by then (ms) counts as failed:
   * `handleException(HandlerTimeoutError)` (`ERR_HANDLER_TIMEOUT`), whose default closes the session with
   * `ApplicationError`; its late result is ignored. `0` = off.
   * @default 60000
   */
  handlerTimeOut?: number | undefined
  /**
   * Close sessions idle longer than `idleSessionTimeOut` with `CloseReason.TimeOut`.
   * @default true
   */
  clearIdleSession?: boolean | undefined
  /**
   * Idle = nothing received for this long (seconds, fractions allowed). Sends do not count as activity.
   * @default 300
   */
  idleSessionTimeOut?: number | undefined
  /**
   * How often idleness is checked (seconds, fractions allowed).
   * @default 120
   */
  clearIdleSessionInterval?: number | undefined
  /**
   * TCP keep-alive initial delay (seconds); `0` = off.
   * @default 600
   */
  keepAliveTime?: number | undefined
  /**
   * TCP_NODELAY on accepted sockets.
   * @default true
   */
  noDelay?: boolean | undefined
  /**
   * Encoding of string requests and of strings passed to `send`.
   * @default 'utf8'
   */
  textEncoding?: TextEncoding | undefined
  /**
   * Log connect and close of each session at info level.
   * @default true
   */
  logBasicSessionActivity?: boolean | undefined
}

/** A listener after resolution: address names replaced, security and backlog filled in. */
export interface ResolvedListenerConfig {
  readonly ip: string
  readonly port: number
  readonly backlog: number
  readonly security: SecurityMode
}

/** The configuration a running server uses: every default filled in, `port` folded into `listeners`. Frozen. */
export interface ResolvedServerConfig {
  readonly name: string
  readonly mode: ServerMode
  readonly security: SecurityMode
  readonly listeners: readonly ResolvedListenerConfig[]
  readonly certificate: Readonly<CertificateConfig> | undefined
  readonly handshakeTimeOut: number
  readonly maxPendingHandshakes: number
  readonly maxConnectionNumber: number
  readonly maxConnectionsPerIp: number
  readonly maxRequestLength: number
  readonly sendTimeOut: number
  readonly sendHighWaterMark: number
  readonly sendLowWaterMark: number
  readonly closeTimeOut: number
  readonly frameTimeOut: number
  readonly sendStallTimeOut: number
  readonly handlerTimeOut: number
  readonly clearIdleSession: boolean
  readonly idleSessionTimeOut: number
  readonly clearIdleSessionInterval: number
  readonly keepAliveTime: number
  readonly noDelay: boolean
  readonly textEncoding: TextEncoding
  readonly logBasicSessionActivity: boolean
}

/** A bound endpoint, as `server.start()` resolves with and `server.endpoints` lists. */
export interface ListenerInfo {
  /** The bound address. */
  readonly ip: string
  /** The bound port (the actual one when `0` was asked). */
  readonly port: number
  readonly family: AddressFamily
  readonly security: SecurityMode
  readonly mode: ServerMode
}
