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
