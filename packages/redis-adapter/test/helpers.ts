import { FakeClusterNode, type RedisServer, startRedisServer } from '@socketlite/testing'
import { Redis } from 'ioredis'
import { onTestFinished } from 'vitest'
import { RedisAdapter, type RedisAdapterInit } from '../src/index.js'

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

/**
 * Make sure every message `from` published so far has reached every node, its own echoes included: `from` publishes
 * a fence to every session and waits until the other nodes had it delivered; then another node publishes a second
 * fence and `from` waits for that one (Redis is single-threaded and keeps each subscriber's messages in order, so by
 * then `from` has read its own echoes too). Each node receives 2 messages from Redis for it.
 */
export async function fence(from: TestNode, nodes: TestNode[], label = 'fence'): Promise<void> {
  const seen = (node: FakeClusterNode, text: string) => () =>
    node.deliveries.some((delivery) => delivery.kind === 'all' && delivery.text === text)
  await from.adapter.publish(bytes(label))
  const others = nodes.filter((node) => node !== from)
  await Promise.all(others.map(({ node }) => node.waitUntil(seen(node, label), 5_000, `${label} on ${node.name}`)))
  const back = others[0]
  if (back === undefined) return
  await back.adapter.publish(bytes(`${label}-back`))
  await Promise.all(
    nodes.filter((node) => node !== back).map(({ node }) => node.waitUntil(seen(node, `${label}-back`), 5_000)),
  )
}
