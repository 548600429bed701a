import { FakeClusterNode, type RedisCluster, startRedisCluster } from '@socketlite/testing'
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest'
import { RedisAdapter } from '../src/index.js'
import { encodeMessage, MessageKind } from '../src/wire.js'
import { bytes, fastHeartbeat, type TestNode } from './helpers.js'

// A local three-master Redis Cluster (started once for this file, about two seconds).

let cluster: RedisCluster
const masters: Redis[] = []

beforeAll(async () => {
  cluster = await startRedisCluster()
  for (const { port } of cluster.startupNodes) {
    const client = new Redis({ host: '127.0.0.1', port })
    client.on('error', () => {})
    masters.push(client)
  }
})

afterAll(async () => {
  for (const client of masters) client.disconnect()
  await cluster?.stop()
})

async function startClusterNode(name: string, prefix: string): Promise<TestNode> {
  const client = new Cluster([...cluster.startupNodes], { lazyConnect: true })
  const adapter = new RedisAdapter({ redis: client, prefix, ...fastHeartbeat })
  const node = new FakeClusterNode({ name })
  await node.start(adapter)
  onTestFinished(() => node.stop())
  return { node, adapter }
}

/** Subscribers of a shard channel on each master (`PUBSUB SHARDNUMSUB` answers for the master it is sent to). */
async function shardSubscribers(channel: string): Promise<number[]> {
  return Promise.all(
    masters.map(async (client) => {
      const reply = (await client.call('PUBSUB', 'SHARDNUMSUB', channel)) as (string | number)[]
      return Number(reply[1])
    }),
  )
}

test('sharded pub/sub on a three-master Redis Cluster: exact delivery, each group channel on one shard only', async () => {
  const prefix = 'c1'
  const nodes = [
    await startClusterNode('a', prefix),
    await startClusterNode('b', prefix),
    await startClusterNode('c', prefix),
  ]
  const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
  expect(a.adapter.sharded).toBe(true) // the default for a Cluster client
  const a1 = await a.node.addSession()
  const b1 = await b.node.addSession()
  const c1 = await c.node.addSession()
  const groups = ['red', 'green', 'blue', 'cyan', 'magenta', 'yellow']
  for (const group of groups) {
    await a.node.join(a1.sessionId, group)
    await b.node.join(b1.sessionId, group)
  }

  // Each group's channel has its two subscribers on exactly one master, and the groups spread over the masters.
  const owners = new Set<number>()
  for (const group of groups) {
    const counts = await shardSubscribers(`${prefix}:group:${group}`)
    expect(counts.filter((count) => count > 0)).toEqual([2])
    owners.add(counts.findIndex((count) => count > 0))
  }
  expect(owners.size).toBeGreaterThan(1)

  for (const group of groups) await c.adapter.publish(bytes(group), { group })
  await a.adapter.publish(bytes('everyone'))
  expect(await c.adapter.sendTo(a1.sessionId, bytes('direct'))).toBe(true)
  expect(await c.adapter.sendTo('nobody', bytes('lost'))).toBe(false)
  // A fence on the all-channel's shard from outside: by then every node has read what came before on it.
  const fenceBytes = encodeMessage(MessageKind.All, 'fence', 1, 1, '', bytes('fence'))
  const publisher = new Cluster([...cluster.startupNodes])
  onTestFinished(() => {
    publisher.disconnect()
  })
  await publisher.spublish(`${prefix}:all`, fenceBytes)
  await a.node.waitUntil(() => a.node.texts(a1.sessionId).length === groups.length + 3)
  await b.node.waitUntil(() => b.node.texts(b1.sessionId).length === groups.length + 2)
  await c.node.waitUntil(() => c.node.texts(c1.sessionId).includes('fence'))
  expect(a.node.texts(a1.sessionId).sort()).toEqual([...groups, 'direct', 'everyone', 'fence'].sort())
  expect(b.node.texts(b1.sessionId).sort()).toEqual([...groups, 'everyone', 'fence'].sort())
  expect(c.node.texts(c1.sessionId).sort()).toEqual(['everyone', 'fence'])
  expect(c.node.deliveries.filter((delivery) => delivery.kind === 'group').length).toBe(groups.length) // its own, locally

  expect(await c.adapter.countSessions()).toBe(3)
  expect(await c.adapter.countSessions({ group: 'red' })).toBe(2)
  expect((await c.adapter.nodes()).map((info) => [info.name, info.sessions])).toEqual([
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ])

  // Leaving moves the subscription away; a graceful stop removes the node.
  for (const group of groups) await b.node.leave(b1.sessionId, group)
  expect(await shardSubscribers(`${prefix}:group:red`)).toContain(1)
  await b.node.stop()
  expect((await a.adapter.nodes()).map((info) => info.name)).toEqual(['a', 'c'])
})

test('classic pub/sub (sharded: false) on Redis Cluster works too, at the cost of cluster-wide broadcast', async () => {
  const prefix = 'c2'
  const make = async (name: string) => {
    const client = new Cluster([...cluster.startupNodes], { lazyConnect: true })
    const adapter = new RedisAdapter({ redis: client, prefix, sharded: false, ...fastHeartbeat })
    const node = new FakeClusterNode({ name })
    await node.start(adapter)
    onTestFinished(() => node.stop())
    return { node, adapter }
  }
  const a = await make('a')
  const b = await make('b')
  const b1 = await b.node.addSession()
  await b.node.join(b1.sessionId, 'room')
  await a.adapter.publish(bytes('room'), { group: 'room' })
  expect(await a.adapter.sendTo(b1.sessionId, bytes('direct'))).toBe(true)
  await b.node.waitUntil(() => b.node.texts(b1.sessionId).length === 2)
  expect(b.node.texts(b1.sessionId)).toEqual(['room', 'direct'])
})
