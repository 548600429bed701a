import { lookup } from 'node:dns/promises'
import { EventEmitter } from 'node:events'
import net from 'node:net'
import type tls from 'node:tls'
import { CommandLineReceiveFilterFactory, type StringRequestInfo } from '@socketlite/protocol'
import { ChunkPool } from '@socketlite/sending-queue'
import { connectSocket } from '@socketlite/session-async'
import { TlsCertificateStore } from '@socketlite/session-tls'
import {
  type AppServer as AppServerContract,
  CloseReason,
  ConfigError,
  ConnectError,
  type ConnectionFilter,
  ConsoleLogFactory,
  closeReasonName,
  InvalidArgumentError,
  ListenError,
  type ListenerInfo,
  type Logger,
  type ReceiveFilter,
  type ReceiveFilterFactoryLike,
  type ResolvedServerConfig,
  ServerState,
  ServerStateError,
  SocketError,
  type SocketSession,
  serverStateName,
} from '@socketlite/socket-base'
import type { ActiveConnectOptions, AppServerEvents, AppServerOptions, AppSessionClass } from './app-server-options.js'
import { AppSession, type SessionInternals, sessionInternals } from './app-session.js'
import { ConnectionSlots } from './connection-slots.js'
import { resolveServerConfig } from './resolve-server-config.js'
import { type RejectionCause, ServerCounters, type ServerStats } from './server-stats.js'
import type { SessionHost } from './session-host.js'
import { remoteEndPointOf, TcpIncomingConnection } from './tcp-transport.js'
import { TlsOutgoingConnection } from './tls-transport.js'
import { createTransport, type IncomingConnection, type Transport, type TransportHost } from './transport.js'
import { UdpTransport } from './udp-transport.js'

type Listener = (...args: unknown[]) => unknown

/** Errors of one burst of listener errors (e.g. an `EMFILE` storm) closer together than this are logged once. */
const errorBurstMilliseconds = 1_000

/**
 * The chunks the sessions of one server coalesce their small replies into (see `@socketlite/sending-queue`): 16 KiB
 * each, at most 2048 kept (32 MiB) once that many were in use at once; beyond it a session makes a chunk of its own.
 * A chunk belongs to one session until its bytes are written.
 */
const sendChunkSize = 16_384
const maxSendChunks = 2_048

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}

/**
 * Run `listeners` with `args` as `EventEmitter.emit` would, but collect what they return: `undefined`, or a
 * promise settling once every asynchronous listener has. A throw stops the remaining listeners and is rethrown
 * (after the asynchronous ones already started have settled, so no handler outlives the error report).
 */
function callListeners(target: unknown, listeners: Listener[], args: unknown[]): unknown {
  if (listeners.length === 1) return (listeners[0] as Listener).apply(target, args)
  let pending: PromiseLike<unknown>[] | undefined
  for (const listener of listeners) {
    let result: unknown
    try {
      result = listener.apply(target, args)
    } catch (error) {
      if (pending === undefined) throw error
      return Promise.allSettled(pending).then(() => {
        throw error
      })
    }
    if (isThenable(result)) {
      if (pending === undefined) pending = [result]
      else pending.push(result)
    }
  }
  if (pending === undefined) return undefined
  return pending.length === 1 ? pending[0] : Promise.all(pending)
}

/**
 * A socket server for a custom protocol (SuperSocket's `AppServer`): it listens on one or more endpoints, turns
 * each connection into an {@link AppSession}, splits its byte stream into requests with a receive filter, and
 * emits typed events in a strict order per session: one `newSessionConnected`, the requests in arrival order
 * (each after the previous handler settled), one `sessionClosed`.
 *
 * @example
 * ```ts
 * const server = new AppServer({ config: { ip: '127.0.0.1', port: 2020 } })
 * server.on('newSessionConnected', (session) => { session.trySend('WELCOME\r\n') })
 * server.on('newRequestReceived', async (session, request) => {
 *   if (request.key === 'ECHO') await session.send(`${request.body}\r\n`)
 *   else if (request.key === 'QUIT') await session.close()
 * })
 * const listeners = await server.start()
 * // ...
 * await server.stop()
 * ```
 */
export class AppServer<TRequest = StringRequestInfo, TSession extends AppSession<TRequest> = AppSession<TRequest>>
  extends EventEmitter<AppServerEvents<TRequest, TSession>>
  implements AppServerContract<TRequest, TSession>
{
  /** The resolved, frozen configuration. */
  readonly config: ResolvedServerConfig
  /** The server's logger, named after `config.name`. */
  readonly logger: Logger
  readonly #createFilter: (session: TSession) => ReceiveFilter<TRequest>
  readonly #sessionClass: AppSessionClass<TRequest, TSession>
  readonly #connectionFilters: readonly ConnectionFilter[]
  readonly #transports: readonly Transport[]
  readonly #sessions = new Map<string, TSession>()
  readonly #slots: ConnectionSlots
  readonly #counters = new ServerCounters()
  readonly #sendPool = new ChunkPool({ chunkSize: sendChunkSize, maxChunks: maxSendChunks })
  readonly #host: SessionHost<TRequest>
  readonly #internals = sessionInternals as SessionInternals<TRequest>
  readonly #certificates: TlsCertificateStore | undefined
  /** Transports that want to hear when a session they made has closed (UDP routes). */
  readonly #releases = new WeakMap<AppSession<TRequest>, () => void>()
  #state: ServerState = ServerState.NotStarted
  #endpoints: readonly ListenerInfo[] = []
  #startedTime: Date | undefined
  #stopping: Promise<void> | undefined
  #idleTimer: NodeJS.Timeout | undefined
  #admitting = 0
  #whenEmpty: (() => void) | undefined
  #warnedNoRequestListener = false
  #lastListenerError = 0
  #lastListenerErrorLog = 0
  #suppressedListenerErrors = 0

  /**
   * @throws {ConfigError} the configuration is invalid (every problem is listed in `issues`), or a TLS listener's
   *   certificate cannot be used: a file is missing or unreadable, the passphrase is wrong, the key does not match
   *   (the files are loaded now, not at the first connection).
   * @throws {InvalidArgumentError} `options` is not an object, or a connection filter has no `allowConnect`.
   */
  constructor(options: AppServerOptions<TRequest, TSession>) {
    super({ captureRejections: false })
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('AppServer options must be an object with a config')
    }
    this.config = resolveServerConfig(options.config)
    this.logger = (options.logFactory ?? new ConsoleLogFactory()).getLogger(this.config.name)
    this.#createFilter = filterMaker(options.receiveFilterFactory, this.config)
    this.#sessionClass = options.sessionClass ?? (AppSession as unknown as AppSessionClass<TRequest, TSession>)
    if (typeof this.#sessionClass !== 'function') throw new InvalidArgumentError('sessionClass must be a class')
    this.#connectionFilters = [...(options.connectionFilters ?? [])]
    for (const filter of this.#connectionFilters) {
      if (typeof filter !== 'object' || filter === null || typeof filter.allowConnect !== 'function') {
        throw new InvalidArgumentError('each connection filter needs an allowConnect(remoteEndPoint) method')
      }
    }
    this.#slots = new ConnectionSlots(this.config.maxConnectionNumber, this.config.maxConnectionsPerIp)
    this.#host = this.#makeSessionHost()
    const certificate = this.config.certificate
    this.#certificates =
      certificate !== undefined && this.config.listeners.some((listener) => listener.security === 'tls')
        ? new TlsCertificateStore(certificate, { configPath: 'certificate' })
        : undefined
    const createFilter = this.#createFilter
    const transportHost: TransportHost = {
      config: this.config,
      logger: this.logger,
      counters: this.#counters,
      sendPool: this.#sendPool,
      certificates: this.#certificates,
      acceptConnection: (connection) => {
        void this.#admit(connection)
      },
      listenerError: (error, listener) => this.#listenerError(error, listener),
      createListenerFilter: () => createFilter(undefined as unknown as TSession) as ReceiveFilter<unknown>,
    }
    this.#transports = this.config.listeners.map((listener) => createTransport(listener, transportHost))
  }

  /** The server name (`config.name`). */
  get name(): string {
    return this.config.name
  }

  /** `NotStarted` → `Starting` → `Running` → `Stopping` → `NotStarted`. */
  get state(): ServerState {
    return this.#state
  }

  /** The bound endpoints while running (actual ports); empty otherwise. */
  get endpoints(): readonly ListenerInfo[] {
    return this.#endpoints
  }

  /** When the server last started. */
  get startedTime(): Date | undefined {
    return this.#startedTime
  }

  /** Sessions open now. */
  get sessionCount(): number {
    return this.#sessions.size
  }

  /**
   * Bind every listener and start accepting. Resolves with the bound endpoints (actual ports when `0` was asked).
   * @throws {ServerStateError} the server is not `NotStarted` (it is starting, running or stopping).
   * @throws {ListenError} an endpoint could not be bound (`cause` is the system error); the others are closed again
   *   and the state returns to `NotStarted`.
   */
  async start(): Promise<ListenerInfo[]> {
    if (this.#state !== ServerState.NotStarted) {
      throw new ServerStateError(`Cannot start a server that is ${serverStateName(this.#state)}`)
    }
    this.#state = ServerState.Starting
    const results = await Promise.allSettled(this.#transports.map((transport) => transport.start()))
    const failure = results.find((result) => result.status === 'rejected')
    if (failure !== undefined) {
      await Promise.allSettled(this.#transports.map((transport) => transport.stop()))
      this.#state = ServerState.NotStarted
      const reason: unknown = failure.reason
      throw SocketError.isSocketError(reason) && reason.code === 'ERR_LISTEN_FAILED'
        ? reason
        : new ListenError('Cannot start the listeners', { cause: reason })
    }
    const endpoints = results.map((result) => (result as PromiseFulfilledResult<ListenerInfo>).value)
    this.#endpoints = Object.freeze(endpoints)
    this.#startedTime = new Date()
    this.#state = ServerState.Running
    if (this.config.clearIdleSession) {
      const interval = this.config.clearIdleSessionInterval * 1000
      this.#idleTimer = setInterval(() => this.#clearIdleSessions(), interval)
      this.#idleTimer.unref()
    }
    this.logger.info('Server started', {
      listeners: endpoints.map((info) => `${info.mode}://${formatHost(info.ip)}:${info.port}`),
    })
    this.#safeEmit('started')
    return [...endpoints]
  }

  /**
   * Stop: no new connections, every session closed with `ServerShutdown` (each drains for at most
   * `closeTimeOut`). Resolves once every `sessionClosed` has been emitted and every listener is closed. A no-op
   * unless running (while stopping it returns the stop in progress). The server can be started again.
   */
  stop(): Promise<void> {
    if (this.#state === ServerState.Stopping && this.#stopping !== undefined) return this.#stopping
    if (this.#state !== ServerState.Running) return Promise.resolve()
    this.#state = ServerState.Stopping
    this.#stopping = this.#stop()
    return this.#stopping
  }

  /** `await using server = new AppServer(...)` stops it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }

  /** The session with this id (case-insensitive); `undefined` for an unknown or empty id. */
  getSessionById(sessionId: string): TSession | undefined {
    if (typeof sessionId !== 'string' || sessionId === '') return undefined
    return this.#sessions.get(sessionId.toLowerCase())
  }

  /** Every open session, now (a fresh array each call). */
  getAllSessions(): TSession[] {
    return [...this.#sessions.values()]
  }

  /** The open sessions matching `predicate`, now. */
  getSessions(predicate: (session: TSession) => boolean): TSession[] {
    const sessions: TSession[] = []
    for (const session of this.#sessions.values()) if (predicate(session)) sessions.push(session)
    return sessions
  }

  /**
   * `trySend` `data` to every open session (matching `predicate`); returns how many accepted it. The payload is
   * encoded or copied once and shared. A session whose queue is full is skipped (counted in `trySendRefused`); it
   * never blocks the others.
   */
  broadcast(data: Uint8Array | string, predicate?: (session: TSession) => boolean): number {
    const payload = typeof data === 'string' ? Buffer.from(data, this.#host.encoding) : Buffer.from(data)
    let accepted = 0
    for (const session of this.#sessions.values()) {
      if (predicate !== undefined && !predicate(session)) continue
      if (this.#internals.trySendShared(session, payload)) accepted++
    }
    return accepted
  }

  /** Counters since the server was made, and the sessions open now. */
  getStats(): ServerStats {
    return this.#counters.snapshot(this.#sessions.size, this.#sendPool)
  }

  /**
   * Re-read the TLS certificate files (`certificate` in the config). Connections accepted from now on use the new
   * certificate; sessions already open keep theirs. On failure the current certificate stays in use.
   * @throws {ConfigError} no listener is TLS, or the files cannot be used (every problem in `issues`).
   */
  async reloadCertificate(): Promise<void> {
    const certificates = this.#certificates
    if (certificates === undefined) {
      throw new ConfigError([{ path: 'certificate', message: 'no TLS listener: there is no certificate to reload' }])
    }
    await certificates.reload()
    this.logger.info('TLS certificate reloaded', {
      generation: certificates.generation,
      ...(certificates.fingerprint256 === undefined ? {} : { fingerprint256: certificates.fingerprint256 }),
    })
  }

  /**
   * Connect out to `host:port` and make the connection an ordinary session of this server: the same receive
   * filter, events, limits, connection filters, close reasons and send path as accepted connections.
   *
   * - TCP mode: a TCP connection; with `tls`, this server is the TLS client of it (`tls: true` verifies the peer
   *   against the system CAs with `host` as the server name; pass `tls.ConnectionOptions` for `ca`, `servername`,
   *   a client certificate, ...). The handshake runs after the limits and connection filters.
   * - UDP mode: a session with `host:port` (id `ip:port`) on the first UDP listener of the same address family:
   *   it sends from that listener's socket and receives every datagram the peer sends to it (SuperSocket's B28: its
   *   UDP sessions made this way could never receive). No packet is sent until the session sends one.
   * @throws {ServerStateError} the server is not running.
   * @throws {InvalidArgumentError} a bad `host`, `port`, `timeout` or `tls`, or `tls` in UDP mode.
   * @throws {ConnectError} the connection failed or timed out, the TLS handshake failed, the host did not resolve, or
   *   (UDP) there is no listener of its family or a session with it exists already (`ERR_CONNECT_FAILED`, `cause` =
   *   the system error, the TLS error or the abort reason); or a limit or connection filter refused it
   *   (`ERR_CONNECTION_REFUSED`).
   */
  async activeConnect(options: ActiveConnectOptions): Promise<TSession> {
    if (this.#state !== ServerState.Running) {
      throw new ServerStateError(`Cannot connect out while the server is ${serverStateName(this.#state)}`)
    }
    const {
      host,
      port,
      timeout = this.config.handshakeTimeOut,
      signal,
      tls: tlsOptions,
    } = options ?? ({} as ActiveConnectOptions)
    if (typeof host !== 'string' || host === '') throw new InvalidArgumentError('host must be a non-empty string')
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new InvalidArgumentError(`port must be an integer from 1 to 65535, got ${String(port)}`)
    }
    if (!Number.isInteger(timeout) || timeout < 1) {
      throw new InvalidArgumentError(`timeout must be a positive integer (ms), got ${String(timeout)}`)
    }
    if (
      tlsOptions !== undefined &&
      typeof tlsOptions !== 'boolean' &&
      (typeof tlsOptions !== 'object' || tlsOptions === null)
    ) {
      throw new InvalidArgumentError('tls must be a boolean or tls.ConnectionOptions')
    }
    if (this.config.mode === 'udp') {
      if (tlsOptions !== undefined && tlsOptions !== false)
        throw new InvalidArgumentError('TLS is not available in udp mode')
      return this.#connectDatagram(host, port)
    }
    const socket = await connectSocket({ host, port, timeout, ...(signal === undefined ? {} : { signal }) })
    const remoteEndPoint = remoteEndPointOf(socket)
    if (remoteEndPoint === undefined) {
      socket.destroy()
      throw new ConnectError(`The connection to ${host}:${port} closed at once`)
    }
    let connection: IncomingConnection
    if (tlsOptions === undefined || tlsOptions === false) {
      connection = new TcpIncomingConnection(socket, remoteEndPoint, this.config, this.#sendPool)
    } else {
      const clientOptions: tls.ConnectionOptions = tlsOptions === true ? {} : { ...tlsOptions }
      if (clientOptions.servername === undefined && net.isIP(host) === 0) clientOptions.servername = host
      connection = new TlsOutgoingConnection(
        socket,
        remoteEndPoint,
        this.config,
        this.#sendPool,
        clientOptions,
        timeout,
      )
    }
    const result = await this.#admit(connection)
    if (typeof result === 'string') {
      if (connection instanceof TlsOutgoingConnection && connection.failure !== undefined) {
        throw new ConnectError(`The TLS handshake with ${host}:${port} failed`, { cause: connection.failure })
      }
      throw new ConnectError(`The connection to ${host}:${port} was refused (${result})`, {
        code: 'ERR_CONNECTION_REFUSED',
      })
    }
    return result
  }

  /** `activeConnect` in UDP mode: a session with `host:port` on a UDP listener of its family. */
  async #connectDatagram(host: string, port: number): Promise<TSession> {
    let address: string
    let family: number
    try {
      ;({ address, family } = await lookup(host))
    } catch (error) {
      throw new ConnectError(`Cannot resolve ${host}`, { cause: error })
    }
    const wanted = family === 6 ? 'IPv6' : 'IPv4'
    const transport = this.#transports.find(
      (candidate): candidate is UdpTransport => candidate instanceof UdpTransport && candidate.info?.family === wanted,
    )
    if (transport === undefined) throw new ConnectError(`No running UDP listener of family ${wanted} for ${host}`)
    const connection = transport.outbound({ address, port, family: wanted })
    const result = await this.#admit(connection)
    if (typeof result === 'string') {
      throw new ConnectError(`The session with ${host}:${port} was refused (${result})`, {
        code: 'ERR_CONNECTION_REFUSED',
      })
    }
    return result
  }

  async #stop(): Promise<void> {
    if (this.#idleTimer !== undefined) clearInterval(this.#idleTimer)
    this.#idleTimer = undefined
    const listenersClosed = Promise.allSettled(this.#transports.map((transport) => transport.stop()))
    for (const session of this.#sessions.values()) void session.close(CloseReason.ServerShutdown)
    await listenersClosed
    await this.#empty()
    this.#endpoints = Object.freeze([])
    this.#stopping = undefined
    this.#state = ServerState.NotStarted
    this.logger.info('Server stopped')
    this.#safeEmit('stopped')
  }

  /** Resolves once no session is open and no connection is being admitted. */
  #empty(): Promise<void> {
    if (this.#sessions.size === 0 && this.#admitting === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#whenEmpty = resolve
    })
  }

  #checkEmpty(): void {
    if (this.#whenEmpty !== undefined && this.#sessions.size === 0 && this.#admitting === 0) {
      const resolve = this.#whenEmpty
      this.#whenEmpty = undefined
      resolve()
    }
  }

  /**
   * Admit a new connection: limits, connection filters, the transport session (TLS: the handshake), the app
   * session (filter factory, constructor, `onInit`); then register and start it. Returns the session, or the cause
   * it was refused for. Never throws: user code that throws refuses the connection and is logged.
   */
  async #admit(connection: IncomingConnection): Promise<TSession | RejectionCause> {
    if (this.#state !== ServerState.Running) return this.#refuse(connection, 'notRunning', undefined)
    const remote = connection.remoteEndPoint
    const limit = this.#slots.tryReserve(remote.address)
    if (limit !== undefined) {
      this.logger.warn('Connection refused: limit reached', { remote: formatRemote(remote), limit })
      return this.#refuse(connection, limit, undefined)
    }
    this.#admitting++
    let socketSession: SocketSession | undefined
    let session: TSession
    try {
      for (const filter of this.#connectionFilters) {
        let allowed = filter.allowConnect(remote)
        if (isThenable(allowed)) allowed = await allowed
        if (!allowed) {
          this.logger.info('Connection refused by a connection filter', {
            remote: formatRemote(remote),
            filter: filter.name,
          })
          return this.#refuse(connection, 'connectionFilter', remote.address)
        }
        if (this.#state !== ServerState.Running) return this.#refuse(connection, 'notRunning', remote.address)
      }
      const opened = connection.open()
      socketSession = isThenable(opened) ? await opened : opened
      if (this.#state !== ServerState.Running) {
        void socketSession.close(CloseReason.ServerShutdown)
        return this.#refuse(connection, 'notRunning', remote.address)
      }
      session = new this.#sessionClass({
        server: this as unknown as AppServer<TRequest, AppSession<TRequest>>,
        socketSession,
        host: this.#host,
        ...(connection.sessionId === undefined ? {} : { sessionId: connection.sessionId }),
      })
      this.#internals.initialize(session, this.#createFilter(session))
    } catch (error) {
      const handshake = SocketError.isSocketError(error) && error.code === 'ERR_TLS_HANDSHAKE'
      if (handshake) this.logger.info('TLS handshake failed', { remote: formatRemote(remote), err: error })
      else this.logger.error('Connection refused: the accept path threw', { remote: formatRemote(remote), err: error })
      if (socketSession !== undefined) void socketSession.close(CloseReason.InternalError)
      // A handshake aborted because the server stops is not the client's failure.
      const cause = this.#state !== ServerState.Running ? 'notRunning' : handshake ? 'handshake' : 'acceptError'
      return this.#refuse(connection, cause, remote.address)
    } finally {
      this.#admitting--
      this.#checkEmpty()
    }
    const key = session.sessionId.toLowerCase()
    if (this.#sessions.has(key)) {
      this.logger.error('Connection refused: its session id is in use', { sessionId: session.sessionId })
      void socketSession.close(CloseReason.InternalError)
      return this.#refuse(connection, 'acceptError', remote.address)
    }
    this.#sessions.set(key, session)
    this.#internals.slotAddress(session, remote.address)
    if (connection.released !== undefined) this.#releases.set(session, () => connection.released?.())
    this.#counters.accepted++
    if (this.config.logBasicSessionActivity) {
      this.logger.info('Session connected', { sessionId: session.sessionId, remote: formatRemote(remote) })
    }
    this.#internals.start(session)
    return session
  }

  #refuse(connection: IncomingConnection, cause: RejectionCause, reserved: string | undefined): RejectionCause {
    if (reserved !== undefined) this.#slots.release(reserved)
    this.#counters.reject(cause)
    try {
      connection.refuse()
    } catch (error) {
      this.logger.error('Refusing a connection threw', { err: error })
    }
    return cause
  }

  #makeSessionHost(): SessionHost<TRequest> {
    const server = this
    return {
      config: this.config,
      logger: this.logger,
      counters: this.#counters,
      encoding: this.config.textEncoding as BufferEncoding,
      emitConnected(session) {
        const listeners = server.#listenersOf('newSessionConnected')
        if (listeners === undefined) return undefined
        if (typeof listeners === 'function') return listeners.call(server, session)
        return callListeners(server, listeners, [session])
      },
      emitRequest(session, request) {
        // One plain listener (the usual case): read from EventEmitter's table and called directly, nothing allocated.
        const entry = (server as unknown as { _events?: { newRequestReceived?: unknown } })._events?.newRequestReceived
        if (typeof entry === 'function') return (entry as Listener).call(server, session, request)
        const listeners = server.#listenersOf('newRequestReceived')
        if (listeners === undefined) {
          server.#noRequestListener()
          return undefined
        }
        if (typeof listeners === 'function') return listeners.call(server, session, request)
        return callListeners(server, listeners, [session, request])
      },
      sessionClosed(session, reason) {
        server.#sessionClosed(session as TSession, reason)
      },
    }
  }

  /**
   * The listeners of `event` as `emit` sees them: one function, a copy of several, or `undefined` for none. Reads
   * EventEmitter's listener table directly when it has the shape Node has always used (so the one-listener case
   * allocates nothing), else goes through `rawListeners`.
   */
  #listenersOf(event: 'newSessionConnected' | 'newRequestReceived'): Listener | Listener[] | undefined {
    const table = (this as unknown as { _events?: Record<string, Listener | Listener[] | undefined> })._events
    if (typeof table === 'object' && table !== null) {
      const entry = table[event]
      if (entry === undefined || typeof entry === 'function') return entry
      if (Array.isArray(entry)) return entry.length === 0 ? undefined : [...entry]
    }
    const listeners = this.rawListeners(event) as Listener[]
    return listeners.length === 0 ? undefined : listeners.length === 1 ? listeners[0] : listeners
  }

  #noRequestListener(): void {
    if (this.#warnedNoRequestListener) return
    this.#warnedNoRequestListener = true
    this.logger.warn('A request arrived but no newRequestReceived listener is attached: requests are dropped')
  }

  #sessionClosed(session: TSession, reason: CloseReason): void {
    const key = session.sessionId.toLowerCase()
    if (this.#sessions.get(key) === session) this.#sessions.delete(key)
    const address = this.#internals.slotAddress(session)
    if (address !== undefined) this.#slots.release(address)
    const release = this.#releases.get(session)
    if (release !== undefined) {
      this.#releases.delete(session)
      try {
        release()
      } catch (error) {
        this.logger.error('Releasing a connection threw', { sessionId: session.sessionId, err: error })
      }
    }
    this.#counters.close(reason)
    if (this.config.logBasicSessionActivity) {
      this.logger.info('Session closed', { sessionId: session.sessionId, reason: closeReasonName(reason) })
    }
    try {
      session.onSessionClosed(reason)
    } catch (error) {
      this.logger.error('onSessionClosed threw', { sessionId: session.sessionId, err: error })
    }
    try {
      this.emit('sessionClosed', session, reason)
    } catch (error) {
      this.logger.error('A sessionClosed listener threw', { sessionId: session.sessionId, err: error })
    }
    this.#checkEmpty()
  }

  #clearIdleSessions(): void {
    const threshold = Date.now() - this.config.idleSessionTimeOut * 1000
    for (const session of this.#sessions.values()) {
      if (session.connected && this.#internals.lastActive(session) <= threshold) {
        if (this.config.logBasicSessionActivity) {
          this.logger.info('Closing an idle session', { sessionId: session.sessionId })
        }
        void session.close(CloseReason.TimeOut)
      }
    }
  }

  #listenerError(error: Error, listener: ListenerInfo | undefined): void {
    this.#counters.listenerErrors++
    const now = Date.now()
    const newBurst = now - this.#lastListenerError > errorBurstMilliseconds
    this.#lastListenerError = now
    if (newBurst || now - this.#lastListenerErrorLog > 60_000) {
      this.logger.error('Listener error; accepting goes on', {
        err: error,
        listener: listener === undefined ? undefined : `${listener.mode}://${formatHost(listener.ip)}:${listener.port}`,
        suppressed: this.#suppressedListenerErrors,
      })
      this.#lastListenerErrorLog = now
      this.#suppressedListenerErrors = 0
    } else {
      this.#suppressedListenerErrors++
    }
    if (this.listenerCount('error') > 0) this.#safeEmit('error', error)
  }

  #safeEmit(event: 'started' | 'stopped' | 'error', ...args: [] | [Error]): void {
    try {
      ;(this.emit as (event: string, ...args: unknown[]) => boolean)(event, ...args)
    } catch (error) {
      this.logger.error(`A ${event} listener threw`, { err: toError(error) })
    }
  }
}

function formatHost(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip
}

function formatRemote(remote: { address: string; port: number }): string {
  return `${formatHost(remote.address)}:${remote.port}`
}

function filterMaker<TRequest, TSession>(
  factory: ReceiveFilterFactoryLike<TRequest> | undefined,
  config: ResolvedServerConfig,
): (session: TSession) => ReceiveFilter<TRequest> {
  if (factory === undefined) {
    const commandLine = new CommandLineReceiveFilterFactory({ encoding: config.textEncoding })
    return () => commandLine.createFilter() as unknown as ReceiveFilter<TRequest>
  }
  if (typeof factory === 'function') return (session) => factory(session as never)
  if (typeof factory === 'object' && factory !== null && typeof factory.createFilter === 'function') {
    return (session) => factory.createFilter(session as never)
  }
  throw new InvalidArgumentError('receiveFilterFactory must have createFilter(session) or be a function')
}
