import {
  CloseReason,
  type ConnectionFilter,
  formatEndPoint,
  type Logger,
  SocketError,
  type SocketSession,
} from '@socketlite/socket-base'
import { ConnectionSlots } from './connection-slots.js'
import { type Admitted, isThenable, kAdmission } from './internal.js'
import type { PendingConnection } from './pending-connection.js'
import type { RefusalSummary } from './refusal-summary.js'
import type { RejectionCause, ServerCounters } from './server-stats.js'

/** What admission needs of a session it made: where it records the slot and the connection to release. */
export interface AdmittedSession {
  readonly sessionId: string
  [kAdmission]: Admitted | undefined
}

/** What admission needs from its server. */
export interface AdmissionHost<TSession> {
  /** The server is running: connections may become sessions. */
  readonly running: boolean
  /**
   * Make the session of an opened socket session: the session class, its receive filter, `onInit`.
   * @throws whatever user code throws there (the connection is then refused as `acceptError`).
   */
  createSession(socketSession: SocketSession, connection: PendingConnection): TSession
  /**
   * Register the session, count it as accepted and start it (its events begin); false when its id is in use (then
   * nothing is done).
   */
  register(session: TSession, connection: PendingConnection): boolean
  /** An admission ended (admitted or refused): the server may be waiting for none to be in progress. */
  settled(): void
}

/** Options of {@link Admission}. */
export interface AdmissionInit {
  /** `maxConnectionNumber`. */
  readonly maxConnections: number
  /** `maxConnectionsPerIp` (0 = unlimited). */
  readonly maxConnectionsPerIp: number
  /** `maxPendingHandshakes`. */
  readonly maxPendingHandshakes: number
  /** Where refusals are logged, as periodic summaries. */
  readonly refusals: RefusalSummary
  readonly connectionFilters: readonly ConnectionFilter[]
  readonly counters: ServerCounters
  readonly logger: Logger
}

/**
 * Decides what becomes a session, cheap checks first: the server runs, a connection slot is free (total and per
 * remote address; taken before any await, so concurrent arrivals cannot overshoot a limit), the connection filters
 * agree (in order; the first that says no refuses), then the socket session is opened (for TLS: the handshake), the
 * app session made and registered. A connection refused on the way produces no session events, is closed, and is
 * counted in `getStats().rejected` by cause. User code that throws anywhere in this path refuses that connection
 * (logged), never the server.
 */
export class Admission<TSession extends AdmittedSession> {
  readonly #host: AdmissionHost<TSession>
  readonly #slots: ConnectionSlots
  readonly #filters: readonly ConnectionFilter[]
  readonly #counters: ServerCounters
  readonly #logger: Logger
  readonly #refusals: RefusalSummary
  readonly #maxPendingHandshakes: number
  #inProgress = 0
  /** The TLS connections in their handshake now. */
  readonly #handshaking = new Set<PendingConnection>()

  constructor(host: AdmissionHost<TSession>, init: AdmissionInit) {
    this.#host = host
    this.#slots = new ConnectionSlots(init.maxConnections, init.maxConnectionsPerIp)
    this.#filters = init.connectionFilters
    this.#counters = init.counters
    this.#logger = init.logger
    this.#refusals = init.refusals
    this.#maxPendingHandshakes = init.maxPendingHandshakes
  }

  /** TLS connections in their handshake now (they hold no session slot). */
  get pendingHandshakes(): number {
    return this.#handshaking.size
  }

  /** Connections being admitted now (past the limit check, not yet a session or refused). */
  get inProgress(): number {
    return this.#inProgress
  }

  /**
   * Admit `connection`: returns its session (registered and started), or the cause it was refused for. Never throws.
   * A plain connection that no connection filter has to see is admitted at once, without a promise (a burst of
   * accepts leaves that much less garbage); otherwise the result is a promise.
   */
  admit(connection: PendingConnection): TSession | RejectionCause | Promise<TSession | RejectionCause> {
    const host = this.#host
    if (!host.running) return this.#refuse(connection, 'notRunning', undefined)
    const remote = connection.remoteEndPoint
    const address = remote.address
    // A TLS connection in its handshake holds no session slot (silent connections to a TLS port must not lock real
    // clients out): it counts toward maxPendingHandshakes and its address's share, and takes its slot once secured.
    const handshakes = connection.handshakes === true
    let limit: RejectionCause | undefined
    if (handshakes) {
      limit =
        this.#handshaking.size >= this.#maxPendingHandshakes
          ? 'maxPendingHandshakes'
          : this.#slots.tryReserveAddress(address)
    } else limit = this.#slots.tryReserve(address)
    if (limit !== undefined) {
      this.#refusals.refuse('Connection refused: limit reached', { remote: formatEndPoint(remote), limit })
      return this.#refuse(connection, limit, undefined)
    }
    this.#inProgress++
    if (handshakes) this.#handshaking.add(connection)
    else if (this.#filters.length === 0 && connection.opensAtOnce) return this.#admitAtOnce(connection, address)
    return this.#admitAwaiting(connection, address, handshakes)
  }

  /** The rest of {@link Admission.admit} for a plain connection without filters: nothing to wait for. */
  #admitAtOnce(connection: PendingConnection, address: string): TSession | RejectionCause {
    let socketSession: SocketSession | undefined
    let session: TSession
    try {
      socketSession = connection.open() as SocketSession
      session = this.#host.createSession(socketSession, connection)
    } catch (error) {
      return this.#acceptFailed(connection, error, socketSession, address, true)
    } finally {
      this.#inProgress--
      this.#host.settled()
    }
    return this.#register(session, connection, socketSession, address)
  }

  /** The rest of {@link Admission.admit} when a filter may answer later or the connection opens later (TLS). */
  async #admitAwaiting(
    connection: PendingConnection,
    address: string,
    handshakes: boolean,
  ): Promise<TSession | RejectionCause> {
    const host = this.#host
    const remote = connection.remoteEndPoint
    /** What this connection holds: its address's share, and (`total`) a session slot. */
    let total = !handshakes
    let socketSession: SocketSession | undefined
    let session: TSession
    try {
      const filters = this.#filters
      for (let index = 0; index < filters.length; index++) {
        const filter = filters[index] as ConnectionFilter
        let allowed = filter.allowConnect(remote)
        if (isThenable(allowed)) allowed = await allowed
        if (!allowed) {
          this.#refusals.refuse(
            'Connection refused by a connection filter',
            { remote: formatEndPoint(remote), filter: filter.name },
            'info',
          )
          return this.#refuse(connection, 'connectionFilter', address, total)
        }
        if (!host.running) return this.#refuse(connection, 'notRunning', address, total)
      }
      const opened = connection.open()
      socketSession = isThenable(opened) ? await opened : opened
      if (handshakes) this.#handshaking.delete(connection)
      if (!host.running) {
        void socketSession.close(CloseReason.ServerShutdown)
        return this.#refuse(connection, 'notRunning', address, total)
      }
      if (!total) {
        const full = this.#slots.tryReserveTotal()
        if (full !== undefined) {
          this.#refusals.refuse('Connection refused: limit reached', { remote: formatEndPoint(remote), limit: full })
          void socketSession.close(CloseReason.ServerClosing)
          return this.#refuse(connection, full, address, false)
        }
        total = true
      }
      session = host.createSession(socketSession, connection)
    } catch (error) {
      return this.#acceptFailed(connection, error, socketSession, address, total)
    } finally {
      if (handshakes) this.#handshaking.delete(connection)
      this.#inProgress--
      host.settled()
    }
    return this.#register(session, connection, socketSession, address)
  }

  /** Opening or making the session threw: refused as `handshake` (a failed TLS handshake) or `acceptError`. */
  #acceptFailed(
    connection: PendingConnection,
    error: unknown,
    socketSession: SocketSession | undefined,
    address: string,
    total: boolean,
  ): RejectionCause {
    const remote = formatEndPoint(connection.remoteEndPoint)
    const handshake = SocketError.isSocketError(error) && error.code === 'ERR_TLS_HANDSHAKE'
    if (handshake) {
      this.#refusals.refuse('TLS handshake failed', { remote, code: 'ERR_TLS_HANDSHAKE' }, 'info')
      this.#logger.debug('TLS handshake failed', { remote, err: error })
    } else {
      this.#logger.error('Connection refused: the accept path threw', { remote, err: error })
    }
    if (socketSession !== undefined) void socketSession.close(CloseReason.InternalError)
    // A handshake aborted because the server stops is not the client's failure.
    const cause = !this.#host.running ? 'notRunning' : handshake ? 'handshake' : 'acceptError'
    return this.#refuse(connection, cause, address, total)
  }

  /** Record what the session holds and register it; refused when its id is in use. */
  #register(
    session: TSession,
    connection: PendingConnection,
    socketSession: SocketSession,
    address: string,
  ): TSession | RejectionCause {
    session[kAdmission] = connection.releases ? { address, connection } : address
    if (!this.#host.register(session, connection)) {
      session[kAdmission] = undefined
      this.#logger.error('Connection refused: its session id is in use', { sessionId: session.sessionId })
      void socketSession.close(CloseReason.InternalError)
      return this.#refuse(connection, 'acceptError', address)
    }
    return session
  }

  /** A session admitted here closed: its slot is free again, and its connection forgotten. */
  closed(session: TSession): void {
    const admitted = session[kAdmission]
    if (admitted === undefined) return
    session[kAdmission] = undefined
    if (typeof admitted === 'string') {
      this.#slots.release(admitted)
      return
    }
    this.#slots.release(admitted.address)
    try {
      admitted.connection.release()
    } catch (error) {
      this.#logger.error('Releasing a connection threw', { sessionId: session.sessionId, err: error })
    }
  }

  #refuse(
    connection: PendingConnection,
    cause: RejectionCause,
    reserved: string | undefined,
    total = true,
  ): RejectionCause {
    if (reserved !== undefined) {
      if (total) this.#slots.release(reserved)
      else this.#slots.releaseAddress(reserved)
    }
    this.#counters.reject(cause)
    try {
      connection.refuse()
    } catch (error) {
      this.#logger.error('Refusing a connection threw', { err: error })
    }
    return cause
  }
}
