import { SocketError } from '@socketlite/socket-base'
import { FakeClusterNode, freePort, waitFor, withTimeout } from '@socketlite/testing'
import { describe, expect, onTestFinished, test } from 'vitest'
import { RedisAdapter } from '../src/index.js'
import { encodeMessage, MessageKind } from '../src/wire.js'
import {
  bytes,
  fastHeartbeat,
  fence,
  rawClient,
  redisForTest,
  startNode,
  startNodes,
  subscriberCounts,
  type TestNode,
} from './helpers.js'

function without(texts: string[]): string[] {
  return texts.filter((text) => !text.startsWith('fence'))
}

describe.each([
  { mode: 'classic pub/sub', sharded: false },
  { mode: 'sharded pub/sub', sharded: true },
])('three nodes on one Redis ($mode)', ({ sharded }) => {
  test('publish to all: every session on every node exactly once; each node receives it once from Redis', async () => {
    const redis = await redisForTest()
    const raw = rawClient(redis.url)
    const nodes = await startNodes(redis.url, 3, { sharded })
    const sessions = await Promise.all(
      nodes.map(async ({ node }) => [await node.addSession(), await node.addSession()]),
    )
    const [a] = nodes as [TestNode, TestNode, TestNode]
    const before = nodes.map(({ adapter }) => adapter.getStats().received)
    await a.adapter.publish(bytes('hello'))
    await fence(raw, nodes, { sharded })
    nodes.forEach(({ node }, index) => {
      for (const session of sessions[index] ?? []) expect(without(node.texts(session.sessionId))).toEqual(['hello'])
    })
    // Each node (the publisher included, which drops its own echo) got the message once from Redis, plus the fence.
    expect(nodes.map(({ adapter }, index) => adapter.getStats().received - (before[index] ?? 0))).toEqual([2, 2, 2])
    expect(a.adapter.getStats().published).toBe(1)
  })

  test('publish to a group: each member once, non-members and member-less nodes see nothing, not even from Redis', async () => {
    const redis = await redisForTest()
    const raw = rawClient(redis.url)
    const nodes = await startNodes(redis.url, 3, { sharded })
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    const a1 = await a.node.addSession()
    const a2 = await a.node.addSession()
    const b1 = await b.node.addSession()
    const c1 = await c.node.addSession()
    await a.node.join(a1.sessionId, 'room')
    await b.node.join(b1.sessionId, 'room')
    const before = nodes.map(({ adapter }) => adapter.getStats().received)
    await c.adapter.publish(bytes('to-room'), { group: 'room' }) // from the node without members
    await b.adapter.publish(bytes('from-b'), { group: 'room' }) // from a node with a member
    await fence(raw, nodes, { sharded })
    // Two publishers: each one's messages keep their order, but not against each other's.
    const clean = (node: FakeClusterNode, id: string) => without(node.texts(id)).sort()
    expect(clean(a.node, a1.sessionId)).toEqual(['from-b', 'to-room'])
    expect(clean(b.node, b1.sessionId)).toEqual(['from-b', 'to-room'])
    expect(clean(a.node, a2.sessionId)).toEqual([])
    expect(clean(c.node, c1.sessionId)).toEqual([])
    const received = nodes.map(({ adapter }, index) => adapter.getStats().received - (before[index] ?? 0))
    // a: 2 group messages + the fence; b: 2 group (one its own echo) + the fence; c: only the fence.
    expect(received).toEqual([3, 3, 1])
    // What the adapters handed to the local nodes: c only its own publish (locally), nothing from b.
    expect(c.node.deliveries.filter((delivery) => delivery.kind === 'group').map((delivery) => delivery.text)).toEqual([
      'to-room',
    ])
    expect(await a.adapter.countSessions({ group: 'room' })).toBe(2)
    expect(await c.adapter.countSessions({ group: 'nobody' })).toBe(0)
  })

  test('sendTo across nodes: only the node that has the session is sent the message', async () => {
    const redis = await redisForTest()
    const raw = rawClient(redis.url)
    const nodes = await startNodes(redis.url, 3, { sharded })
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    const target = await c.node.addSession()
    const other = await b.node.addSession()
    const before = nodes.map(({ adapter }) => adapter.getStats().received)
    expect(await a.adapter.sendTo(target.sessionId, bytes('direct'))).toBe(true)
    expect(await a.adapter.sendTo('no-such-session', bytes('lost'))).toBe(false)
    await c.node.waitUntil(() => c.node.texts(target.sessionId).length === 1)
    expect(c.node.texts(target.sessionId)).toEqual(['direct'])
    expect(b.node.texts(other.sessionId)).toEqual([])
    // After a fence, b would have got a stray direct message by now. Only c got anything besides the fence.
    await fence(raw, nodes, { sharded })
    const received = nodes.map(({ adapter }, index) => adapter.getStats().received - (before[index] ?? 0))
    expect(received).toEqual([1, 1, 2])
    expect(b.node.deliveries.filter((delivery) => delivery.kind === 'session')).toEqual([])
    // Local sessions are served without Redis.
    const local = await a.node.addSession()
    const published = a.adapter.getStats().published
    expect(await a.adapter.sendTo(local.sessionId, bytes('here'))).toBe(true)
    expect(a.node.texts(local.sessionId)).toContain('here')
    expect(a.adapter.getStats().published).toBe(published)
    // A closed session is no longer found.
    await c.node.close(target.sessionId)
    expect(await a.adapter.sendTo(target.sessionId, bytes('gone'))).toBe(false)
  })

  test('countSessions and nodes() are service-wide; a stopped node leaves at once', async () => {
    const redis = await redisForTest()
    const nodes = await startNodes(redis.url, 3, { sharded })
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    for (const [index, { node }] of nodes.entries()) for (let n = 0; n <= index; n++) await node.addSession()
    const g = await b.node.addSession()
    await b.node.join(g.sessionId, 'g')
    expect(await a.adapter.countSessions()).toBe(7)
    expect(await c.adapter.countSessions({ group: 'g' })).toBe(1)
    const infos = await c.adapter.nodes()
    expect(infos.map(({ nodeId, name, sessions }) => ({ nodeId, name, sessions }))).toEqual([
      { nodeId: a.adapter.nodeId, name: 'a', sessions: 1 },
      { nodeId: b.adapter.nodeId, name: 'b', sessions: 3 },
      { nodeId: c.adapter.nodeId, name: 'c', sessions: 3 },
    ])
    for (const info of infos) expect(info.startedTime).toBeInstanceOf(Date)
    await b.node.stop()
    expect((await a.adapter.nodes()).map((info) => info.name)).toEqual(['a', 'c'])
    expect(await a.adapter.countSessions()).toBe(4)
    expect(await a.adapter.countSessions({ group: 'g' })).toBe(0)
  })

  test('subscriptions follow membership: a node is subscribed to a group only while it has members', async () => {
    const redis = await redisForTest()
    const raw = rawClient(redis.url)
    const [a, b] = (await startNodes(redis.url, 2, { sharded })) as [TestNode, TestNode]
    const channel = 'socketlite:group:g'
    const s1 = await a.node.addSession()
    const s2 = await a.node.addSession()
    expect(await subscriberCounts(raw, [channel], sharded)).toEqual([0])
    await a.node.join(s1.sessionId, 'g')
    await a.node.join(s2.sessionId, 'g')
    expect(await subscriberCounts(raw, [channel], sharded)).toEqual([1])
    expect(a.adapter.getStats().subscriptions).toBe(3) // all, its node channel, g
    await a.node.leave(s1.sessionId, 'g')
    expect(await subscriberCounts(raw, [channel], sharded)).toEqual([1])
    await a.node.close(s2.sessionId) // the last member closes: settles once its leave is in force
    expect(await subscriberCounts(raw, [channel], sharded)).toEqual([0])
    expect(a.adapter.getStats().subscriptions).toBe(2)
    const before = a.adapter.getStats().received
    await b.adapter.publish(bytes('nobody'), { group: 'g' })
    await fence(raw, [a, b], { sharded })
    expect(a.adapter.getStats().received - before).toBe(1) // only the fence
  })
})

test('start() rejects with ERR_CLUSTER_UNAVAILABLE, in bounded time, when Redis cannot be reached', async () => {
  const port = await freePort() // nothing listens there
  const adapter = new RedisAdapter({ url: `redis://:secret@127.0.0.1:${port}`, connectTimeout: 1_000 })
  const node = new FakeClusterNode()
  const error = await withTimeout(
    node.start(adapter).then(
      () => undefined,
      (caught: unknown) => caught,
    ),
    5_000,
    'start() to fail',
  )
  expect(SocketError.isSocketError(error) && error.code).toBe('ERR_CLUSTER_UNAVAILABLE')
  expect((error as Error).message).toContain(`127.0.0.1:${port}`)
  expect((error as Error).message).not.toContain('secret')
  expect((error as Error).cause).toBeDefined()
  // Nothing is left running, and the adapter can be started again once Redis is there.
  await expect(adapter.publish(bytes('x'))).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
})

test('start() against a port that accepts but never answers fails within connectTimeout', async () => {
  const net = await import('node:net')
  const sockets: import('node:net').Socket[] = []
  const silent = net.createServer((socket) => sockets.push(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const { port } = silent.address() as import('node:net').AddressInfo
  const adapter = new RedisAdapter({ url: `redis://127.0.0.1:${port}`, connectTimeout: 500 })
  const error = await withTimeout(
    adapter.start(new FakeClusterNode()).catch((caught: unknown) => caught),
    5_000,
    'start() to fail',
  )
  expect(SocketError.isSocketError(error) && error.code).toBe('ERR_CLUSTER_UNAVAILABLE')
})

test('a message of another wire version, or not ours at all, is logged and dropped; the node keeps working', async () => {
  const redis = await redisForTest()
  const raw = rawClient(redis.url)
  const { node, adapter } = await startNode(redis.url, 'a')
  const session = await node.addSession()
  const newer = encodeMessage(MessageKind.All, 'other-node', 1, 1, '', bytes('from the future'))
  newer[1] = 2
  const older = Buffer.from(newer)
  older[1] = 0
  await raw.publish('socketlite:all', newer)
  await raw.publish('socketlite:all', older)
  await raw.publish('socketlite:all', Buffer.from('plain text, not a socketlite message'))
  await raw.publish('socketlite:all', Buffer.from([0x53, 1, 9, 0])) // our magic and version, a broken header
  await raw.publish('socketlite:all', encodeMessage(MessageKind.All, 'other-node', 1, 1, '', bytes('ok')))
  await node.waitUntil(() => node.texts(session.sessionId).length === 1)
  expect(node.texts(session.sessionId)).toEqual(['ok'])
  expect(adapter.getStats()).toMatchObject({ dropped: 4, received: 5, missed: 0 })
  const warnings = node.logLines.filter((line) => line.level === 'warn' && line.message.includes('cannot read'))
  expect(warnings.map((line) => line.fields?.reason)).toEqual([
    'wire version 2, this node reads 1',
    'not-ours',
    'malformed',
  ]) // one line per kind per 10 s: the version-0 message falls under the version line's kind
})

test('options are checked when the adapter is made', () => {
  const url = 'redis://127.0.0.1:6379'
  const bad = [
    {},
    { url, redis: { port: 6379 } },
    { url, prefix: '' },
    { url, prefix: 'has{braces}' },
    { url, nodeId: 'has space' },
    { url, nodeId: 'x'.repeat(129) },
    { url, heartbeatInterval: 0 },
    { url, heartbeatInterval: 1_000, nodeTimeout: 1_500 },
    { url, connectTimeout: Number.NaN },
  ]
  for (const init of bad)
    expect(() => new RedisAdapter(init)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  const adapter = new RedisAdapter({ url, prefix: 'app-1', nodeId: 'node-1' })
  expect([adapter.nodeId, adapter.prefix, adapter.sharded]).toEqual(['node-1', 'app-1', false])
  expect(new RedisAdapter({ url }).nodeId).toMatch(/^[0-9a-f-]{36}$/)
})

test('calls before start() reject with ERR_SERVER_STATE; a bad group with ERR_INVALID_ARGUMENT', async () => {
  const redis = await redisForTest()
  const adapter = new RedisAdapter({ url: redis.url, ...fastHeartbeat })
  await expect(adapter.publish(bytes('x'))).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
  await expect(adapter.sendTo('x', bytes('x'))).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
  await expect(adapter.nodes()).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
  await expect(adapter.countSessions()).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
  await expect(adapter.join('x', 'g')).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
  expect(await adapter.registerSession('x')).toBe(false)
  const node = new FakeClusterNode()
  await node.start(adapter)
  onTestFinished(() => node.stop())
  await expect(adapter.start(node)).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
  await expect(adapter.publish(bytes('x'), { group: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
  await expect(adapter.countSessions({ group: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
  const session = await node.addSession()
  await expect(node.join(session.sessionId, '')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
})

test('an ioredis client given as `redis` is copied, never closed; prefixes keep two services apart', async () => {
  const redis = await redisForTest()
  const mine = rawClient(redis.url)
  const one = await startNode(redis.url, 'one', { prefix: 'one' })
  const adapter = new RedisAdapter({ redis: mine, prefix: 'two', ...fastHeartbeat })
  const two = new FakeClusterNode({ name: 'two' })
  await two.start(adapter)
  const s1 = await one.node.addSession()
  const s2 = await two.addSession()
  expect(await one.adapter.countSessions()).toBe(1)
  expect(await adapter.countSessions()).toBe(1)
  expect(await one.adapter.sendTo(s2.sessionId, bytes('x'))).toBe(false)
  await adapter.publish(bytes('two only'))
  await one.adapter.publish(bytes('one only'))
  await two.waitUntil(() => two.texts(s2.sessionId).length === 1)
  await one.node.waitUntil(() => one.node.texts(s1.sessionId).length === 1)
  expect(one.node.texts(s1.sessionId)).toEqual(['one only'])
  await two.stop()
  expect(mine.status).toBe('ready')
  expect(await mine.ping()).toBe('PONG')
})

test('restart after stop() joins the service again with a fresh registration', async () => {
  const redis = await redisForTest()
  const adapter = new RedisAdapter({ url: redis.url, ...fastHeartbeat })
  const first = new FakeClusterNode({ name: 'first' })
  await first.start(adapter)
  await first.addSession()
  await first.stop()
  const observer = await startNode(redis.url, 'observer')
  expect((await observer.adapter.nodes()).map((info) => info.name)).toEqual(['observer'])
  const second = new FakeClusterNode({ name: 'second' })
  await second.start(adapter)
  onTestFinished(() => second.stop())
  expect((await observer.adapter.nodes()).map((info) => info.name).sort()).toEqual(['observer', 'second'])
  expect(await observer.adapter.countSessions()).toBe(0)
  const event = waitFor(adapter, 'unavailable', 5_000)
  await redis.kill()
  await event
})

test('publishes made in one tick leave in one write: Redis reads them at once, and each arrives once, in order', async () => {
  const redis = await redisForTest()
  const raw = rawClient(redis.url)
  const nodes = await startNodes(redis.url, 2, { heartbeatInterval: 60_000, nodeTimeout: 120_000 })
  const [a, b] = nodes as [TestNode, TestNode]
  const session = await b.node.addSession()
  const reads = async (): Promise<number> => Number(/total_reads_processed:(\d+)/.exec(await raw.info('stats'))?.[1])
  const before = await reads()
  const count = 100
  await Promise.all(Array.from({ length: count }, (_, index) => a.adapter.publish(bytes(`m${index}`))))
  const after = await reads()
  // 100 PUBLISH commands (about 10 KB) in one write take Redis a read or two (plus the INFO call); one write each
  // would take it many more.
  expect(after - before).toBeLessThanOrEqual(5)
  await fence(raw, nodes)
  expect(without(b.node.texts(session.sessionId))).toEqual(Array.from({ length: count }, (_, index) => `m${index}`))
})
