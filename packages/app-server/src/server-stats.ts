import type { SmartPool } from '@socketlite/sending-queue'
import { type CloseReason, type CloseReasonName, type ClusterStats, closeReasonName } from '@socketlite/socket-base'

/** Why a connection was refused before it became a session (it produced no session events). */
export type RejectionCause =
  /** `maxConnectionNumber` sessions were open. */
  | 'maxConnectionNumber'
  /** `maxConnectionsPerIp` sessions were open from that address. */
  | 'maxConnectionsPerIp'
  /** A connection filter returned (or resolved) false. */
  | 'connectionFilter'
  /** User code in the accept path threw (a connection filter, the filter factory, the session constructor, `onInit`). */
  | 'acceptError'
  /** The connection arrived while the server was stopping. */
  | 'notRunning'
  /** The TLS handshake failed or timed out. */
  | 'handshake'
  /** `maxPendingHandshakes` TLS connections were in their handshake already (a new one to a TLS listener). */
  | 'maxPendingHandshakes'

const rejectionCauses: readonly RejectionCause[] = [
  'maxConnectionNumber',
  'maxConnectionsPerIp',
  'connectionFilter',
  'acceptError',
  'notRunning',
  'handshake',
  'maxPendingHandshakes',
]

/** Counts of refused connections, by cause, and their `total`. */
export type RejectionStats = Readonly<Record<RejectionCause | 'total', number>>

/** What `server.getStats()` returns: a snapshot, counted since the server was constructed. */
export interface ServerStats {
  /** Sessions open now. */
  readonly sessions: number
  /** Connections that became sessions. */
  readonly accepted: number
  /**
   * TLS connections in their handshake now: they hold no session slot (they count toward `maxConnectionsPerIp`), at
   * most `maxPendingHandshakes` at once.
   */
  readonly pendingHandshakes: number
  /** Connections refused before they became sessions, by cause. */
  readonly rejected: RejectionStats
  /** Sessions closed, by close reason name. */
  readonly closed: Readonly<Record<CloseReasonName, number>>
  /** Requests dispatched to `newRequestReceived`. */
  readonly requests: number
  /** Bytes received from peers. */
  readonly bytesIn: number
  /** Bytes accepted for sending by `trySend`, `send` and `broadcast`. */
  readonly bytesOut: number
  /** `trySend` (and `broadcast`) calls refused: session closing or closed, or no room in its queue. */
  readonly trySendRefused: number
  /** `send` calls that failed with `SendTimeoutError`. */
  readonly sendTimeouts: number
  /**
   * Handlers (connect, request, command, `onSessionStarted`) that had not settled within `handlerTimeOut`: each failed
   * with `HandlerTimeoutError` (by default its session closed with `ApplicationError`). Handlers abandoned by `stop()`
   * are not counted here.
   */
  readonly handlerTimeouts: number
  /** Sessions closed with `TimeOut` because a frame was not complete within `frameTimeOut` (slow drip). */
  readonly frameTimeouts: number
  /**
   * Sessions closed with `TimeOut` because their peer took none of the queued bytes for `sendStallTimeOut` (a client
   * that never reads).
   */
  readonly sendStalls: number
  /**
   * Times a session's dispatch used up its budget (256 requests in one go) and let other sessions go
   * first (a pipelining client); the rest of its requests were dispatched in order in a later turn of the event loop.
   */
  readonly dispatchYields: number
  /** Listener-level errors (e.g. `accept` failing with `EMFILE`). */
  readonly listenerErrors: number
  /**
   * UDP: datagrams dropped without being parsed: a session's queue was full while its handler was busy, the session
   * was closing, or its peer was refused (by a limit or a connection filter).
   */
  readonly datagramsDropped: number
  /**
   * UDP: datagrams that did not parse (malformed, or ending inside a request) and were dropped whole, or that named
   * no session in session-id mode or before a datagram decided the mode (they make no session). The session lives on.
   */
  readonly datagramErrors: number
  /**
   * The bounded pool of chunks the sessions coalesce their small replies into: `chunkSize` bytes each, at most
   * `maxChunks` kept; `chunks` made and kept now, `inUse` held by sessions now (a session holds chunks only for
   * replies not yet written), `overflows` chunks a session had to make itself because all were in use.
   */
  readonly sendPool: SendPoolStats
  /**
   * The cluster adapter's counters (see `ClusterStats`): `connected`, messages `published` and `received`, `missed`
   * (gaps in other nodes' sequence numbers), `dropped`, `subscriptions`, `reconnects`, and calls refused as
   * `unavailable`.
   */
  readonly cluster: ClusterStats
}

/** See {@link ServerStats.sendPool}. */
export interface SendPoolStats {
  readonly chunkSize: number
  readonly maxChunks: number
  readonly chunks: number
  readonly inUse: number
  readonly overflows: number
}

/** The mutable counters behind {@link ServerStats}; plain number fields so that counting costs nothing. */
export class ServerCounters {
  accepted = 0
  requests = 0
  bytesIn = 0
  bytesOut = 0
  trySendRefused = 0
  sendTimeouts = 0
  handlerTimeouts = 0
  frameTimeouts = 0
  sendStalls = 0
  dispatchYields = 0
  listenerErrors = 0
  datagramsDropped = 0
  datagramErrors = 0
  readonly #rejected = new Map<RejectionCause, number>()
  readonly #closed: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0]

  reject(cause: RejectionCause): void {
    this.#rejected.set(cause, (this.#rejected.get(cause) ?? 0) + 1)
  }

  close(reason: CloseReason): void {
    this.#closed[reason] = (this.#closed[reason] ?? 0) + 1
  }

  snapshot(sessions: number, pendingHandshakes: number, pool: SmartPool): Omit<ServerStats, 'cluster'> {
    const rejected: Record<string, number> = { total: 0 }
    for (const cause of rejectionCauses) {
      const count = this.#rejected.get(cause) ?? 0
      rejected[cause] = count
      rejected.total = (rejected.total ?? 0) + count
    }
    const closed: Record<string, number> = {}
    this.#closed.forEach((count, reason) => {
      closed[closeReasonName(reason)] = count
    })
    return {
      sessions,
      accepted: this.accepted,
      pendingHandshakes,
      rejected: rejected as RejectionStats,
      closed: closed as Record<CloseReasonName, number>,
      requests: this.requests,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      trySendRefused: this.trySendRefused,
      sendTimeouts: this.sendTimeouts,
      handlerTimeouts: this.handlerTimeouts,
      frameTimeouts: this.frameTimeouts,
      sendStalls: this.sendStalls,
      dispatchYields: this.dispatchYields,
      listenerErrors: this.listenerErrors,
      datagramsDropped: this.datagramsDropped,
      datagramErrors: this.datagramErrors,
      sendPool: {
        chunkSize: pool.chunkSize,
        maxChunks: pool.maxChunks,
        chunks: pool.size,
        inUse: pool.inUse,
        overflows: pool.overflows,
      },
    }
  }
}
