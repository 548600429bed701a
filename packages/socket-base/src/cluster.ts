import type { Logger } from './logging.js'

/**
 * One server process of the service, as `server.nodes()` reports it.
 */
export interface NodeInfo {
  /** The adapter's id of that node (random unless configured), unique in the service. */
  readonly nodeId: string
  /** That server's `config.name`. */
  readonly name: string
  /** Its sessions now. */
  readonly sessions: number
  /** When it joined the service (its adapter started). */
  readonly startedTime: Date
}

/**
 * What a server lends its adapter: its own process, seen from the inside. Every member is synchronous and local
 * (no I/O); the adapter calls them when a message for this node arrives and when it (re-)registers the node.
 *
 * Session ids are the server's registry keys (lower case; the server normalises an id before it calls the adapter),
 * and the adapter compares them exactly. `data` handed to a `deliverTo…` method is only valid during the call: the
 * server copies what it queues (as `trySend` does).
 */
export interface ClusterLocalNode {
  /** The server's `config.name`, reported as {@link NodeInfo.name}. */
  readonly name: string
  /** Where the adapter logs (connection lost and back, dropped messages, ...). */
  readonly logger: Logger
  /** Sessions of this process now. */
  readonly sessionCount: number
  /**
   * `trySend(data)` to the local session with this id. True when this process has that session (even if its queue
   * refused the bytes, which the server counts as a `trySend` refusal), false when it has no such session.
   */
  deliverToSession(sessionId: string, data: Uint8Array): boolean
  /** `trySend(data)` to every local member of `group`; returns how many accepted it (0 when none is here). */
  deliverToGroup(group: string, data: Uint8Array): number
  /** `trySend(data)` to every local session; returns how many accepted it. */
  deliverToAll(data: Uint8Array): number
  /** Local members of `group` now; 0 when none. The adapter's subscriptions follow this number. */
  countGroupMembers(group: string): number
  /** The ids of every local session now (read when the adapter re-registers this node, e.g. after a reconnect). */
  sessionIds(): Iterable<string>
  /** Every group with at least one local member now (read when the adapter re-subscribes). */
  groups(): Iterable<string>
}

/** Options of {@link ClusterAdapter.publish}. */
export interface ClusterPublishOptions {
  /** Only the members of this group; every session of the service when omitted. */
  readonly group?: string
}

/** Options of {@link ClusterAdapter.countSessions}. */
export interface ClusterCountOptions {
  /** Only the members of this group; every session of the service when omitted. */
  readonly group?: string
}

/** Counters of an adapter since it was made (they survive `stop()`/`start()`). */
export interface ClusterStats {
  /** True while the adapter can reach its backend (always true for the in-process adapter once started). */
  readonly connected: boolean
  /** Messages this node handed to the backend: `publish` calls and `sendTo` calls for a session on another node. */
  readonly published: number
  /** Messages the backend handed to this node, on every channel, its own echoes included. */
  readonly received: number
  /**
   * Messages from other nodes that this node should have received but did not (a connection lost for a while):
   * found from gaps in each publisher's per-channel sequence numbers.
   */
  readonly missed: number
  /** Messages received and dropped unread: from another wire-format version, or not a message of this adapter. */
  readonly dropped: number
  /** Channels (or the backend's equivalent) this node is subscribed to now. */
  readonly subscriptions: number
  /** Times the connection to the backend came back after being lost. */
  readonly reconnects: number
  /** Calls rejected with `ClusterUnavailableError` (`ERR_CLUSTER_UNAVAILABLE`). */
  readonly unavailable: number
}

/**
 * The contract between an `AppServer` and the adapter that joins it to a service of many processes (socket.io calls
 * it an adapter too). One adapter per server; `app-server` has an in-process one (one process = the whole service)
 * and `@socketlite/redis-adapter` a Redis one. The server's code is the same for both:
 *
 * - `server.start()` calls {@link ClusterAdapter.start} with a {@link ClusterLocalNode} before it accepts
 *   connections (a rejection fails `start()`); `server.stop()` closes its sessions, then calls
 *   {@link ClusterAdapter.stop}.
 * - A new session: {@link ClusterAdapter.registerSession}. A closing session: the server removes it from its groups
 *   locally, calls {@link ClusterAdapter.leave} for each, then {@link ClusterAdapter.unregisterSession}.
 * - `session.join(group)` / `leave(group)`: the server changes its membership first (so that
 *   {@link ClusterLocalNode.countGroupMembers} already counts it), then returns the adapter's `join` / `leave`.
 * - `server.publish`, `sendTo`, `countSessions`, `nodes` go straight to the adapter (strings encoded with the
 *   server's `textEncoding` first; session ids normalised to lower case).
 *
 * Failure rules: while the backend is unreachable, local sessions keep working (nothing here blocks them), and
 * every call that needs the backend rejects at once with `ClusterUnavailableError` (`ERR_CLUSTER_UNAVAILABLE`)
 * instead of waiting. The adapter reconnects, re-subscribes and re-registers this node's sessions and memberships
 * by itself, reading them from the {@link ClusterLocalNode}: the server never replays anything. Misuse (a call
 * before `start()`, an empty group name) rejects with `ServerStateError` or `InvalidArgumentError`; no method throws
 * synchronously.
 */
export interface ClusterAdapter {
  /** This node's id in the service, fixed for the adapter's life; reported as {@link NodeInfo.nodeId}. */
  readonly nodeId: string
  /**
   * Join the service as `local`: connect, subscribe, register this node. Resolves once this node can send and
   * receive cluster messages.
   * @throws {ClusterUnavailableError} the backend could not be reached in time (`cause`: the connection error).
   * @throws {ServerStateError} already started.
   */
  start(local: ClusterLocalNode): Promise<void>
  /** Leave the service: unregister this node and its sessions, unsubscribe, disconnect. Idempotent; never rejects. */
  stop(): Promise<void>
  /**
   * A new local session. Resolves true once other nodes can reach it (`sendTo`, `countSessions`), false when the
   * backend is unreachable now (the adapter registers it on reconnect). Never rejects.
   */
  registerSession(sessionId: string): Promise<boolean>
  /**
   * A local session is gone (after the server called `leave` for its groups). Resolves once other nodes no longer
   * find it and those `leave`s are in force too (or at once while the backend is unreachable: the adapter catches
   * up on reconnect). Never rejects.
   */
  unregisterSession(sessionId: string): Promise<void>
  /**
   * A local session joined `group` (already counted by {@link ClusterLocalNode.countGroupMembers}). Resolves once
   * this node receives the group's messages from every node (its subscription is in force).
   * @throws {ClusterUnavailableError} the backend is unreachable now; the membership stays and is put in force on
   * reconnect.
   */
  join(sessionId: string, group: string): Promise<void>
  /**
   * A local session left `group` (already uncounted locally). Resolves once the service-wide state follows (the
   * subscription is dropped when no local member is left).
   * @throws {ClusterUnavailableError} the backend is unreachable now; the change is applied on reconnect.
   */
  leave(sessionId: string, group: string): Promise<void>
  /**
   * Deliver `data` to every session of the service, or to every member of `options.group`, on every node, each
   * exactly once (`trySend`, so a slow session drops it rather than blocking the others). Local sessions get it
   * before the promise settles; it resolves once the backend has accepted the message for the other nodes.
   * `data` is not kept after the call returns. Nodes with no member of the group are not sent it.
   * @throws {ClusterUnavailableError} the backend is unreachable: nobody got the message, local sessions neither.
   */
  publish(data: Uint8Array, options?: ClusterPublishOptions): Promise<void>
  /**
   * Deliver `data` to one session wherever it lives; only the node that has it is sent the message. True when a
   * node has that session (its `trySend` may still refuse the bytes), false when none has it. A local session is
   * served without the backend, so this works for it even while the backend is unreachable.
   * @throws {ClusterUnavailableError} the session is not local and the backend is unreachable.
   */
  sendTo(sessionId: string, data: Uint8Array): Promise<boolean>
  /**
   * Sessions of the whole service, or members of `options.group`, on the nodes alive now.
   * @throws {ClusterUnavailableError} the backend is unreachable.
   */
  countSessions(options?: ClusterCountOptions): Promise<number>
  /**
   * The nodes alive now, this one included (a node that died drops out within the adapter's node timeout).
   * @throws {ClusterUnavailableError} the backend is unreachable.
   */
  nodes(): Promise<NodeInfo[]>
  /** Counters since the adapter was made. */
  getStats(): ClusterStats
}
