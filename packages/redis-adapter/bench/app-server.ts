// AppServer-level benchmark: 3 node processes × 100 clients each, joined through a throwaway local redis-server,
// against a bare baseline in the same run (3 processes, each a plain node:net server with an ioredis subscriber that
// writes what it receives to its 100 sockets; the publishing one writes to its own sockets and PUBLISHes).
//
// 1. Publish to all from node 0: messages/s fully delivered to all 300 clients (at most BENCH_APP_WINDOW in flight),
//    and end-to-end latency p50/p99 (publish call → bytes read by a client) at a fixed rate; rounds interleaved
//    (bare, adapter, adapter, bare, ...), medians, ratio adapter / bare.
// 2. sendTo from node 0 to sessions on nodes 1 and 2: messages/s delivered.
// 3. 1,000 groups of 3 members, each member a random client (so on a random node); one publish per group from node 0:
//    messages each node received from Redis, against a broadcast-to-all adapter where every node receives every
//    message.
//
// Environment: BENCH_ROUNDS (3), BENCH_APP_MESSAGES (publishes per throughput round, 2000), BENCH_APP_WINDOW (64),
// BENCH_APP_RATE (publishes/s of the latency run, 100), BENCH_LATENCY_SECONDS (2), BENCH_APP_CLIENTS (per node, 100),
// BENCH_NODE_ARGS (extra node options for the node processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
import { type ChildProcess, spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { startRedisServer } from '@socketlite/testing'

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}
const rounds = env('BENCH_ROUNDS', 3)
const messages = env('BENCH_APP_MESSAGES', 2_000)
const window = env('BENCH_APP_WINDOW', 64)
const rate = env('BENCH_APP_RATE', 100)
const latencySeconds = env('BENCH_LATENCY_SECONDS', 2)
const clientsPerNode = env('BENCH_APP_CLIENTS', 100)
const nodeCount = 3
const frameSize = 32 // bench/app-node.ts
const fixture = fileURLToPath(new URL('./app-node.ts', import.meta.url))
const packageRoot = fileURLToPath(new URL('..', import.meta.url))

class Node {
  readonly child: ChildProcess
  readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  nextId = 0
  port = 0
  nodeId = ''

  constructor(mode: string, url: string, index: number) {
    const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '')
    this.child = spawn(process.execPath, [...extra, '--import', 'tsx', fixture, mode, url, String(index)], {
      cwd: packageRoot,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('a node did not start within 30 s')), 30_000)
      this.child.on(
        'message',
        (reply: {
          id?: number
          ok?: boolean
          value?: unknown
          error?: { message: string }
          event?: string
          args?: unknown[]
        }) => {
          if (reply.event === 'ready') {
            clearTimeout(timer)
            this.nodeId = String(reply.args?.[0])
            this.port = Number(reply.args?.[1])
            resolve()
          } else if (reply.id !== undefined) {
            const pending = this.pending.get(reply.id)
            this.pending.delete(reply.id)
            if (reply.ok) pending?.resolve(reply.value)
            else pending?.reject(new Error(reply.error?.message))
          }
        },
      )
    })
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = ++this.nextId
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.child.send({ id, op, args })
    })
  }

  /** Stop the node and let its process exit by itself (so that `--cpu-prof` writes its profile); killed after 10 s. */
  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await this.call('stop').catch(() => {})
    await exited
    clearTimeout(timer)
  }
}

/** A client: counts whole frames and, while `latencies` is set, records each frame's latency. */
class Client {
  readonly socket: Socket
  frames = 0
  #partial = 0
  #carry = Buffer.alloc(0)
  static latencies: number[] | undefined
  static total = 0
  static waiter: { target: number; resolve(): void } | undefined

  constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.#data(chunk))
  }

  #data(chunk: Buffer): void {
    const at = performance.timeOrigin + performance.now()
    let data = chunk
    if (this.#partial > 0) {
      data = Buffer.concat([this.#carry, chunk])
    }
    const whole = Math.floor(data.length / frameSize)
    if (Client.latencies !== undefined)
      for (let i = 0; i < whole; i++) Client.latencies.push(at - data.readDoubleLE(i * frameSize))
    this.#partial = data.length - whole * frameSize
    this.#carry = this.#partial > 0 ? Buffer.from(data.subarray(whole * frameSize)) : Buffer.alloc(0)
    this.frames += whole
    Client.total += whole
    const waiter = Client.waiter
    if (waiter !== undefined && Client.total >= waiter.target) {
      Client.waiter = undefined
      waiter.resolve()
    }
  }

  /** Resolves once every client together has received `target` frames since the start. */
  static until(target: number, timeoutMs = 120_000): Promise<void> {
    if (Client.total >= target) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${Client.total} of ${target} frames arrived`)), timeoutMs)
      Client.waiter = {
        target,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
    })
  }
}

async function connectClients(port: number, count: number): Promise<Client[]> {
  const clients: Client[] = []
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    clients.push(new Client(socket))
  }
  return clients
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}
const median = (values: number[]): number => percentile(values, 50)
const fmt = (values: number[], digits = 0) => values.map((value) => value.toFixed(digits)).join(' / ')

interface Service {
  nodes: Node[]
  clients: Client[]
}

async function startService(mode: 'adapter' | 'bare', url: string): Promise<Service> {
  const nodes = Array.from({ length: nodeCount }, (_, index) => new Node(mode, url, index))
  await Promise.all(nodes.map((node) => node.ready()))
  const clients: Client[] = []
  for (const node of nodes) clients.push(...(await connectClients(node.port, clientsPerNode)))
  // A client is connected before its server has made it a session: wait until every node counts all of its own.
  for (const node of nodes)
    for (let round = 0; round < 1_000 && (await node.call<number>('sessionCount')) < clientsPerNode; round++)
      await new Promise((resolve) => setTimeout(resolve, 10))
  return { nodes, clients }
}

async function stopService(service: Service): Promise<void> {
  for (const client of service.clients) client.socket.destroy()
  await Promise.all(service.nodes.map((node) => node.stop()))
}

/** Publishes/s from node 0, each fully delivered to every client. */
async function publishRate(service: Service, count: number): Promise<number> {
  const target = Client.total + count * service.clients.length
  const start = performance.now()
  await service.nodes[0]?.call('publish', count, window)
  await Client.until(target)
  return count / ((performance.now() - start) / 1000)
}

/** p50 and p99 (ms) at `rate` publishes/s for `latencySeconds`. */
async function publishLatency(service: Service): Promise<[number, number]> {
  const count = Math.round(rate * latencySeconds)
  const target = Client.total + count * service.clients.length
  Client.latencies = []
  await service.nodes[0]?.call('publish', count, 1_000_000, rate)
  await Client.until(target)
  const latencies = Client.latencies
  Client.latencies = undefined
  return [percentile(latencies, 50), percentile(latencies, 99)]
}

const redis = await startRedisServer()
try {
  console.log(
    `AppServer level: ${nodeCount} node processes × ${clientsPerNode} clients, ${frameSize} B frames, publish from node 0`,
  )
  // ------------------------------------------------------------ 1. publish to all: bare vs adapter, interleaved
  const rates = { bare: [] as number[], adapter: [] as number[] }
  const p50 = { bare: [] as number[], adapter: [] as number[] }
  const p99 = { bare: [] as number[], adapter: [] as number[] }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['bare', 'adapter'] as const) : (['adapter', 'bare'] as const)
    for (const kind of order) {
      const service = await startService(kind, redis.url)
      await publishRate(service, 200) // warm-up
      rates[kind].push(await publishRate(service, messages))
      const [fifty, ninetyNine] = await publishLatency(service)
      p50[kind].push(fifty)
      p99[kind].push(ninetyNine)
      await stopService(service)
    }
  }
  console.log(`publish to all, ${messages} publishes per round (${window} in flight), ${rounds} rounds interleaved:`)
  console.log(
    `  bare ioredis PUBLISH → SUBSCRIBE → socket.write: ${fmt(rates.bare)} publishes/s (median ${median(rates.bare).toFixed(0)})`,
  )
  console.log(
    `  AppServer + RedisAdapter server.publish:       ${fmt(rates.adapter)} publishes/s (median ${median(rates.adapter).toFixed(0)})`,
  )
  console.log(
    `  ratio adapter / bare (medians): ${(median(rates.adapter) / median(rates.bare)).toFixed(3)}` +
      ` (each publish is ${nodeCount * clientsPerNode} socket deliveries)`,
  )
  console.log(
    `latency at ${rate} publishes/s for ${latencySeconds} s (publish call → bytes read by a client), per round:`,
  )
  console.log(`  bare:    p50 ${fmt(p50.bare, 3)} ms, p99 ${fmt(p99.bare, 3)} ms`)
  console.log(`  adapter: p50 ${fmt(p50.adapter, 3)} ms, p99 ${fmt(p99.adapter, 3)} ms`)
  console.log(
    `  ratio of medians bare / adapter: p50 ${(median(p50.bare) / median(p50.adapter)).toFixed(3)}, p99 ${(median(p99.bare) / median(p99.adapter)).toFixed(3)}`,
  )

  // ------------------------------------------------------------ 2. sendTo, 3. groups
  const service = await startService('adapter', redis.url)
  try {
    const ids = await Promise.all(service.nodes.map((node) => node.call<string[]>('sessionIds')))
    const remote = [...(ids[1] ?? []), ...(ids[2] ?? [])]
    const sendRates: number[] = []
    for (let round = 0; round < rounds; round++) {
      const target = Client.total + messages
      const start = performance.now()
      const missing = await service.nodes[0]?.call<number>('sendTo', remote, messages, window)
      if (missing !== 0) throw new Error(`sendTo found no session ${missing} times`)
      await Client.until(target)
      sendRates.push(messages / ((performance.now() - start) / 1000))
    }
    console.log(`sendTo from node 0 to sessions on nodes 1 and 2 (${window} in flight): ${fmt(sendRates)} msg/s`)

    const groups = 1_000
    let seed = 42 // mulberry32: the same placement every run
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * n)
    }
    const joins: [string, string][][] = ids.map(() => [])
    for (let group = 0; group < groups; group++) {
      const chosen = new Set<string>()
      while (chosen.size < 3) {
        const node = random(nodeCount)
        const list = ids[node] ?? []
        const id = list[random(list.length)] as string
        if (chosen.has(id)) continue
        chosen.add(id)
        joins[node]?.push([id, `g${group}`])
      }
    }
    await Promise.all(service.nodes.map((node, index) => node.call('join', joins[index])))
    const before = await Promise.all(service.nodes.map((node) => node.call<{ received: number }>('stats')))
    const target = Client.total + groups * 3
    await service.nodes[0]?.call(
      'publishGroups',
      Array.from({ length: groups }, (_, group) => `g${group}`),
      window,
    )
    await Client.until(target)
    const after = await Promise.all(service.nodes.map((node) => node.call<{ received: number }>('stats')))
    const received = after.map((stats, index) => stats.received - (before[index]?.received ?? 0))
    const total = received.reduce((sum, count) => sum + count, 0)
    console.log(
      `groups: ${groups} groups of 3 members, each a random client of a random node; 1 publish per group from node 0,` +
        ` ${groups * 3} deliveries:`,
    )
    console.log(`  messages each node received from Redis: ${received.join(', ')} (total ${total})`)
    console.log(
      `  broadcast-to-all adapter (every node gets every message): ${groups} per node (total ${groups * nodeCount});` +
        ` saving ${(100 * (1 - total / (groups * nodeCount))).toFixed(1)} %`,
    )
  } finally {
    await stopService(service)
  }
} finally {
  await redis.stop()
}
