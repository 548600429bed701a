import { CommandLineReceiveFilterFactory, type StringRequestInfo } from '@socketlite/protocol'
import { SmartPool } from '@socketlite/sending-queue'
import type { AsyncSocketSessionInit } from '@socketlite/session-async'
import { TlsCertificateStore } from '@socketlite/session-tls'
import type { UdpPeerSessionInit } from '@socketlite/session-udp'
import {
  type AppServer as AppServerContract,
  type CloseReason,
  type ClusterCountOptions,
  type ClusterPublishOptions,
  ConfigError,
  type ConnectionFilter,
  ConsoleLogFactory,
  closeReasonName,
  InvalidArgumentError,
  type ListenerInfo,
  type Logger,
  type NodeInfo,
  type ReceiveFilter,
  type ReceiveFilterFactoryLike,
  type ResolvedServerConfig,
  ServerState,
  ServerStateError,
  type SocketSession,
  serverStateName,
} from '@socketlite/socket-base'
import { connectOut, refusedConnectError } from './active-connect.js'
import { Admission } from './admission.js'
import type { ActiveConnectOptions, AppServerEvents, AppServerOptions, AppSessionClass } from './app-server-options.js'
import { AppSession } from './app-session.js'
import { ServerEndpoints } from './endpoints.js'
import { InProcessAdapter } from './in-process-adapter.js'
import {
  kAbandon,
  kAttach,
  kListenersChanged,
  kServerContext,
  kShutdown,
  kStart,
  kTrySendShared,
  type ServerContext,
} from './internal.js'
import { ListenerAwareEmitter } from './listener-aware-emitter.js'
import { ListenerErrorLog } from './listener-error-log.js'
import type { PendingConnection } from './pending-connection.js'
import { RefusalSummary } from './refusal-summary.js'
import { type CommandHandler, RequestRouter } from './request-router.js'
import { resolveServerConfig } from './resolve-server-config.js'
import { ServerCluster } from './server-cluster.js'
import { ServerCounters, type ServerStats } from './server-stats.js'
import { sessionKey } from './session-id.js'
import { deadlineSweep, idleSweep, type SessionSweep } from './session-sweep.js'

/**
 * The chunks the sessions of one server coalesce their small replies into (see `@socketlite/sending-queue`): 16 KiB
 * each, at most 2048 kept (32 MiB) once that many were in use at once; beyond it a session makes a chunk of its own.
 * A chunk belongs to one session until its bytes are written.
 */
const sendChunkSize = 16_384
const maxSendChunks = 2_048

/**
 * Datagrams of one UDP session that may wait while its handler is busy (or while the session is being admitted), in
 * count and in bytes; more are dropped and counted in `getStats().datagramsDropped`.
 */
const maxQueuedDatagrams = 1_024
const maxQueuedDatagramBytes = 1_048_576

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
}

/**
 * A socket server for a custom protocol (SuperSocket's `AppServer`): it listens on one or more endpoints (or none,
 * to connect out only), turns each connection into an {@link AppSession}, splits its byte stream into requests with
 * a receive filter, routes each request to its command or to `newRequestReceived`, and emits typed events in a strict
 * order per session: one `newSessionConnected`, the requests in arrival order (each after the previous handler
 * settled), one `sessionClosed`.
 *
 * @example
 * ```ts
 * const server = new AppServer({ config: { ip: '127.0.0.1', port: 2020 } })
 * server.on('newSessionConnected', (session) => { session.trySend('WELCOME\r\n') })
 * server.command('ECHO', (session, request) => session.send(`${request.body}\r\n`))
 * server.command('QUIT', (session) => session.close())
 * const listeners = await server.start()
 * // ...
 * await server.stop()
 * ```
 */
export class AppServer<TRequest = StringRequestInfo, TSession extends AppSession<TRequest> = AppSession<TRequest>>
  extends ListenerAwareEmitter<AppServerEvents<TRequest, TSession>>
  implements AppServerContract<TRequest, TSession>
{
  /** The resolved, frozen configuration. */
  readonly config: ResolvedServerConfig
  /** The server's logger, named after `config.name`. */
  readonly logger: Logger
  readonly #createFilter: (session: TSession | undefined) => ReceiveFilter<TRequest>
  readonly #sessionClass: AppSessionClass<TRequest, TSession>
  readonly #sessions = new Map<string, TSession>()
  readonly #counters = new ServerCounters()
  readonly #sendPool = new SmartPool({ chunkSize: sendChunkSize, maxChunks: maxSendChunks })
  readonly #router: RequestRouter<TRequest, TSession>
  readonly #admission: Admission<TSession>
  readonly #endpoints: ServerEndpoints
  readonly #streamInit: AsyncSocketSessionInit
  readonly #certificates: TlsCertificateStore | undefined
  readonly #idleSweep: SessionSweep<TSession>
  readonly #deadlineSweep: SessionSweep<TSession>
  readonly #refusals: RefusalSummary
  readonly #listenerErrors: ListenerErrorLog
  readonly #cluster: ServerCluster<TSession>
  /** The server's side of its sessions (read by AppSession's constructor; see internal.ts). */
  readonly [kServerContext]: ServerContext<TRequest>
  #state: ServerState = ServerState.NotStarted
  #bound: readonly ListenerInfo[] = Object.freeze([])
  #startedTime: Date | undefined
  #stopping: Promise<void> | undefined
  #whenEmpty: (() => void) | undefined

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
    const config = resolveServerConfig(options.config)
    this.config = config
    this.logger = (options.logFactory ?? new ConsoleLogFactory()).getLogger(config.name)
    this.#createFilter = filterMaker(options.receiveFilterFactory, config)
    this.#sessionClass = options.sessionClass ?? (AppSession as unknown as AppSessionClass<TRequest, TSession>)
    if (typeof this.#sessionClass !== 'function') throw new InvalidArgumentError('sessionClass must be a class')
    const connectionFilters: readonly ConnectionFilter[] = [...(options.connectionFilters ?? [])]
    for (const filter of connectionFilters) {
      if (typeof filter !== 'object' || filter === null || typeof filter.allowConnect !== 'function') {
        throw new InvalidArgumentError('each connection filter needs an allowConnect(remoteEndPoint) method')
      }
    }
    this.#router = new RequestRouter(this, this.logger, options.commandKeysIgnoreCase === true)
    const adapter = options.adapter ?? new InProcessAdapter()
    if (typeof adapter !== 'object' || adapter === null || typeof adapter.start !== 'function') {
      throw new InvalidArgumentError('adapter must be a cluster adapter (e.g. a RedisAdapter)')
    }
    this.#cluster = new ServerCluster<TSession>(adapter, {
      name: config.name,
      logger: this.logger,
      encoding: config.textEncoding,
      sessions: this.#sessions,
    })
    this.#refusals = new RefusalSummary({ logger: this.logger })
    const server = this
    this[kServerContext] = {
      config,
      logger: this.logger,
      counters: this.#counters,
      refusals: this.#refusals,
      encoding: config.textEncoding,
      router: this.#router as RequestRouter<TRequest>,
      cluster: this.#cluster as unknown as ServerCluster,
      sessionClosed: (session, reason) => server.#sessionClosed(session as TSession, reason),
    }
    this.#admission = new Admission<TSession>(
      {
        get running() {
          return server.#state === ServerState.Running
        },
        createSession: (socketSession, connection) => this.#createSession(socketSession, connection),
        register: (session) => this.#register(session),
        settled: () => this.#checkEmpty(),
      },
      {
        maxConnections: config.maxConnectionNumber,
        maxConnectionsPerIp: config.maxConnectionsPerIp,
        maxPendingHandshakes: config.maxPendingHandshakes,
        refusals: this.#refusals,
        connectionFilters,
        counters: this.#counters,
        logger: this.logger,
      },
    )
    const certificate = config.certificate
    this.#certificates =
      certificate !== undefined && config.listeners.some((listener) => listener.security === 'tls')
        ? new TlsCertificateStore(certificate, { configPath: 'certificate' })
        : undefined
    const sessionInit = {
      sendHighWaterMark: config.sendHighWaterMark,
      sendLowWaterMark: config.sendLowWaterMark,
      closeTimeOut: config.closeTimeOut,
      sendPool: this.#sendPool,
    }
    this.#streamInit = Object.freeze({
      ...sessionInit,
      sendStallTimeOut: config.sendStallTimeOut,
      noDelay: config.noDelay,
      keepAliveTime: config.keepAliveTime,
      // The requests that arrived before the peer's end are still answered: the dispatcher closes the session.
      allowHalfOpen: true,
    })
    const udpInit: UdpPeerSessionInit = Object.freeze({
      ...sessionInit,
      maxQueuedDatagrams,
      maxQueuedBytes: maxQueuedDatagramBytes,
    })
    const createFilter = this.#createFilter
    this.#endpoints = new ServerEndpoints(
      {
        config,
        logger: this.logger,
        counters: this.#counters,
        refusals: this.#refusals,
        admit: (connection) => void this.#admission.admit(connection),
        listenerError: (error, listener) => this.#listenerError(error, listener),
        createListenerFilter: () => createFilter(undefined) as ReceiveFilter<unknown>,
      },
      this.#streamInit,
      udpInit,
      this.#certificates,
    )
    const eachSession = (visit: (session: TSession) => void) => this.#sessions.forEach(visit)
    this.#idleSweep = idleSweep(config, this.logger, eachSession)
    this.#deadlineSweep = deadlineSweep(config, eachSession)
    this.#listenerErrors = new ListenerErrorLog(this.logger)
  }

  /** The server name (`config.name`). */
  get name(): string {
    return this.config.name
  }

  /** `NotStarted` → `Starting` → `Running` → `Stopping` → `NotStarted`. */
  get state(): ServerState {
    return this.#state
  }

  /** The bound endpoints while running (actual ports); empty otherwise, and for a server with no listener. */
  get endpoints(): readonly ListenerInfo[] {
    return this.#bound
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
   * Bind every listener and start accepting. Resolves with the bound endpoints (actual ports when `0` was asked); an
   * empty array for a server with `listeners: []`, which serves only the sessions it connects out (`activeConnect`).
   * @throws {ServerStateError} the server is not `NotStarted` (it is starting, running or stopping).
   * @throws {ListenError} an endpoint could not be bound (`cause` is the system error); the others are closed again
   *   and the state returns to `NotStarted`.
   */
  async start(): Promise<ListenerInfo[]> {
    if (this.#state !== ServerState.NotStarted) {
      throw new ServerStateError(`Cannot start a server that is ${serverStateName(this.#state)}`)
    }
    this.#state = ServerState.Starting
    let bound: ListenerInfo[]
    try {
      // The node joins the service before it accepts anyone: a session is never unknown to the cluster.
      await this.#cluster.adapter.start(this.#cluster)
    } catch (error) {
      this.#state = ServerState.NotStarted
      throw error
    }
    try {
      bound = await this.#endpoints.start()
    } catch (error) {
      await this.#cluster.stop().catch((stopError: unknown) => this.#adapterStopFailed(stopError))
      this.#state = ServerState.NotStarted
      throw error
    }
    this.#bound = Object.freeze(bound)
    this.#startedTime = new Date()
    this.#state = ServerState.Running
    this.#idleSweep.start()
    this.#deadlineSweep.start()
    this.logger.info('Server started', {
      listeners: bound.map((info) => `${info.mode}://${formatHost(info.ip)}:${info.port}`),
    })
    this.#safeEmit('started')
    return [...bound]
  }

  /**
   * Stop: no new connections, no more reading; the handlers running now may settle and their replies are sent
   * (requests waiting behind a running asynchronous handler are dropped; a run deferred by the dispatch budget is
   * finished first); every session is closed with `ServerShutdown` once its
   * handler settled (each drains for at most `closeTimeOut`). A handler still running `closeTimeOut` after the call
   * is abandoned (its late result ignored) and its session closed. Resolves once every `sessionClosed` has been
   * emitted and every listener is closed. A no-op unless running (while stopping it returns the stop in progress).
   * The server can be started again.
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

  /**
   * Route the requests whose `key` is `key` to `handler(session, request)`: a string (the command-line key), or a
   * number (a binary protocol's packet id). A command is called instead of the `newRequestReceived` listeners, with
   * the same ordering and error rules (it may return a promise: the session's next request waits for it; a throw or
   * rejection goes to `session.handleException`); requests whose key has no command go to `newRequestReceived`.
   * String keys match exactly, or case-insensitively with `commandKeysIgnoreCase`. Returns the server, for chaining.
   * @throws {InvalidArgumentError} `key` is not a string or a finite number, `handler` is not a function, or the key
   *   has a command already.
   */
  command(key: string | number, handler: CommandHandler<TSession, TRequest>): this {
    this.#router.command(key, handler)
    return this
  }

  /** The session with this id (case-insensitive); `undefined` for an unknown or empty id. */
  getSessionById(sessionId: string): TSession | undefined {
    if (typeof sessionId !== 'string' || sessionId === '') return undefined
    return this.#sessions.get(sessionKey(sessionId))
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
    const payload = typeof data === 'string' ? Buffer.from(data, this.config.textEncoding) : Buffer.from(data)
    let accepted = 0
    for (const session of this.#sessions.values()) {
      if (predicate !== undefined && !predicate(session)) continue
      if (session[kTrySendShared](payload)) accepted++
    }
    return accepted
  }

  /** Counters since the server was made, and the sessions open now; `cluster`: the adapter's counters. */
  getStats(): ServerStats {
    return {
      ...this.#counters.snapshot(this.#sessions.size, this.#admission.pendingHandshakes, this.#sendPool),
      cluster: this.#cluster.adapter.getStats(),
    }
  }

  /**
   * Deliver `data` to every session of the service, or to every member of `options.group`, on every node (this one
   * included), each exactly once, as `trySend` (a session whose queue is full misses it rather than blocking the
   * others). A string is encoded with `textEncoding`; the caller may reuse its buffer once the call returned. Local
   * sessions get it before the promise settles; it resolves once the adapter has accepted it for the other nodes.
   * Without an adapter (one process) it is `broadcast`, as a promise.
   * @throws {ClusterUnavailableError} the adapter's backend is unreachable: nobody got the message, local sessions
   *   neither (`server.broadcast` reaches this process's sessions without it).
   * @throws {ServerStateError} the server is not running.
   * @throws {InvalidArgumentError} `group` is not a non-empty string, or `data` is neither bytes nor a string.
   */
  publish(data: Uint8Array | string, options?: ClusterPublishOptions): Promise<void> {
    return this.#cluster.publish(data, options)
  }

  /**
   * `trySend` `data` to the session with this id (case-insensitive) wherever it lives in the service; only the node
   * that has it is sent the message. Resolves true when some node has it (its queue may still refuse the bytes, as
   * `trySend` may), false when none has. A session of this process is served without the backend, also while it is
   * unreachable.
   * @throws {ClusterUnavailableError} the session is not local and the adapter's backend is unreachable.
   * @throws {ServerStateError} the server is not running.
   * @throws {InvalidArgumentError} `sessionId` is not a string, or `data` is neither bytes nor a string.
   */
  sendTo(sessionId: string, data: Uint8Array | string): Promise<boolean> {
    return this.#cluster.sendTo(sessionId, data)
  }

  /**
   * Sessions of the whole service now, or members of `options.group`, on every node alive.
   * @throws {ClusterUnavailableError} the adapter's backend is unreachable.
   * @throws {ServerStateError} the server is not running.
   */
  countSessions(options?: ClusterCountOptions): Promise<number> {
    return this.#cluster.countSessions(options)
  }

  /**
   * The nodes of the service alive now, this one included: `{ nodeId, name, sessions, startedTime }` (`name` is that
   * server's `config.name`). A node that died drops out within the adapter's node timeout.
   * @throws {ClusterUnavailableError} the adapter's backend is unreachable.
   * @throws {ServerStateError} the server is not running.
   */
  nodes(): Promise<NodeInfo[]> {
    return this.#cluster.nodes()
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
   * filter, events, limits, connection filters, close reasons and send path as accepted connections; its `outbound`
   * is true and its `listener` undefined. A server with `listeners: []` serves only such sessions.
   *
   * Order: the session's `newSessionConnected` is emitted (its listeners called) before the returned promise
   * resolves; an asynchronous listener may still be running then, and the session's requests wait for it as usual.
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
    const connection = await connectOut(options, this.config, this.#streamInit, this.#endpoints)
    const result = await this.#admission.admit(connection)
    if (typeof result === 'string') throw refusedConnectError(connection, result, options.host, options.port)
    return result
  }

  // ---- internals ----------------------------------------------------------------------------------------------------

  async #stop(): Promise<void> {
    this.#idleSweep.stop()
    // Sessions first: those with a running handler keep sending until it settled (closeTimeOut at most).
    for (const session of this.#sessions.values()) session[kShutdown]()
    const abandon = setTimeout(() => {
      for (const session of this.#sessions.values()) session[kAbandon]()
    }, this.config.closeTimeOut)
    // UDP sockets stay open until their sessions are gone: a UDP handler still running can send its replies.
    await this.#endpoints.stopAccepting()
    await this.#empty()
    clearTimeout(abandon)
    await this.#endpoints.stop()
    this.#deadlineSweep.stop()
    this.#refusals.flush()
    // The contract says an adapter's stop() never rejects; one that does must not keep the server from stopping.
    await this.#cluster.stop().catch((error: unknown) => this.#adapterStopFailed(error))
    this.#bound = Object.freeze([])
    this.#stopping = undefined
    this.#state = ServerState.NotStarted
    this.logger.info('Server stopped')
    this.#safeEmit('stopped')
  }

  /** Resolves once no session is open and no connection is being admitted. */
  #empty(): Promise<void> {
    if (this.#sessions.size === 0 && this.#admission.inProgress === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#whenEmpty = resolve
    })
  }

  #checkEmpty(): void {
    if (this.#whenEmpty !== undefined && this.#sessions.size === 0 && this.#admission.inProgress === 0) {
      const resolve = this.#whenEmpty
      this.#whenEmpty = undefined
      resolve()
    }
  }

  /** The session of an admitted connection: the session class, its receive filter, `onInit`. May throw. */
  #createSession(socketSession: SocketSession, connection: PendingConnection): TSession {
    const session = new this.#sessionClass({
      server: this as unknown as AppServer<TRequest, AppSession<TRequest>>,
      socketSession,
      sessionId: connection.sessionId,
      listener: connection.listener,
      outbound: connection.outbound,
    })
    session[kAttach](this.#createFilter(session))
    session.onInit()
    return session
  }

  /** Register an admitted session and start it; false when its id is in use. */
  #register(session: TSession): boolean {
    const key = sessionKey(session.sessionId)
    if (this.#sessions.has(key)) return false
    this.#sessions.set(key, session)
    this.#counters.accepted++
    if (this.config.logBasicSessionActivity) {
      this.logger.info('Session connected', {
        sessionId: session.sessionId,
        remote: `${formatHost(session.remoteEndPoint.address)}:${session.remoteEndPoint.port}`,
      })
    }
    this.#cluster.registered(session)
    session[kStart]()
    return true
  }

  #sessionClosed(session: TSession, reason: CloseReason): void {
    const key = sessionKey(session.sessionId)
    const registered = this.#sessions.get(key) === session
    if (registered) this.#sessions.delete(key)
    this.#cluster.closed(session, registered)
    this.#admission.closed(session)
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

  #adapterStopFailed(error: unknown): void {
    this.logger.error('The cluster adapter failed to stop', { err: toError(error) })
  }

  #listenerError(error: Error, listener: ListenerInfo | undefined): void {
    this.#counters.listenerErrors++
    this.#listenerErrors.report(error, listener)
    if (this.listenerCount('error') > 0) this.#safeEmit('error', error)
  }

  #safeEmit(event: 'started' | 'stopped' | 'error', ...args: [] | [Error]): void {
    try {
      ;(this.emit as (event: string, ...args: unknown[]) => boolean)(event, ...args)
    } catch (error) {
      this.logger.error(`A ${event} listener threw`, { err: toError(error) })
    }
  }

  /** The server's listeners changed (see ListenerAwareEmitter): the router reads them again when it next needs them. */
  override [kListenersChanged](): void {
    this.#router.listenersChanged()
  }
}

function formatHost(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip
}

function filterMaker<TRequest, TSession>(
  factory: ReceiveFilterFactoryLike<TRequest> | undefined,
  config: ResolvedServerConfig,
): (session: TSession | undefined) => ReceiveFilter<TRequest> {
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
