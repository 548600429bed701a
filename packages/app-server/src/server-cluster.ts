import {
  type ClusterAdapter,
  type ClusterLocalNode,
  InvalidArgumentError,
  type Logger,
  type NodeInfo,
  type TextEncoding,
} from '@socketlite/socket-base'
import { kTrySendShared } from './internal.js'
import { sessionKey } from './session-id.js'

/** What the cluster link needs of a session (an `AppSession`). */
export interface ClusterMember {
  readonly sessionId: string
  trySend(data: Uint8Array): boolean
  [kTrySendShared](payload: Buffer): boolean
}

/** What the cluster link reads from its server. */
export interface ClusterHost<TSession> {
  readonly name: string
  readonly logger: Logger
  readonly encoding: TextEncoding
  /** The server's registry: lower-case session id → session. */
  readonly sessions: ReadonlyMap<string, TSession>
}

/** A group name as the contract takes it: a non-empty string. */
function checkGroup(group: unknown): string | InvalidArgumentError {
  return typeof group === 'string' && group.length > 0
    ? group
    : new InvalidArgumentError('A group name is a non-empty string')
}

const noGroups: ReadonlySet<string> = Object.freeze(new Set<string>())

/**
 * A server's side of its cluster adapter (see `ClusterAdapter` in socket-base for the contract): the local group
 * membership (group → sessions, session → groups), the {@link ClusterLocalNode} the adapter delivers through, and
 * the calls the server and its sessions make (join, leave, a session registered or closed, publish, sendTo, ...).
 * Memberships live here, not on the sessions, so a session that never joins a group costs nothing.
 */
export class ServerCluster<TSession extends ClusterMember = ClusterMember> implements ClusterLocalNode {
  readonly adapter: ClusterAdapter
  readonly #host: ClusterHost<TSession>
  readonly #members = new Map<string, Set<TSession>>()
  readonly #groupsOf = new Map<TSession, Set<string>>()
  /** Unregistrations (and the leaves before them) still in flight; `stop()` lets them settle first. */
  readonly #cleanups = new Set<Promise<void>>()

  constructor(adapter: ClusterAdapter, host: ClusterHost<TSession>) {
    this.adapter = adapter
    this.#host = host
  }

  // ---- ClusterLocalNode: what the adapter reads and delivers through ---------------------------------------------

  get name(): string {
    return this.#host.name
  }

  get logger(): Logger {
    return this.#host.logger
  }

  get sessionCount(): number {
    return this.#host.sessions.size
  }

  deliverToSession(sessionId: string, data: Uint8Array): boolean {
    const session = this.#host.sessions.get(sessionId)
    if (session === undefined) return false
    session.trySend(data)
    return true
  }

  deliverToGroup(group: string, data: Uint8Array): number {
    const members = this.#members.get(group)
    if (members === undefined) return 0
    return this.#deliver(members.values(), data)
  }

  deliverToAll(data: Uint8Array): number {
    return this.#deliver(this.#host.sessions.values(), data)
  }

  countGroupMembers(group: string): number {
    return this.#members.get(group)?.size ?? 0
  }

  sessionIds(): Iterable<string> {
    return this.#host.sessions.keys()
  }

  groups(): Iterable<string> {
    return this.#members.keys()
  }

  // ---- the server's and its sessions' side ------------------------------------------------------------------------

  /** The groups `session` is a member of now (a read-only snapshot). */
  groupsOf(session: TSession): ReadonlySet<string> {
    const groups = this.#groupsOf.get(session)
    return groups === undefined ? noGroups : new Set(groups)
  }

  /** `session` (registered, open) joins `group`: at once locally, then the adapter puts it in force. */
  join(session: TSession, group: string): Promise<void> {
    const name = checkGroup(group)
    if (typeof name !== 'string') return Promise.reject(name)
    let groups = this.#groupsOf.get(session)
    if (groups === undefined) {
      groups = new Set()
      this.#groupsOf.set(session, groups)
    }
    groups.add(name)
    let members = this.#members.get(name)
    if (members === undefined) {
      members = new Set()
      this.#members.set(name, members)
    }
    members.add(session)
    return this.adapter.join(registryKey(session), name)
  }

  /** `session` leaves `group`: at once locally, then the adapter follows. A no-op for a group it is not in. */
  leave(session: TSession, group: string): Promise<void> {
    const name = checkGroup(group)
    if (typeof name !== 'string') return Promise.reject(name)
    const groups = this.#groupsOf.get(session)
    if (groups === undefined || !groups.delete(name)) return Promise.resolve()
    if (groups.size === 0) this.#groupsOf.delete(session)
    this.#removeMember(session, name)
    return this.adapter.leave(registryKey(session), name)
  }

  /** A session was registered: other nodes may reach it once the adapter has it (never rejects). */
  registered(session: TSession): void {
    void this.adapter.registerSession(registryKey(session))
  }

  /** A session closed: it leaves every group, then the adapter forgets it (when it was registered). */
  closed(session: TSession, registered: boolean): void {
    const key = registryKey(session)
    const groups = this.#groupsOf.get(session)
    const leaves: Promise<void>[] = []
    if (groups !== undefined) {
      this.#groupsOf.delete(session)
      for (const group of groups) {
        this.#removeMember(session, group)
        // While the backend is unreachable the leave is applied on reconnect; nobody waits for it here.
        leaves.push(this.adapter.leave(key, group).catch(() => {}))
      }
    }
    if (registered) leaves.push(this.adapter.unregisterSession(key))
    if (leaves.length === 0) return
    const cleanup = Promise.allSettled(leaves).then(() => {
      this.#cleanups.delete(cleanup)
    })
    this.#cleanups.add(cleanup)
  }

  /** Let the cleanups of closed sessions settle (the adapter bounds each call), then stop the adapter. */
  async stop(): Promise<void> {
    if (this.#cleanups.size > 0) await Promise.allSettled([...this.#cleanups])
    await this.adapter.stop()
  }

  publish(data: Uint8Array | string, options: { readonly group?: string } = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) {
      return Promise.reject(new InvalidArgumentError('publish options must be an object'))
    }
    const payload = this.#encode(data)
    if (payload === undefined) return Promise.reject(badData())
    return this.adapter.publish(payload, options.group === undefined ? {} : { group: options.group })
  }

  sendTo(sessionId: string, data: Uint8Array | string): Promise<boolean> {
    if (typeof sessionId !== 'string') {
      return Promise.reject(new InvalidArgumentError('A session id is a string'))
    }
    const payload = this.#encode(data)
    if (payload === undefined) return Promise.reject(badData())
    return this.adapter.sendTo(sessionKey(sessionId), payload)
  }

  countSessions(options: { readonly group?: string } = {}): Promise<number> {
    if (typeof options !== 'object' || options === null) {
      return Promise.reject(new InvalidArgumentError('countSessions options must be an object'))
    }
    return this.adapter.countSessions(options.group === undefined ? {} : { group: options.group })
  }

  nodes(): Promise<NodeInfo[]> {
    return this.adapter.nodes()
  }

  // ---- internals ----------------------------------------------------------------------------------------------------

  #removeMember(session: TSession, group: string): void {
    const members = this.#members.get(group)
    if (members === undefined) return
    members.delete(session)
    if (members.size === 0) this.#members.delete(group)
  }

  /** `trySend` one copy of `data`, shared, to each session; how many accepted it. */
  #deliver(sessions: Iterable<TSession>, data: Uint8Array): number {
    // The adapter's buffer is valid only during this call: one copy, shared by every session (never changed).
    let payload: Buffer | undefined
    let accepted = 0
    for (const session of sessions) {
      if (payload === undefined) payload = Buffer.from(data)
      if (session[kTrySendShared](payload)) accepted++
    }
    return accepted
  }

  #encode(data: Uint8Array | string): Uint8Array | undefined {
    if (typeof data === 'string') return Buffer.from(data, this.#host.encoding)
    return data instanceof Uint8Array ? data : undefined
  }
}

function registryKey(session: ClusterMember): string {
  return sessionKey(session.sessionId)
}

function badData(): InvalidArgumentError {
  return new InvalidArgumentError('data must be a Uint8Array or a string')
}
