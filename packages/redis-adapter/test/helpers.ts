import { once } from 'node:events'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { FakeClusterNode, type RedisServer, startRedisServer } from '@socketlite/testing'
import { Redis } from 'ioredis'
import { onTestFinished } from 'vitest'
import { RedisAdapter, type RedisAdapterInit } from '../src/index.js'
import { encodeMessage, MessageKind } from '../src/wire.js'

export const encoder = new TextEncoder()
export const bytes = (text: string): Uint8Array => encoder.encode(text)

/** Short heartbeats so that tests see a dead node drop out within about a second. */
export const fastHeartbeat = { heartbeatInterval: 200, nodeTimeout: 1_000 } as const

/** A throwaway redis-server for one test, stopped when it finishes. */
export async function redisForTest(): Promise<RedisServer> {
  const redis = await startRedisServer()
  onTestFinished(() => redis.stop())
  return redis
}

/** A plain ioredis client (for looking at Redis from the outside), closed when the test finishes. */
export function rawClient(url: string): Redis {
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  onTestFinished(() => {
    client.disconnect()
  })
  return client
}

export interface TestNode {
  readonly node: FakeClusterNode
  readonly adapter: RedisAdapter
}

/** A fake local node with a started RedisAdapter, stopped when the test finishes. */
export async function startNode(url: string, name: string, init: Partial<RedisAdapterInit> = {}): Promise<TestNode> {
  const adapter = new RedisAdapter({ url, ...fastHeartbeat, ...init })
  const node = new FakeClusterNode({ name })
  await node.start(adapter)
  onTestFinished(() => node.stop())
  return { node, adapter }
}

/** `count` nodes named a, b, c, ... on one Redis. */
export async function startNodes(
  url: string,
  count: number,
  init: Partial<RedisAdapterInit> = {},
): Promise<TestNode[]> {
  const nodes: TestNode[] = []
  for (let index = 0; index < count; index++) nodes.push(await startNode(url, String.fromCharCode(97 + index), init))
  return nodes
}

/** Subscribers of each channel, as Redis counts them (`PUBSUB NUMSUB` / `PUBSUB SHARDNUMSUB`). */
export async function subscriberCounts(client: Redis, channels: string[], sharded = false): Promise<number[]> {
  const reply = (await client.call('PUBSUB', sharded ? 'SHARDNUMSUB' : 'NUMSUB', ...channels)) as (string | number)[]
  const counts: number[] = []
  for (let index = 1; index < reply.length; index += 2) counts.push(Number(reply[index]))
  return counts
}

let fences = 0

/**
 * Make sure every message published so far (by any node, before this call) has reached every node, its own echoes
 * included: a raw client publishes a fence to every session, as a message of a publisher that is no node, and each
 * node must have it handed over. Redis is single-threaded and keeps each subscriber's messages in order, so by then
 * each node has read everything published before. Each node receives exactly 1 message from Redis for it.
 */
export async function fence(
  raw: Redis,
  nodes: TestNode[],
  options: { sharded?: boolean; prefix?: string; label?: string } = {},
): Promise<void> {
  fences++
  const label = options.label ?? `fence-${fences}`
  const message = encodeMessage(MessageKind.All, `fence-${fences}`, 1, 1, '', bytes(label))
  const channel = `${options.prefix ?? 'socketlite'}:all`
  await (options.sharded ? raw.spublish(channel, message) : raw.publish(channel, message))
  const seen = (node: FakeClusterNode) => () =>
    node.deliveries.some((delivery) => delivery.kind === 'all' && delivery.text === label)
  await Promise.all(nodes.map(({ node }) => node.waitUntil(seen(node), 5_000, `${label} on ${node.name}`)))
}

/**
 * Resolve once `check()` holds, checking now and then every 10 ms; reject after `timeoutMs` with an error naming
 * `what`. For conditions no event announces (what Redis reports about a connection, a score in the directory).
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** What `CLIENT LIST` says about the connection named `name` (`id`, `addr`, `flags`, `cmd`, ...), if it is there. */
export async function clientInfo(raw: Redis, name: string): Promise<Record<string, string> | undefined> {
  const list = String(await raw.call('CLIENT', 'LIST'))
  const line = list.split('\n').find((entry) => entry.includes(` name=${name} `))
  if (line === undefined) return undefined
  return Object.fromEntries(
    line
      .trim()
      .split(' ')
      .map((field) => field.split('=', 2) as [string, string]),
  )
}

/** Close one client connection from the Redis side, found by its connection name. */
export async function killClient(raw: Redis, name: string): Promise<void> {
  const id = (await clientInfo(raw, name))?.id
  if (id === undefined) throw new Error(`no client named ${name}`)
  if ((await raw.call('CLIENT', 'KILL', 'ID', id)) !== 1) throw new Error(`client ${name} could not be killed`)
}

/** One connection through a {@link RedisProxy}. */
export interface ProxyLink {
  /** The proxy's side of the connection the client opened. */
  readonly client: Socket
  /** The proxy's connection to Redis. */
  readonly upstream: Socket
  /** Bytes the client sent while the link was frozen. */
  frozenBytes: number
  /**
   * Stop forwarding both ways without closing anything: to the client the connection looks alive, but nothing it
   * sends arrives and nothing comes back (as a connection whose loss is not noticed yet). `onData` sees what the
   * client sends meanwhile.
   */
  freeze(onData?: () => void): void
  /** Close both sides at once. */
  cut(): void
}

/** A loopback TCP proxy in front of a Redis, whose connections a test can freeze and cut one by one. */
export interface RedisProxy {
  readonly url: string
  /** Every connection made through it, in order. */
  readonly links: ProxyLink[]
  /** The link of the connection Redis knows by `name` (`CLIENT SETNAME`), asked through `raw`. */
  linkOf(raw: Redis, name: string): Promise<ProxyLink>
}

/** A {@link RedisProxy} to the Redis at `port`, closed (with every link) when the test finishes. */
export async function redisProxy(port: number): Promise<RedisProxy> {
  const links: ProxyLink[] = []
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    const link: ProxyLink = {
      client,
      upstream,
      frozenBytes: 0,
      freeze(onData) {
        client.unpipe(upstream)
        upstream.unpipe(client)
        client.on('data', (chunk: Buffer) => {
          link.frozenBytes += chunk.length
          onData?.()
        })
        client.resume()
      },
      cut() {
        client.destroy()
        upstream.destroy()
      },
    }
    client.on('error', () => link.cut())
    upstream.on('error', () => link.cut())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
    links.push(link)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  onTestFinished(() => {
    for (const link of links) link.cut()
    server.close()
  })
  const address = server.address() as AddressInfo
  return {
    url: `redis://127.0.0.1:${address.port}`,
    links,
    async linkOf(raw, name) {
      const addr = (await clientInfo(raw, name))?.addr
      const link = links.find((candidate) => `127.0.0.1:${candidate.upstream.localPort}` === addr)
      if (link === undefined) throw new Error(`no proxy link for the client named ${name} (${addr})`)
      return link
    },
  }
}
