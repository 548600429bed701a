// Adapter-level benchmark of @socketlite/redis-adapter against a throwaway local redis-server (no AppServer: the
// local node is a minimal ClusterLocalNode whose sessions only count and time what they get).
//
// 1. Publish to all, publisher node -> receiver node, against a bare ioredis PUBLISH -> SUBSCRIBE baseline (same
//    payload, same window of messages in flight), rounds interleaved (bare, adapter, bare, adapter, ...):
//    delivered messages/s and end-to-end latency p50/p99 at a fixed rate.
// 2. sendTo rate to a session on another node (a directory lookup + PUBLISH to that node's channel).
// 3. Group fan-out: N nodes, 1,000 groups of 3 members, each on a random node; one message to every group. Messages each
//    node receives from Redis, against what a broadcast-to-all adapter (socket.io's Redis adapter) makes every node
//    receive: every message.
//
// Environment: BENCH_ROUNDS (3), BENCH_MESSAGES (messages per throughput round, 20000), BENCH_WINDOW (in flight,
// 256), BENCH_RATE (messages/s of the latency run, 5000), BENCH_LATENCY_SECONDS (2), BENCH_PAYLOAD (bytes, 64),
// BENCH_FANOUT_NODES (3 and 10 by default: a comma list).
import type { ClusterLocalNode, Logger } from '@socketlite/socket-base'
import { silentLogFactory } from '@socketlite/socket-base'
import { startRedisServer } from '@socketlite/testing'
import { Redis } from 'ioredis'
import { RedisAdapter } from '../src/index.js'

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}
const rounds = env('BENCH_ROUNDS', 3)
const messages = env('BENCH_MESSAGES', 20_000)
const window = env('BENCH_WINDOW', 256)
const rate = env('BENCH_RATE', 5_000)
const latencySeconds = env('BENCH_LATENCY_SECONDS', 2)
const payloadSize = Math.max(16, env('BENCH_PAYLOAD', 64))
const fanoutNodes = (process.env.BENCH_FANOUT_NODES ?? '3,10')
  .split(',')
  .map(Number)
  .filter((n) => n >= 3)

const logger: Logger = silentLogFactory.getLogger('bench')

/** A local node whose sessions count deliveries and record the latency of timestamped payloads. */
class BenchNode implements ClusterLocalNode {
  readonly name: string
  readonly logger = logger
  readonly members = new Map<string, Set<string>>()
  readonly sessions = new Set<string>()
  delivered = 0
  latencies: number[] | undefined
  onDeliver: (() => void) | undefined

  constructor(name: string) {
    this.name = name
  }

  get sessionCount(): number {
    return this.sessions.size
  }

  #got(data: Uint8Array, count: number): void {
    this.delivered += count
    if (this.latencies !== undefined && data.byteLength >= 8) {
      const sent = Buffer.from(data.buffer, data.byteOffset, data.byteLength).readDoubleLE(0)
      this.latencies.push(performance.now() - sent)
    }
    this.onDeliver?.()
  }

  deliverToSession(sessionId: string, data: Uint8Array): boolean {
    if (!this.sessions.has(sessionId)) return false
    this.#got(data, 1)
    return true
  }

  deliverToGroup(group: string, data: Uint8Array): number {
    const count = this.members.get(group)?.size ?? 0
    if (count > 0) this.#got(data, count)
    return count
  }

  deliverToAll(data: Uint8Array): number {
    if (this.sessions.size > 0) this.#got(data, this.sessions.size)
    return this.sessions.size
  }

  countGroupMembers(group: string): number {
    return this.members.get(group)?.size ?? 0
  }

  sessionIds(): Iterable<string> {
    return this.sessions
  }

  groups(): Iterable<string> {
    return this.members.keys()
  }

  /** Resolve once `delivered` reaches `target`. */
  until(target: number): Promise<void> {
    if (this.delivered >= target) return Promise.resolve()
    return new Promise((resolve) => {
      this.onDeliver = () => {
        if (this.delivered < target) return
        this.onDeliver = undefined
        resolve()
      }
    })
  }
}

function payload(): Uint8Array {
  const bytes = Buffer.alloc(payloadSize, 0x61)
  bytes.writeDoubleLE(performance.now(), 0)
  return bytes
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

function median(values: number[]): number {
  return percentile(values, 50)
}

/** Send `count` messages with at most `window` in flight; resolves with messages/s delivered at the receiver. */
async function throughput(
  send: () => Promise<unknown>,
  receiver: { delivered: number; until(target: number): Promise<void> },
  count: number,
): Promise<number> {
  const start = performance.now()
  const target = receiver.delivered + count
  let inFlight = 0
  let sent = 0
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (inFlight < window && sent < count) {
        inFlight++
        sent++
        send().then(() => {
          inFlight--
          if (sent < count) pump()
          else if (inFlight === 0) resolve()
        }, reject)
      }
    }
    pump()
  })
  await receiver.until(target)
  return count / ((performance.now() - start) / 1000)
}

/** Send at a fixed rate for `seconds`; the receiver records latencies (from the intended send time). */
async function fixedRate(send: (data: Uint8Array) => Promise<unknown>, seconds: number): Promise<void> {
  const total = Math.round(rate * seconds)
  const start = performance.now()
  const pending: Promise<unknown>[] = []
  for (let index = 0; index < total; index++) {
    const due = start + (index * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    const data = payload()
    // Latency counts from the intended send time (or from now, when the loop is early).
    Buffer.from(data.buffer, data.byteOffset, 8).writeDoubleLE(Math.min(due, performance.now()), 0)
    pending.push(send(data))
  }
  await Promise.all(pending)
}

const redis = await startRedisServer()
try {
  // ---------------------------------------------------------------- 1. publish: bare ioredis vs adapter
  const publisherNode = new BenchNode('publisher')
  const receiverNode = new BenchNode('receiver')
  receiverNode.sessions.add('r1')
  const publisher = new RedisAdapter({ url: redis.url, prefix: 'bench' })
  const receiver = new RedisAdapter({ url: redis.url, prefix: 'bench' })
  await publisher.start(publisherNode)
  await receiver.start(receiverNode)

  const barePub = new Redis(redis.url)
  const bareSub = new Redis(redis.url)
  const bareReceiver = {
    delivered: 0,
    latencies: undefined as number[] | undefined,
    onDeliver: undefined as (() => void) | undefined,
    until(target: number): Promise<void> {
      if (this.delivered >= target) return Promise.resolve()
      return new Promise((resolve) => {
        this.onDeliver = () => {
          if (this.delivered < target) return
          this.onDeliver = undefined
          resolve()
        }
      })
    },
  }
  bareSub.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
    // What a server would do with it: hand the bytes to its one session (here: count and time them).
    bareReceiver.delivered++
    if (bareReceiver.latencies !== undefined) bareReceiver.latencies.push(performance.now() - message.readDoubleLE(0))
    bareReceiver.onDeliver?.()
  })
  await bareSub.subscribe('bare:all')

  const bareSend = (data: Uint8Array = payload()) => barePub.publish('bare:all', Buffer.from(data))
  const adapterSend = (data: Uint8Array = payload()) => publisher.publish(data)

  // Warm-up of both paths.
  await throughput(bareSend, bareReceiver, 2_000)
  await throughput(adapterSend, receiverNode, 2_000)

  const rates: { bare: number[]; adapter: number[] } = { bare: [], adapter: [] }
  const p50: { bare: number[]; adapter: number[] } = { bare: [], adapter: [] }
  const p99: { bare: number[]; adapter: number[] } = { bare: [], adapter: [] }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['bare', 'adapter'] as const) : (['adapter', 'bare'] as const)
    for (const kind of order) {
      const target = kind === 'bare' ? bareReceiver : receiverNode
      rates[kind].push(await throughput(kind === 'bare' ? bareSend : adapterSend, target, messages))
      target.latencies = []
      const expected = target.delivered + Math.round(rate * latencySeconds)
      await fixedRate(kind === 'bare' ? bareSend : adapterSend, latencySeconds)
      await target.until(expected)
      p50[kind].push(percentile(target.latencies, 50))
      p99[kind].push(percentile(target.latencies, 99))
      target.latencies = undefined
    }
  }
  const fmt = (values: number[], digits = 0) => values.map((value) => value.toFixed(digits)).join(' / ')
  console.log(
    `publish to all, ${payloadSize} B payload, ${window} in flight, ${messages} messages per round, ${rounds} rounds` +
      ' interleaved (bare, adapter, adapter, bare, ...)',
  )
  console.log(`  bare ioredis PUBLISH -> SUBSCRIBE: ${fmt(rates.bare)} msg/s (median ${median(rates.bare).toFixed(0)})`)
  console.log(
    `  RedisAdapter publish -> session:   ${fmt(rates.adapter)} msg/s (median ${median(rates.adapter).toFixed(0)})`,
  )
  console.log(`  ratio adapter / bare (medians): ${(median(rates.adapter) / median(rates.bare)).toFixed(3)}`)
  console.log(`latency at ${rate} msg/s for ${latencySeconds} s (from the intended send time), per round:`)
  console.log(`  bare:    p50 ${fmt(p50.bare, 3)} ms, p99 ${fmt(p99.bare, 3)} ms`)
  console.log(`  adapter: p50 ${fmt(p50.adapter, 3)} ms, p99 ${fmt(p99.adapter, 3)} ms`)
  barePub.disconnect()
  bareSub.disconnect()

  // ---------------------------------------------------------------- 2. sendTo rate
  receiverNode.sessions.add('target')
  await receiver.registerSession('target')
  const sendRates: number[] = []
  for (let round = 0; round < rounds; round++)
    sendRates.push(await throughput(() => publisher.sendTo('target', payload()), receiverNode, messages))
  console.log(`sendTo a session on another node (lookup + PUBLISH to that node): ${fmt(sendRates)} msg/s`)
  await publisher.stop()
  await receiver.stop()

  // ---------------------------------------------------------------- 3. group fan-out
  for (const nodeCount of fanoutNodes) {
    const nodes: { local: BenchNode; adapter: RedisAdapter }[] = []
    for (let index = 0; index < nodeCount; index++) {
      const local = new BenchNode(`n${index}`)
      const adapter = new RedisAdapter({ url: redis.url, prefix: `fanout${nodeCount}` })
      await adapter.start(local)
      nodes.push({ local, adapter })
    }
    const groups = 1_000
    // mulberry32: a small seeded generator, so every run places the members the same way.
    let seed = 42
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * n)
    }
    const joins: Promise<void>[] = []
    for (let group = 0; group < groups; group++) {
      // Each member connected to a random node (as a load balancer spreads clients).
      for (let member = 0; member < 3; member++) {
        const node = nodes[random(nodeCount)] as (typeof nodes)[number]
        const sessionId = `g${group}-m${member}`
        node.local.sessions.add(sessionId)
        const members = node.local.members.get(`g${group}`) ?? new Set<string>()
        members.add(sessionId)
        node.local.members.set(`g${group}`, members)
        joins.push(node.adapter.join(sessionId, `g${group}`))
      }
    }
    await Promise.all(joins)
    const before = nodes.map(({ adapter }) => adapter.getStats().received)
    const publisherIndex = 0
    for (let group = 0; group < groups; group++)
      await nodes[publisherIndex]?.adapter.publish(payload(), { group: `g${group}` })
    // Every member gets it once.
    await Promise.all(
      nodes.map(({ local }) =>
        local.until([...local.members.values()].reduce((total, members) => total + members.size, 0)),
      ),
    )
    const totalDelivered = nodes.reduce((total, { local }) => total + local.delivered, 0)
    const received = nodes.map(({ adapter }, index) => adapter.getStats().received - (before[index] ?? 0))
    const total = received.reduce((sum, count) => sum + count, 0)
    console.log(
      `group fan-out, ${nodeCount} nodes, ${groups} groups of 3 members each on a random node, 1 message per group` +
        ` (published from n${publisherIndex}), ${totalDelivered} deliveries:`,
    )
    console.log(`  messages each node received from Redis: ${received.join(', ')} (total ${total})`)
    console.log(
      `  broadcast-to-all adapter (every node gets every message): ${groups} per node (total ${groups * nodeCount});` +
        ` saving ${(100 * (1 - total / (groups * nodeCount))).toFixed(1)} %`,
    )
    await Promise.all(nodes.map(({ adapter }) => adapter.stop()))
  }
} finally {
  await redis.stop()
}
