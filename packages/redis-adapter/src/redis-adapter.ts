import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import {
  type ClusterAdapter,
  type ClusterCountOptions,
  type ClusterLocalNode,
  type ClusterPublishOptions,
  type ClusterStats,
  ClusterUnavailableError,
  InvalidArgumentError,
  type NodeInfo,
  ServerStateError,
} from '@socketlite/socket-base'
import { type Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import { heartbeatScript, removeNodeScript, unregisterScript } from './scripts.js'
import { SequenceCounters, SequenceTracker } from './sequence.js'
import { decodeMessage, encodeMessage, isFrom, isWireMessage, MessageKind } from './wire.js'

/** Options of {@link RedisAdapter}. Give exactly one of `url` or `redis`. */
export interface RedisAdapterInit {
  /** Where Redis is: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. */
  url?: string
  /**
   * An ioredis client (`Redis`, or `Cluster` for Redis Cluster) whose connection settings the adapter copies
   * (`duplicate()`: it opens its own two connections and never touches or closes yours), or ioredis options.
   */
  redis?: Redis | Cluster | RedisOptions
  /**
   * Prefix of every Redis key and channel the adapter uses; services sharing one Redis need different prefixes.
   * Letters, digits and `_ . : -`.
   * @default 'socketlite'
   */
  prefix?: string
  /**
   * This node's id in the service (`NodeInfo.nodeId`); at most 128 characters of letters, digits and `_ . : -`.
   * @default a random UUID
   */
  nodeId?: string
  /**
   * Use sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7+): on Redis Cluster each channel lives on the one shard
   * that owns its slot instead of being copied to every shard. Works on a single Redis 7 as well.
   * @default true for a `Cluster` client, false otherwise
   */
  sharded?: boolean
  /**
   * How often this node renews its heartbeat, in ms.
   * @default 1000
   */
  heartbeatInterval?: number
  /**
   * A node whose heartbeat is older than this (ms) counts as dead: it leaves `nodes()`, its sessions leave `sendTo`
   * and `countSessions`, and the next node to notice removes its entries. At least twice `heartbeatInterval`.
   * @default 5000
   */
  nodeTimeout?: number
  /**
   * How long `start()` tries to reach Redis before it rejects with `ClusterUnavailableError`, in ms.
   * @default 5000
   */
  connectTimeout?: number
  /**
   * A Redis command without a reply after this long (ms) fails the call with `ClusterUnavailableError` (a Redis
   * that hangs, or a connection that died without a reset).
   * @default 5000
   */
  commandTimeout?: number
}

/** Events of {@link RedisAdapter}. */
export interface RedisAdapterEvents {
  /**
   * This node's subscriptions, sessions and memberships are registered again, after a round trip on each of its
   * connections: after the connection to Redis came back, or after this node found its heartbeat had expired (a
   * long pause) and other nodes had removed it. A re-registration that fails on a live connection is tried again at
   * every heartbeat.
   */
  available: []
  /**
   * The connection to Redis was lost; cluster calls fail with `ClusterUnavailableError` until `available`, and so
   * do the calls that were waiting for an answer (at once). Once per outage.
   */
  unavailable: [error: Error | undefined]
  /**
   * This node found `nodeId` dead (its heartbeat older than `nodeTimeout`) and removed its entries: its sessions and
   * memberships no longer count. One node of the service emits it per dead node (the one that removed it).
   */
  nodeRemoved: [nodeId: string]
}

type Client = Redis | Cluster

interface Scripts {
  socketliteHeartbeat(
    nodes: string,
    info: string,
    nodeId: string,
    ttl: number,
    infoJson: string,
  ): Promise<[number, string[]]>
  socketliteRemoveNode(...keysThenArgs: (string | number)[]): Promise<number>
  socketliteUnregister(...keysThenArgs: string[]): Promise<number>
}

const namePattern = /^[A-Za-z0-9_.:-]+$/
const logEvery = 10_000

/** Key and channel names of one prefix. Directory keys share the hash tag `{prefix}` (one Redis Cluster slot). */
class Names {
  readonly nodes: string
  readonly info: string
  readonly sessions: string
  readonly allChannel: string
  readonly #tag: string
  readonly #prefix: string

  constructor(prefix: string) {
    this.#prefix = prefix
    this.#tag = `{${prefix}}`
    this.nodes = `${this.#tag}:nodes`
    this.info = `${this.#tag}:info`
    this.sessions = `${this.#tag}:sessions`
    this.allChannel = `${prefix}:all`
  }

  nodeSessions(nodeId: string): string {
    return `${this.#tag}:node:${nodeId}:sessions`
  }

  nodeGroups(nodeId: string): string {
    return `${this.#tag}:node:${nodeId}:groups`
  }

  group(group: string): string {
    return `${this.#tag}:group:${group}`
  }

  nodeChannel(nodeId: string): string {
    return `${this.#prefix}:node:${nodeId}`
  }

  groupChannel(group: string): string {
    return `${this.#prefix}:group:${group}`
  }
}

/** What one group's subscription sync is doing: the sync running now, and the one queued behind it. */
interface GroupSync {
  running: Promise<void> | undefined
  queued: Promise<void> | undefined
}

function checkPositive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive number of ms`)
  return value
}

function isClient(value: unknown): value is Client {
  return (
    typeof value === 'object' && value !== null && typeof (value as { duplicate?: unknown }).duplicate === 'function'
  )
}

function redisNow(time: unknown): number {
  const [seconds, micros] = time as [string, string]
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
}

/**
 * Joins many socketlite servers, in many processes on many machines, into one service through Redis: `publish` to
 * every session or to a group, `sendTo` one session wherever it lives, `countSessions` and `nodes()` service-wide.
 * Give it to an `AppServer` (`new AppServer({ ..., adapter: new RedisAdapter({ url }) })`).
 *
 * - A message to one session goes to the one node that has it (a session directory in Redis), not to every node.
 * - A group's messages go only to the nodes that have members of that group: a node subscribes to a group's channel
 *   while it has members, so adding nodes does not add work to every node.
 * - Nodes join and leave at any time. A node renews a heartbeat every `heartbeatInterval`; one that dies drops out
 *   of `nodes()`, `sendTo` and `countSessions` after `nodeTimeout`, and its entries are removed.
 * - While Redis is unreachable, local sessions keep working and cluster calls fail at once with
 *   `ClusterUnavailableError`; on reconnect the node re-subscribes and re-registers its sessions and groups by
 *   itself. Every message carries a per-publisher sequence number, so a node knows how many it missed
 *   (`getStats().missed`).
 * - Redis Cluster: sharded pub/sub (`sharded: true`) keeps each channel on one shard.
 *
 * See the package README for the wire format and its version rule.
 */
export class RedisAdapter extends EventEmitter<RedisAdapterEvents> implements ClusterAdapter {
  readonly nodeId: string
  /** The key and channel prefix. */
  readonly prefix: string
  /** True when sharded pub/sub is used. */
  readonly sharded: boolean
  readonly #init: RedisAdapterInit
  readonly #names: Names
  readonly #heartbeatInterval: number
  readonly #nodeTimeout: number
  readonly #connectTimeout: number
  readonly #commandTimeout: number
  readonly #where: string
  /** The node id as it appears in the header of this node's messages. */
  readonly #nodeIdBytes: Buffer
  readonly #counters = new SequenceCounters()
  readonly #tracker = new SequenceTracker()
  readonly #groupSyncs = new Map<string, GroupSync>()
  /** Groups whose channel the subscriber connection is subscribed to now. */
  readonly #subscribed = new Set<string>()
  readonly #lastLogged = new Map<string, { at: number; suppressed: number }>()
  readonly #stats = { published: 0, received: 0, missed: 0, dropped: 0, reconnects: 0, unavailable: 0 }
  /** The command connection's stream while its writes are held until the end of the tick (see `#corkTurn`). */
  #corked: Writable | undefined
  #local: ClusterLocalNode | undefined
  #command: Client | undefined
  #subscriber: Client | undefined
  #baseSubscribed = false
  #available = false
  #everAvailable = false
  /**
   * True from the loss of a connection (after `start()`) until this node is registered again: one `unavailable`
   * and one `available` per outage, however often a connection comes back and drops again in between.
   */
  #outage = false
  /** A re-registration is owed (it failed, or has not finished yet); the heartbeat retries it while connected. */
  #resyncOwed = false
  /** This node was found taken for dead: `available` is owed once it is registered again. */
  #expired = false
  #lastError: Error | undefined
  #startedTime = new Date(0)
  #heartbeatTimer: NodeJS.Timeout | undefined
  #heartbeatRunning = false
  #resyncRunning: Promise<void> | undefined
  #resyncAgain = false
  #generation = 0

  constructor(init: RedisAdapterInit) {
    super()
    if ((init.url === undefined) === (init.redis === undefined))
      throw new InvalidArgumentError('RedisAdapter takes exactly one of url or redis')
    this.#init = init
    this.prefix = init.prefix ?? 'socketlite'
    if (!namePattern.test(this.prefix) || this.prefix.length > 100)
      throw new InvalidArgumentError('prefix: 1 to 100 letters, digits or _ . : -')
    this.nodeId = init.nodeId ?? randomUUID()
    if (!namePattern.test(this.nodeId) || this.nodeId.length > 128)
      throw new InvalidArgumentError('nodeId: 1 to 128 letters, digits or _ . : -')
    const cluster = isClient(init.redis) && (init.redis as { isCluster?: boolean }).isCluster === true
    this.sharded = init.sharded ?? cluster
    this.#heartbeatInterval = checkPositive('heartbeatInterval', init.heartbeatInterval, 1_000)
    this.#nodeTimeout = checkPositive('nodeTimeout', init.nodeTimeout, 5_000)
    if (this.#nodeTimeout < 2 * this.#heartbeatInterval)
      throw new InvalidArgumentError('nodeTimeout must be at least twice heartbeatInterval')
    this.#connectTimeout = checkPositive('connectTimeout', init.connectTimeout, 5_000)
    this.#commandTimeout = checkPositive('commandTimeout', init.commandTimeout, 5_000)
    this.#names = new Names(this.prefix)
    this.#where = describeTarget(init)
    this.#nodeIdBytes = Buffer.from(this.nodeId)
  }

  // ---------------------------------------------------------------------------------------------------- lifecycle

  async start(local: ClusterLocalNode): Promise<void> {
    if (this.#local !== undefined) throw new ServerStateError('The adapter is already started')
    this.#local = local
    this.#startedTime = new Date()
    this.#lastError = undefined
    const generation = ++this.#generation
    const command = this.#open('command')
    const subscriber = this.#open('subscriber')
    this.#command = command
    this.#subscriber = subscriber
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        Promise.all([command.connect(), subscriber.connect()]),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no connection within ${this.#connectTimeout} ms`)),
            this.#connectTimeout,
          )
        }),
      ])
      if (generation !== this.#generation) throw new Error('stopped while starting')
      this.#available = true
      await this.#resync()
    } catch (error) {
      const cause = this.#lastError ?? error
      await this.#teardown()
      throw new ClusterUnavailableError(`Cannot reach Redis at ${this.#where}: ${messageOf(cause)}`, { cause })
    } finally {
      clearTimeout(timer)
    }
    this.#everAvailable = true
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#heartbeatInterval)
    this.#heartbeatTimer.unref()
    local.logger.info('cluster node started', {
      nodeId: this.nodeId,
      redis: this.#where,
      prefix: this.prefix,
      sharded: this.sharded,
    })
  }

  async stop(): Promise<void> {
    if (this.#local === undefined) return
    const command = this.#command
    if (command !== undefined && this.#available) {
      try {
        await this.#removeNode(this.nodeId, true)
      } catch {
        // Redis went away meanwhile: the heartbeat expires and another node removes the entries.
      }
    }
    await this.#teardown()
  }

  async #teardown(): Promise<void> {
    this.#generation++
    clearInterval(this.#heartbeatTimer)
    this.#heartbeatTimer = undefined
    const clients = [this.#command, this.#subscriber]
    this.#command = undefined
    this.#subscriber = undefined
    this.#local = undefined
    this.#available = false
    this.#everAvailable = false
    this.#outage = false
    this.#resyncOwed = false
    this.#expired = false
    this.#baseSubscribed = false
    this.#subscribed.clear()
    this.#groupSyncs.clear()
    for (const client of clients) {
      if (client === undefined) continue
      client.removeAllListeners('ready')
      client.removeAllListeners('close')
      client.disconnect()
    }
  }

  // ---------------------------------------------------------------------------------------------------- sessions

  async registerSession(sessionId: string): Promise<boolean> {
    const command = this.#command
    if (this.#local === undefined || command === undefined || !this.#available) return false
    if (!validTarget(sessionId)) return false
    try {
      await command
        .multi()
        .hset(this.#names.sessions, sessionId, this.nodeId)
        .sadd(this.#names.nodeSessions(this.nodeId), sessionId)
        .exec()
      return true
    } catch {
      return false
    }
  }

  async unregisterSession(sessionId: string): Promise<void> {
    const command = this.#command
    if (this.#local === undefined || command === undefined || !this.#available) return
    // The server called `leave` for the session's groups just before: settle once those syncs are done too.
    const syncs: Promise<void>[] = []
    for (const sync of this.#groupSyncs.values()) {
      const last = sync.queued ?? sync.running
      if (last !== undefined) syncs.push(last)
    }
    try {
      if (syncs.length > 0) await Promise.allSettled(syncs)
      await this.#scripts(command).socketliteUnregister(
        this.#names.sessions,
        this.#names.nodeSessions(this.nodeId),
        this.nodeId,
        sessionId,
      )
    } catch {
      // The next re-registration (on reconnect) removes entries of sessions that are gone.
    }
  }

  // ---------------------------------------------------------------------------------------------------- groups

  join(_sessionId: string, group: string): Promise<void> {
    return this.#changeMembership(group)
  }

  leave(_sessionId: string, group: string): Promise<void> {
    return this.#changeMembership(group)
  }

  #changeMembership(group: string): Promise<void> {
    if (this.#local === undefined) return Promise.reject(new ServerStateError('The adapter is not started'))
    if (!validGroup(group)) return Promise.reject(invalidGroup())
    if (!this.#available) return Promise.reject(this.#unavailable())
    return this.#requestGroupSync(group).catch((error: unknown) => {
      throw this.#unavailable(error)
    })
  }

  /**
   * Bring Redis in line with the local membership of `group` (subscribed while it has members here, its member
   * count published in the directory). Syncs of one group run one at a time; requests made while one runs share
   * the next, which reads the membership when it starts, so any order of joins and leaves ends in the right state.
   */
  #requestGroupSync(group: string): Promise<void> {
    let sync = this.#groupSyncs.get(group)
    if (sync === undefined) {
      sync = { running: undefined, queued: undefined }
      this.#groupSyncs.set(group, sync)
    }
    if (sync.queued !== undefined) return sync.queued
    const entry = sync
    const before = entry.running === undefined ? Promise.resolve() : entry.running.catch(() => {})
    const queued = before.then(() => {
      entry.queued = undefined
      const running = this.#syncGroup(group)
      entry.running = running
      const done = (): void => {
        if (entry.running !== running) return
        entry.running = undefined
        if (entry.queued === undefined && this.#groupSyncs.get(group) === entry) this.#groupSyncs.delete(group)
      }
      running.then(done, done)
      return running
    })
    entry.queued = queued
    return queued
  }

  async #syncGroup(group: string): Promise<void> {
    const local = this.#local
    const command = this.#command
    const subscriber = this.#subscriber
    if (local === undefined || command === undefined || subscriber === undefined || !this.#available)
      throw this.#unavailable()
    const members = local.countGroupMembers(group)
    const channel = this.#names.groupChannel(group)
    if (members > 0) {
      if (!this.#subscribed.has(group)) {
        await (this.sharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel))
        if (this.#subscriber === subscriber) this.#subscribed.add(group)
      }
      await command
        .multi()
        .hset(this.#names.group(group), this.nodeId, members)
        .hset(this.#names.nodeGroups(this.nodeId), group, members)
        .exec()
    } else {
      if (this.#subscribed.delete(group)) {
        this.#tracker.forgetStream(`g:${group}`)
        await (this.sharded ? subscriber.sunsubscribe(channel) : subscriber.unsubscribe(channel))
      }
      await command
        .multi()
        .hdel(this.#names.group(group), this.nodeId)
        .hdel(this.#names.nodeGroups(this.nodeId), group)
        .exec()
    }
  }

  // ---------------------------------------------------------------------------------------------------- messages

  async publish(data: Uint8Array, options: ClusterPublishOptions = {}): Promise<void> {
    const local = this.#local
    if (local === undefined) throw new ServerStateError('The adapter is not started')
    const { group } = options
    if (group !== undefined && !validGroup(group)) throw invalidGroup()
    const command = this.#command
    if (command === undefined || !this.#available) throw this.#unavailable()
    const stream = group === undefined ? 'a' : `g:${group}`
    const sequence = this.#counters.next(stream)
    const message =
      group === undefined
        ? encodeMessage(MessageKind.All, this.nodeId, this.#counters.epoch, sequence, '', data)
        : encodeMessage(MessageKind.Group, this.nodeId, this.#counters.epoch, sequence, group, data)
    const sent = this.#send(
      command,
      group === undefined ? this.#names.allChannel : this.#names.groupChannel(group),
      message,
    )
    this.#stats.published++
    if (group === undefined) local.deliverToAll(data)
    else local.deliverToGroup(group, data)
    try {
      await sent
    } catch (error) {
      throw this.#unavailable(error)
    }
  }

  async sendTo(sessionId: string, data: Uint8Array): Promise<boolean> {
    const local = this.#local
    if (local === undefined) throw new ServerStateError('The adapter is not started')
    if (local.deliverToSession(sessionId, data)) return true
    if (!validTarget(sessionId)) return false
    const command = this.#command
    if (command === undefined || !this.#available) throw this.#unavailable()
    // Copy now: the caller may reuse its buffer as soon as this call returns, and the lookup takes a round trip.
    const payload = Uint8Array.from(data)
    try {
      const owner = await command.hget(this.#names.sessions, sessionId)
      if (owner === null || owner === this.nodeId) return false
      const sequence = this.#counters.next(`n:${owner}`)
      const message = encodeMessage(
        MessageKind.Session,
        this.nodeId,
        this.#counters.epoch,
        sequence,
        sessionId,
        payload,
      )
      this.#stats.published++
      const receivers = await this.#send(command, this.#names.nodeChannel(owner), message)
      // Classic PUBLISH on Redis Cluster counts only the receivers on the shard it was sent to.
      return receivers > 0 || ((command as { isCluster?: boolean }).isCluster === true && !this.sharded)
    } catch (error) {
      throw this.#unavailable(error)
    }
  }

  #send(command: Client, channel: string, message: Buffer): Promise<number> {
    this.#corkTurn(command)
    return (this.sharded ? command.spublish(channel, message) : command.publish(channel, message)) as Promise<number>
  }

  /**
   * Hold the command connection's writes until the end of this tick, so that the messages published in one tick
   * (a burst of `publish` calls) leave in one write instead of one write (and one wake-up of Redis) each. A plain
   * connection only: a `Cluster` client writes to the shard of each channel.
   */
  #corkTurn(command: Client): void {
    if (this.#corked !== undefined) return
    const stream = (command as { stream?: unknown }).stream
    if (!(stream instanceof Writable) || !stream.writable) return
    stream.cork()
    this.#corked = stream
    process.nextTick(this.#uncork)
  }

  readonly #uncork = (): void => {
    const stream = this.#corked
    this.#corked = undefined
    stream?.uncork()
  }

  #onMessage(message: Buffer): void {
    this.#stats.received++
    const local = this.#local
    if (local === undefined) return
    if (isFrom(message, this.#nodeIdBytes)) return // our own message, already delivered locally
    const decoded = decodeMessage(message)
    if (!isWireMessage(decoded)) {
      this.#stats.dropped++
      this.#logLimited(`drop:${decoded.reason}`, 'warn', 'dropped a cluster message this node cannot read', {
        reason: decoded.reason === 'version' ? `wire version ${decoded.version}, this node reads 1` : decoded.reason,
        bytes: message.length,
      })
      return
    }
    const stream =
      decoded.kind === MessageKind.All ? 'a' : decoded.kind === MessageKind.Group ? `g:${decoded.target}` : 'n'
    const missed = this.#tracker.observe(decoded.publisher, stream, decoded.epoch, decoded.sequence)
    if (missed > 0) {
      this.#stats.missed += missed
      this.#logLimited('missed', 'warn', 'missed cluster messages (connection to Redis was lost)', {
        publisher: decoded.publisher,
        missed,
      })
    }
    if (decoded.kind === MessageKind.All) local.deliverToAll(decoded.payload)
    else if (decoded.kind === MessageKind.Group) local.deliverToGroup(decoded.target, decoded.payload)
    else local.deliverToSession(decoded.target, decoded.payload)
  }

  // ---------------------------------------------------------------------------------------------------- queries

  async countSessions(options: ClusterCountOptions = {}): Promise<number> {
    const { group } = options
    if (this.#local === undefined) throw new ServerStateError('The adapter is not started')
    if (group !== undefined && !validGroup(group)) throw invalidGroup()
    const command = this.#requireCommand()
    try {
      if (group !== undefined) {
        const [live, counts] = await this.#liveNodes(command, (pipeline) => pipeline.hgetall(this.#names.group(group)))
        let total = 0
        for (const [nodeId, count] of Object.entries(counts as Record<string, string>))
          if (live.has(nodeId)) total += Number(count)
        return total
      }
      const [live] = await this.#liveNodes(command)
      const pipeline = command.pipeline()
      for (const nodeId of live.keys()) pipeline.scard(this.#names.nodeSessions(nodeId))
      let total = 0
      for (const [error, count] of (await pipeline.exec()) ?? []) {
        if (error) throw error
        total += Number(count)
      }
      return total
    } catch (error) {
      throw this.#unavailable(error)
    }
  }

  async nodes(): Promise<NodeInfo[]> {
    if (this.#local === undefined) throw new ServerStateError('The adapter is not started')
    const command = this.#requireCommand()
    try {
      const [live] = await this.#liveNodes(command)
      const ids = [...live.keys()]
      if (ids.length === 0) return []
      const pipeline = command.pipeline().hmget(this.#names.info, ...ids)
      for (const nodeId of ids) pipeline.scard(this.#names.nodeSessions(nodeId))
      const replies = (await pipeline.exec()) ?? []
      for (const [error] of replies) if (error) throw error
      const infos = replies[0]?.[1] as (string | null)[]
      const nodes: NodeInfo[] = []
      ids.forEach((nodeId, index) => {
        const info = parseInfo(infos[index])
        if (info === undefined) return
        nodes.push({
          nodeId,
          name: info.name,
          sessions: Number(replies[index + 1]?.[1] ?? 0),
          startedTime: new Date(info.startedTime),
        })
      })
      return nodes.sort((a, b) => a.startedTime.getTime() - b.startedTime.getTime() || (a.nodeId < b.nodeId ? -1 : 1))
    } catch (error) {
      throw this.#unavailable(error)
    }
  }

  /**
   * The nodes whose heartbeat is current (by Redis's clock), with the result of `extra` run in the same round trip.
   */
  async #liveNodes(
    command: Client,
    extra?: (pipeline: ReturnType<Client['pipeline']>) => void,
  ): Promise<[Map<string, number>, unknown]> {
    const pipeline = command.pipeline().time().zrange(this.#names.nodes, 0, -1, 'WITHSCORES')
    extra?.(pipeline)
    const replies = (await pipeline.exec()) ?? []
    for (const [error] of replies) if (error) throw error
    const now = redisNow(replies[0]?.[1])
    const flat = replies[1]?.[1] as string[]
    const live = new Map<string, number>()
    for (let index = 0; index + 1 < flat.length; index += 2) {
      const expires = Number(flat[index + 1])
      if (expires >= now) live.set(flat[index] as string, expires)
    }
    return [live, replies[2]?.[1]]
  }

  getStats(): ClusterStats {
    return { connected: this.#available, subscriptions: this.#subscriptionCount(), ...this.#stats }
  }

  #subscriptionCount(): number {
    return this.#subscribed.size + (this.#baseSubscribed ? 2 : 0)
  }

  // ---------------------------------------------------------------------------------------------------- connections

  #open(role: 'command' | 'subscriber'): Client {
    const init = this.#init
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      // Fail the commands in flight the moment their connection drops. Without this, ioredis (which is told above
      // not to resend them) forgets them without settling them: they would hang until `commandTimeout`, and with
      // them the heartbeat (the node would expire after a reconnect) and any call or re-registration waiting on one.
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      commandTimeout: this.#commandTimeout,
      connectTimeout: this.#connectTimeout,
      keyPrefix: '',
      connectionName: `socketlite:${this.nodeId}:${role}`,
    }
    let client: Client
    if (init.url !== undefined) {
      client = new Redis(init.url, { ...redisOptions, retryStrategy: (times) => Math.min(times * 100, 1_000) })
    } else if (isClient(init.redis)) {
      const source = init.redis
      if ((source as { isCluster?: boolean }).isCluster === true) {
        const clusterOptions: ClusterOptions = {
          lazyConnect: true,
          enableOfflineQueue: false,
          shardedSubscribers: role === 'subscriber' && this.sharded,
          // Per-node connections keep ioredis's defaults (the cluster itself fails fast while it is not ready).
          redisOptions: {
            ...(source as Cluster).options.redisOptions,
            commandTimeout: this.#commandTimeout,
            connectTimeout: this.#connectTimeout,
            keyPrefix: '',
            connectionName: redisOptions.connectionName,
          },
        }
        client = (source as Cluster).duplicate([], clusterOptions)
      } else {
        client = (source as Redis).duplicate(redisOptions)
      }
    } else {
      client = new Redis({ ...(init.redis as RedisOptions), ...redisOptions })
    }
    client.on('error', (error: Error) => {
      this.#lastError = error
      if (this.#everAvailable) this.#logLimited(`error:${role}`, 'warn', 'Redis connection error', { err: error })
    })
    client.on('ready', () => this.#onReady())
    client.on('close', () => this.#onClose(role))
    if (role === 'subscriber') {
      client.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#onMessage(message))
      client.on('smessageBuffer', (_channel: Buffer, message: Buffer) => this.#onMessage(message))
    } else {
      const scripts = client as unknown as { defineCommand(name: string, spec: object): void }
      scripts.defineCommand('socketliteHeartbeat', { numberOfKeys: 2, lua: heartbeatScript })
      scripts.defineCommand('socketliteRemoveNode', { lua: removeNodeScript })
      scripts.defineCommand('socketliteUnregister', { numberOfKeys: 2, lua: unregisterScript })
    }
    return client
  }

  #scripts(command: Client): Scripts {
    return command as unknown as Scripts
  }

  #onClose(role: 'command' | 'subscriber'): void {
    if (role === 'subscriber') {
      // Subscriptions die with the connection; they are made again on reconnect.
      this.#subscribed.clear()
      this.#baseSubscribed = false
    }
    if (!this.#available) return
    this.#available = false
    // Before start() finished, or a connection that had come back dropped again before this node was registered
    // again: the outage was announced already.
    if (!this.#everAvailable || this.#outage) return
    this.#outage = true
    this.#local?.logger.warn('lost the connection to Redis; cluster calls fail until it is back', {
      redis: this.#where,
      err: this.#lastError,
    })
    this.emit('unavailable', this.#lastError)
  }

  #onReady(): void {
    if (!this.#everAvailable || this.#local === undefined) return
    if (this.#command?.status !== 'ready' || this.#subscriber?.status !== 'ready') return
    if (this.#available) return
    // Both say ready, but the other one may be a connection whose loss is not noticed yet: the re-registration
    // makes a round trip on each, so `available` is announced only once both really carry traffic.
    this.#available = true
    void this.#reregister(false)
  }

  /**
   * Run {@link RedisAdapter.#resync} and announce the result: `available` once per outage (and once after this
   * node was taken for dead, `expired`). Never rejects: a failure is logged, and while connected the next
   * heartbeat tries again (after a loss, the next reconnect does).
   */
  async #reregister(expired: boolean): Promise<void> {
    this.#resyncOwed = true
    if (expired) this.#expired = true
    try {
      await this.#resync()
    } catch (error) {
      this.#logLimited('resync', 'warn', 're-registering with Redis failed; trying again', { err: error })
      return
    }
    // Lost again meanwhile (the next reconnect starts over), or stopped.
    if (!this.#available || this.#local === undefined) return
    this.#resyncOwed = false
    if (!this.#outage && !this.#expired) return
    if (this.#outage) {
      this.#stats.reconnects++
      this.#local.logger.info('reconnected to Redis; subscriptions and registrations restored', {
        redis: this.#where,
      })
    }
    this.#outage = false
    this.#expired = false
    this.emit('available')
  }

  #requireCommand(): Client {
    const command = this.#command
    if (command === undefined || !this.#available) throw this.#unavailable()
    return command
  }

  #unavailable(cause?: unknown): ClusterUnavailableError {
    if (cause instanceof ClusterUnavailableError) return cause
    this.#stats.unavailable++
    const reason = cause ?? this.#lastError
    return new ClusterUnavailableError(
      `Redis at ${this.#where} is unreachable${reason === undefined ? '' : `: ${messageOf(reason)}`}`,
      reason === undefined ? undefined : { cause: reason },
    )
  }

  // ---------------------------------------------------------------------------------------------------- registration

  /**
   * Register this node with everything the local node holds now: the base subscriptions, the heartbeat, the
   * sessions (removing entries of sessions that are gone) and every group (subscriptions and member counts).
   * Runs at start, after every reconnect, and when this node's heartbeat had expired. One at a time.
   */
  #resync(): Promise<void> {
    if (this.#resyncRunning !== undefined) {
      this.#resyncAgain = true
      return this.#resyncRunning
    }
    const run = (async () => {
      for (;;) {
        this.#resyncAgain = false
        try {
          await this.#resyncOnce()
        } catch (error) {
          // Asked again meanwhile (a connection came back while this pass was failing): that request is owed a
          // pass of its own, not this pass's error.
          if (!this.#resyncAgain) throw error
          continue
        }
        if (!this.#resyncAgain) return
      }
    })()
    this.#resyncRunning = run
    const clear = (): void => {
      if (this.#resyncRunning === run) this.#resyncRunning = undefined
    }
    run.then(clear, clear)
    return run
  }

  async #resyncOnce(): Promise<void> {
    const local = this.#local
    const command = this.#command
    const subscriber = this.#subscriber
    if (local === undefined || command === undefined || subscriber === undefined || !this.#available)
      throw this.#unavailable()
    const names = this.#names
    // Subscribed or not, (re)subscribe: besides restoring the base channels on a new connection, it is a round trip
    // on the subscriber connection, so a pass never vouches for one that died while the command connection came
    // back (its loss may not be noticed yet; the same goes for the heartbeat below on the command connection).
    const channels = [names.allChannel, names.nodeChannel(this.nodeId)]
    await Promise.all(
      channels.map((channel) => (this.sharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel))),
    )
    if (this.#subscriber === subscriber) this.#baseSubscribed = true
    await this.#scripts(command).socketliteHeartbeat(
      names.nodes,
      names.info,
      this.nodeId,
      this.#nodeTimeout,
      this.#infoJson(local),
    )
    // Sessions: the local node is the truth.
    const snapshot = new Set(local.sessionIds())
    const registered = await command.smembers(names.nodeSessions(this.nodeId))
    const stale = registered.filter((sessionId) => !snapshot.has(sessionId))
    const writes: Promise<unknown>[] = []
    for (let index = 0; index < stale.length; index += 1000)
      writes.push(
        this.#scripts(command).socketliteUnregister(
          names.sessions,
          names.nodeSessions(this.nodeId),
          this.nodeId,
          ...stale.slice(index, index + 1000),
        ),
      )
    const ids = [...snapshot].filter(validTarget)
    for (let index = 0; index < ids.length; index += 1000) {
      const chunk = ids.slice(index, index + 1000)
      writes.push(
        command
          .multi()
          .hset(names.sessions, ...chunk.flatMap((sessionId) => [sessionId, this.nodeId]))
          .sadd(names.nodeSessions(this.nodeId), ...chunk)
          .exec(),
      )
    }
    await Promise.all(writes)
    // Sessions that closed while the writes above were on their way were registered again: remove them.
    const current = new Set(local.sessionIds())
    const closed = ids.filter((sessionId) => !current.has(sessionId))
    if (closed.length > 0)
      await this.#scripts(command).socketliteUnregister(
        names.sessions,
        names.nodeSessions(this.nodeId),
        this.nodeId,
        ...closed,
      )
    // Groups: every group registered here or with local members now.
    const groups = new Set(await command.hkeys(names.nodeGroups(this.nodeId)))
    for (const group of local.groups()) groups.add(group)
    await Promise.all([...groups].filter(validGroup).map((group) => this.#requestGroupSync(group)))
  }

  #infoJson(local: ClusterLocalNode): string {
    return JSON.stringify({ name: local.name, startedTime: this.#startedTime.getTime() })
  }

  #heartbeat(): void {
    const local = this.#local
    const command = this.#command
    if (local === undefined || command === undefined || !this.#available || this.#heartbeatRunning) return
    this.#heartbeatRunning = true
    const names = this.#names
    this.#scripts(command)
      .socketliteHeartbeat(names.nodes, names.info, this.nodeId, this.#nodeTimeout, this.#infoJson(local))
      .then(async ([wasAlive, dead]) => {
        if (this.#resyncRunning === undefined) {
          if (wasAlive === 0) {
            local.logger.warn('this node had been taken for dead (heartbeat expired); registering it again', {
              nodeId: this.nodeId,
            })
            await this.#reregister(true)
          } else if (this.#resyncOwed) {
            await this.#reregister(false)
          }
        }
        for (const nodeId of dead) {
          if (nodeId === this.nodeId) continue
          this.#tracker.forgetPublisher(nodeId)
          if (await this.#removeNode(nodeId, false)) {
            local.logger.info('removed a dead cluster node', { nodeId })
            this.emit('nodeRemoved', nodeId)
          }
        }
      })
      .catch((error: unknown) => this.#logLimited('heartbeat', 'warn', 'cluster heartbeat failed', { err: error }))
      .finally(() => {
        this.#heartbeatRunning = false
      })
  }

  /** Remove `nodeId`'s entries (only if its heartbeat expired, unless `force`). True when it was removed. */
  async #removeNode(nodeId: string, force: boolean): Promise<boolean> {
    const command = this.#command
    if (command === undefined) return false
    const names = this.#names
    const groups = await command.hkeys(names.nodeGroups(nodeId))
    const keys = [
      names.nodes,
      names.info,
      names.sessions,
      names.nodeSessions(nodeId),
      names.nodeGroups(nodeId),
      ...groups.map((group) => names.group(group)),
    ]
    const removed = await this.#scripts(command).socketliteRemoveNode(
      keys.length,
      ...keys,
      nodeId,
      force ? 'force' : '',
    )
    return removed === 1
  }

  #logLimited(
    kind: string,
    level: 'warn' | 'info',
    message: string,
    fields: Readonly<Record<string, unknown>> = {},
  ): void {
    const logger = this.#local?.logger
    if (logger === undefined) return
    const now = Date.now()
    const last = this.#lastLogged.get(kind)
    if (last !== undefined && now - last.at < logEvery) {
      last.suppressed++
      return
    }
    const suppressed = last?.suppressed ?? 0
    this.#lastLogged.set(kind, { at: now, suppressed: 0 })
    logger[level](message, suppressed > 0 ? { ...fields, similarSinceLastLine: suppressed } : fields)
  }
}

function validGroup(group: unknown): group is string {
  return typeof group === 'string' && group.length > 0 && Buffer.byteLength(group) <= 0xffff
}

function validTarget(sessionId: unknown): sessionId is string {
  return typeof sessionId === 'string' && sessionId.length > 0 && Buffer.byteLength(sessionId) <= 0xffff
}

function invalidGroup(): InvalidArgumentError {
  return new InvalidArgumentError('A group name is a non-empty string of at most 65535 UTF-8 bytes')
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function parseInfo(json: string | null | undefined): { name: string; startedTime: number } | undefined {
  if (json == null) return undefined
  try {
    const info = JSON.parse(json) as { name?: unknown; startedTime?: unknown }
    if (typeof info.name !== 'string' || typeof info.startedTime !== 'number') return undefined
    return { name: info.name, startedTime: info.startedTime }
  } catch {
    return undefined
  }
}

/** Where the adapter connects, for messages: the URL without its password, or host:port. */
function describeTarget(init: RedisAdapterInit): string {
  if (init.url !== undefined) {
    try {
      const url = new URL(init.url)
      url.password = ''
      url.username = ''
      return url.toString().replace(/\/$/, '')
    } catch {
      return 'the given url'
    }
  }
  if (isClient(init.redis)) {
    if ((init.redis as { isCluster?: boolean }).isCluster === true) return 'the given Redis Cluster'
    const options = (init.redis as Redis).options
    return `redis://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`
  }
  const options = init.redis as RedisOptions
  return `redis://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`
}
