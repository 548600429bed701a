import { randomUUID } from 'node:crypto'
import {
  type ClusterAdapter,
  type ClusterCountOptions,
  type ClusterLocalNode,
  type ClusterPublishOptions,
  type ClusterStats,
  InvalidArgumentError,
  type NodeInfo,
  ServerStateError,
} from '@socketlite/socket-base'

/** Options of {@link InProcessAdapter}. */
export interface InProcessAdapterInit {
  /**
   * This node's id (`NodeInfo.nodeId`).
   * @default a random UUID
   */
  nodeId?: string
}

/**
 * The answers of `registerSession` / `unregisterSession`, made once: the server calls them for every session it
 * registers and closes, and a settled promise can be shared.
 */
const registered = Promise.resolve(true)
const notRegistered = Promise.resolve(false)
const done = Promise.resolve()

/**
 * The cluster adapter of a service that is one process: what an `AppServer` uses when it is given no adapter.
 * Every call is answered from the local node at once (a publish is a local broadcast, `sendTo` a local lookup,
 * `join`/`leave` are in force as soon as the server changed its membership), so code written against a cluster
 * behaves the same on one process. It never touches the network and is never unavailable.
 */
export class InProcessAdapter implements ClusterAdapter {
  readonly nodeId: string
  #local: ClusterLocalNode | undefined
  #startedTime = new Date(0)
  #published = 0

  constructor(init: InProcessAdapterInit = {}) {
    this.nodeId = init.nodeId ?? randomUUID()
  }

  start(local: ClusterLocalNode): Promise<void> {
    if (this.#local !== undefined) return Promise.reject(new ServerStateError('The adapter is already started'))
    this.#local = local
    this.#startedTime = new Date()
    return Promise.resolve()
  }

  stop(): Promise<void> {
    this.#local = undefined
    return Promise.resolve()
  }

  registerSession(_sessionId: string): Promise<boolean> {
    return this.#local !== undefined ? registered : notRegistered
  }

  unregisterSession(_sessionId: string): Promise<void> {
    return done
  }

  join(_sessionId: string, group: string): Promise<void> {
    return this.#checked(group, () => undefined)
  }

  leave(_sessionId: string, group: string): Promise<void> {
    return this.#checked(group, () => undefined)
  }

  publish(data: Uint8Array, options: ClusterPublishOptions = {}): Promise<void> {
    const { group } = options
    return this.#checked(group, (local) => {
      this.#published++
      if (group === undefined) local.deliverToAll(data)
      else local.deliverToGroup(group, data)
    })
  }

  sendTo(sessionId: string, data: Uint8Array): Promise<boolean> {
    return this.#checked(undefined, (local) => local.deliverToSession(sessionId, data))
  }

  countSessions(options: ClusterCountOptions = {}): Promise<number> {
    const { group } = options
    return this.#checked(group, (local) => (group === undefined ? local.sessionCount : local.countGroupMembers(group)))
  }

  nodes(): Promise<NodeInfo[]> {
    return this.#checked(undefined, (local) => [
      { nodeId: this.nodeId, name: local.name, sessions: local.sessionCount, startedTime: this.#startedTime },
    ])
  }

  getStats(): ClusterStats {
    return {
      connected: this.#local !== undefined,
      published: this.#published,
      received: 0,
      missed: 0,
      dropped: 0,
      subscriptions: 0,
      reconnects: 0,
      unavailable: 0,
    }
  }

  /** Run `body` with the local node, as a promise; misuse (not started, an empty group name) rejects. */
  #checked<T>(group: string | undefined, body: (local: ClusterLocalNode) => T): Promise<T> {
    const local = this.#local
    if (local === undefined) return Promise.reject(new ServerStateError('The adapter is not started'))
    if (group !== undefined && (typeof group !== 'string' || group.length === 0))
      return Promise.reject(new InvalidArgumentError('A group name is a non-empty string'))
    try {
      return Promise.resolve(body(local))
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
