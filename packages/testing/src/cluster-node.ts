import { randomUUID } from 'node:crypto'
import type { ClusterAdapter, ClusterLocalNode, Logger } from '@socketlite/socket-base'

/** A fake session of a {@link FakeClusterNode}: no socket, it records what is delivered to it. */
export interface FakeClusterSession {
  readonly sessionId: string
  /** The groups it is a member of. */
  readonly groups: ReadonlySet<string>
  /** Copies of every payload delivered to it, in order. */
  readonly received: Uint8Array[]
  /** When false, deliveries are refused (as `trySend` refuses when a queue is full); they are not recorded. */
  accepting: boolean
  /** What `registerSession` resolved with. */
  registered: boolean
}

/** One call the adapter made to a {@link FakeClusterNode}'s `deliverTo…` methods. */
export interface FakeClusterDelivery {
  readonly kind: 'session' | 'group' | 'all'
  /** The session id or the group name; `''` for `all`. */
  readonly target: string
  /** The payload, decoded as UTF-8. */
  readonly text: string
}

/** Options of {@link FakeClusterNode}. */
export interface FakeClusterNodeInit {
  /**
   * The node's name (`NodeInfo.name`).
   * @default 'node'
   */
  name?: string
  /** Where the adapter logs; a logger that keeps nothing when omitted (lines are in {@link FakeClusterNode.logLines}). */
  logger?: Logger
}

/** One line an adapter logged through a {@link FakeClusterNode}'s default logger. */
export interface FakeClusterLogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>> | undefined
}

/**
 * The server side of the cluster contract (`ClusterLocalNode`) with fake sessions that record deliveries: what an
 * `AppServer` lends its adapter, without sockets. Its `addSession` / `join` / `leave` / `close` call the adapter in
 * the order the contract prescribes (membership changes locally first; a closing session leaves its groups, then
 * is unregistered), so adapters can be tested against it alone, in one process or in many.
 *
 * @example
 * ```ts
 * const node = new FakeClusterNode({ name: 'a' })
 * await node.start(new InProcessAdapter())
 * const session = await node.addSession()
 * await node.join(session.sessionId, 'room')
 * await node.adapter.publish(new TextEncoder().encode('hi'), { group: 'room' })
 * node.texts(session.sessionId) // ['hi']
 * ```
 */
export class FakeClusterNode implements ClusterLocalNode {
  readonly name: string
  readonly logger: Logger
  /** What the default logger received, the first 10,000 lines (empty when a logger was given). */
  readonly logLines: FakeClusterLogLine[] = []
  /** How many times the adapter called each `deliverTo…` method (what this node got from the cluster). */
  readonly calls = { session: 0, group: 0, all: 0 }
  /** Every `deliverTo…` call, in order (the first 100,000), whether or not a session was there to take it. */
  readonly deliveries: FakeClusterDelivery[] = []
  readonly #sessions = new Map<string, FakeClusterSession & { groups: Set<string> }>()
  readonly #members = new Map<string, Set<string>>()
  readonly #waiters = new Set<() => void>()
  #adapter: ClusterAdapter | undefined

  constructor(init: FakeClusterNodeInit = {}) {
    this.name = init.name ?? 'node'
    this.logger = init.logger ?? this.#recordingLogger()
  }

  /** The adapter given to {@link FakeClusterNode.start}. */
  get adapter(): ClusterAdapter {
    if (this.#adapter === undefined) throw new Error('FakeClusterNode: start(adapter) first')
    return this.#adapter
  }

  get sessionCount(): number {
    return this.#sessions.size
  }

  /** Start `adapter` with this node as its local node. */
  async start(adapter: ClusterAdapter): Promise<void> {
    this.#adapter = adapter
    await adapter.start(this)
  }

  /** Close every session (as a server's `stop()` does), then stop the adapter. */
  async stop(): Promise<void> {
    if (this.#adapter === undefined) return
    await Promise.all([...this.#sessions.keys()].map((sessionId) => this.close(sessionId)))
    await this.#adapter.stop()
  }

  /** A new session (a random lower-case UUID unless `sessionId` is given), registered with the adapter. */
  async addSession(sessionId: string = randomUUID()): Promise<FakeClusterSession> {
    if (this.#sessions.has(sessionId)) throw new Error(`FakeClusterNode: session ${sessionId} exists`)
    const session = { sessionId, groups: new Set<string>(), received: [], accepting: true, registered: false }
    this.#sessions.set(sessionId, session)
    session.registered = await this.adapter.registerSession(sessionId)
    return session
  }

  /** The session with this id, if it is here. */
  session(sessionId: string): FakeClusterSession | undefined {
    return this.#sessions.get(sessionId)
  }

  /** What the session received, decoded as UTF-8. */
  texts(sessionId: string): string[] {
    const decoder = new TextDecoder()
    return (this.#sessions.get(sessionId)?.received ?? []).map((bytes) => decoder.decode(bytes))
  }

  /**
   * Resolve once `predicate()` holds, checking now and after every delivery to this node; reject after `timeoutMs`
   * with an error naming `what`. For waiting on messages that travel through a cluster backend, without sleeps.
   */
  waitUntil(predicate: () => boolean, timeoutMs = 5_000, what = 'the deliveries'): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return
        cleanup()
        resolve()
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`FakeClusterNode ${this.name}: timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(check)
      }
      this.#waiters.add(check)
    })
  }

  /** Join locally at once, then return the adapter's `join` (resolves once the subscription is in force). */
  join(sessionId: string, group: string): Promise<void> {
    const session = this.#sessions.get(sessionId)
    if (session === undefined) return Promise.reject(new Error(`FakeClusterNode: no session ${sessionId}`))
    if (!session.groups.has(group)) {
      session.groups.add(group)
      let members = this.#members.get(group)
      if (members === undefined) {
        members = new Set()
        this.#members.set(group, members)
      }
      members.add(sessionId)
    }
    return this.adapter.join(sessionId, group)
  }

  /** Leave locally at once, then return the adapter's `leave`. */
  leave(sessionId: string, group: string): Promise<void> {
    const session = this.#sessions.get(sessionId)
    if (session === undefined) return Promise.reject(new Error(`FakeClusterNode: no session ${sessionId}`))
    this.#leaveLocally(session, group)
    return this.adapter.leave(sessionId, group)
  }

  /**
   * Close a session as a server does: it leaves every group locally, the adapter is told `leave` for each (not
   * awaited; a rejection is ignored, the adapter catches up on reconnect), then `unregisterSession`.
   */
  async close(sessionId: string): Promise<void> {
    const session = this.#sessions.get(sessionId)
    if (session === undefined) return
    this.#sessions.delete(sessionId)
    const groups = [...session.groups]
    for (const group of groups) this.#leaveLocally(session, group)
    for (const group of groups) this.adapter.leave(sessionId, group).catch(() => {})
    await this.adapter.unregisterSession(sessionId)
  }

  deliverToSession(sessionId: string, data: Uint8Array): boolean {
    this.calls.session++
    this.#record('session', sessionId, data)
    const session = this.#sessions.get(sessionId)
    if (session === undefined) return false
    if (session.accepting) session.received.push(Uint8Array.from(data))
    this.#notify()
    return true
  }

  deliverToGroup(group: string, data: Uint8Array): number {
    this.calls.group++
    this.#record('group', group, data)
    let accepted = 0
    for (const sessionId of this.#members.get(group) ?? []) {
      const session = this.#sessions.get(sessionId)
      if (session?.accepting) {
        session.received.push(Uint8Array.from(data))
        accepted++
      }
    }
    this.#notify()
    return accepted
  }

  deliverToAll(data: Uint8Array): number {
    this.calls.all++
    this.#record('all', '', data)
    let accepted = 0
    for (const session of this.#sessions.values()) {
      if (!session.accepting) continue
      session.received.push(Uint8Array.from(data))
      accepted++
    }
    this.#notify()
    return accepted
  }

  countGroupMembers(group: string): number {
    return this.#members.get(group)?.size ?? 0
  }

  sessionIds(): Iterable<string> {
    return [...this.#sessions.keys()]
  }

  groups(): Iterable<string> {
    return [...this.#members.keys()]
  }

  #record(kind: FakeClusterDelivery['kind'], target: string, data: Uint8Array): void {
    if (this.deliveries.length < 100_000) this.deliveries.push({ kind, target, text: new TextDecoder().decode(data) })
  }

  #notify(): void {
    for (const check of [...this.#waiters]) check()
  }

  #leaveLocally(session: FakeClusterSession & { groups: Set<string> }, group: string): void {
    session.groups.delete(group)
    const members = this.#members.get(group)
    if (members === undefined) return
    members.delete(session.sessionId)
    if (members.size === 0) this.#members.delete(group)
  }

  #recordingLogger(): Logger {
    const lines = this.logLines
    const write =
      (level: FakeClusterLogLine['level']) =>
      (message: string, fields?: Readonly<Record<string, unknown>>): void => {
        if (lines.length < 10_000) lines.push({ level, message, fields })
      }
    return {
      isLevelEnabled: () => true,
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
    }
  }
}
