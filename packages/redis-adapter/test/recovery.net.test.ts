import { SocketError } from '@socketlite/socket-base'
import { deferred, FakeClusterNode, waitFor, withTimeout } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { RedisAdapter } from '../src/index.js'
import { removeNodeScript } from '../src/scripts.js'
import {
  bytes,
  clientInfo,
  eventually,
  fastHeartbeat,
  fence,
  killClient,
  rawClient,
  redisForTest,
  redisProxy,
  startNode,
  startNodes,
  type TestNode,
} from './helpers.js'

/** The error a call settles with, within `bound` ms (a call that hangs fails the test). */
async function failure(call: () => Promise<unknown>, bound = 1_000): Promise<unknown> {
  return withTimeout(
    call().then(
      (value) => ({ resolved: value }),
      (error: unknown) => error,
    ),
    bound,
    'a cluster call to settle',
  )
}

function codeOf(error: unknown): string | undefined {
  return SocketError.isSocketError(error) ? error.code : undefined
}

test('Redis killed and restarted under traffic: calls fail fast, local delivery goes on, nodes recover by themselves', async () => {
  const redis = await redisForTest()
  const nodes = await startNodes(redis.url, 3)
  const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
  const a1 = await a.node.addSession()
  const b1 = await b.node.addSession()
  const b2 = await b.node.addSession()
  const c1 = await c.node.addSession()
  await a.node.join(a1.sessionId, 'room')
  await b.node.join(b1.sessionId, 'room')

  // Traffic: b publishes to every session until told to stop, counting what succeeds and what fails fast.
  const traffic = { sent: 0, unavailable: 0, other: [] as unknown[], stop: false }
  const pump = (async () => {
    for (let round = 0; round < 20_000 && !traffic.stop; round++) {
      try {
        await b.adapter.publish(bytes(`t${round}`))
        traffic.sent++
      } catch (error) {
        if (codeOf(error) === 'ERR_CLUSTER_UNAVAILABLE') traffic.unavailable++
        else traffic.other.push(error)
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
  })()
  await c.node.waitUntil(() => c.node.texts(c1.sessionId).length >= 5, 5_000, 'traffic before the kill')

  const down = nodes.map(({ adapter }) => waitFor(adapter, 'unavailable', 5_000))
  await redis.kill()
  await Promise.all(down)
  for (const { adapter } of nodes) expect(adapter.getStats().connected).toBe(false)

  // While Redis is down: every cluster call rejects at once with ERR_CLUSTER_UNAVAILABLE...
  expect(codeOf(await failure(() => a.adapter.publish(bytes('x'))))).toBe('ERR_CLUSTER_UNAVAILABLE')
  expect(codeOf(await failure(() => a.adapter.publish(bytes('x'), { group: 'room' })))).toBe('ERR_CLUSTER_UNAVAILABLE')
  expect(codeOf(await failure(() => a.adapter.sendTo(c1.sessionId, bytes('x'))))).toBe('ERR_CLUSTER_UNAVAILABLE')
  expect(codeOf(await failure(() => a.adapter.countSessions()))).toBe('ERR_CLUSTER_UNAVAILABLE')
  expect(codeOf(await failure(() => a.adapter.nodes()))).toBe('ERR_CLUSTER_UNAVAILABLE')
  // ...local sessions are still served...
  expect(await a.adapter.sendTo(a1.sessionId, bytes('local while down'))).toBe(true)
  expect(a.node.texts(a1.sessionId)).toContain('local while down')
  // ...and membership changes made meanwhile are kept locally, to be put in force on reconnect.
  const late = await c.node.addSession()
  expect(late.registered).toBe(false)
  expect(codeOf(await failure(() => c.node.join(c1.sessionId, 'room')))).toBe('ERR_CLUSTER_UNAVAILABLE')
  await b.node.close(b2.sessionId)
  await b.node.leave(b1.sessionId, 'room').catch(() => {})
  const unavailableCalls = a.adapter.getStats().unavailable
  expect(unavailableCalls).toBeGreaterThanOrEqual(5)

  // Redis comes back empty (no persistence): every node re-subscribes and re-registers everything by itself.
  const up = nodes.map(({ adapter }) => waitFor(adapter, 'available', 10_000))
  await redis.restart()
  await Promise.all(up)
  traffic.stop = true
  await pump
  expect(traffic.other).toEqual([])
  expect(traffic.unavailable).toBeGreaterThan(0)
  for (const { adapter } of nodes) expect(adapter.getStats()).toMatchObject({ connected: true, reconnects: 1 })

  expect(await a.adapter.countSessions()).toBe(4) // a1, b1, c1, late (b2 closed while down)
  expect(await a.adapter.countSessions({ group: 'room' })).toBe(2) // a1 and c1 (b1 left while down)
  expect((await b.adapter.nodes()).map((info) => [info.name, info.sessions])).toEqual([
    ['a', 1],
    ['b', 1],
    ['c', 2],
  ])
  await b.adapter.publish(bytes('after'), { group: 'room' })
  expect(await b.adapter.sendTo(late.sessionId, bytes('direct after'))).toBe(true)
  await fence(rawClient(redis.url), nodes)
  expect(a.node.texts(a1.sessionId)).toContain('after')
  expect(c.node.texts(c1.sessionId)).toContain('after')
  expect(b.node.texts(b1.sessionId)).not.toContain('after')
  expect(c.node.texts(late.sessionId)).toContain('direct after')
})

test('a heartbeat and a call in flight when the connection drops fail at once; the heartbeat goes on after the reconnect', async () => {
  const redis = await redisForTest()
  const raw = rawClient(redis.url)
  // A command timeout far beyond the test's bounds: nothing here may wait for it.
  const a = await startNode(redis.url, 'a', { commandTimeout: 60_000 })
  const commandName = `socketlite:${a.adapter.nodeId}:command`
  // Redis holds every write (PUBLISH, the heartbeat script) unanswered until unpaused, as a Redis that dies with
  // them on the wire would: wait until a heartbeat is held, then send a publish behind it and drop the connection.
  await raw.call('CLIENT', 'PAUSE', 20_000, 'WRITE')
  onTestFinished(async () => {
    await raw.call('CLIENT', 'UNPAUSE').catch(() => {})
  })
  await eventually(
    async () => (await clientInfo(raw, commandName))?.flags?.includes('b') === true,
    5_000,
    'a heartbeat held by the pause',
  )
  const inFlight = failure(() => a.adapter.publish(bytes('in flight')), 2_000)
  const down = waitFor(a.adapter, 'unavailable', 5_000)
  await killClient(raw, commandName)
  await down
  expect(codeOf(await inFlight)).toBe('ERR_CLUSTER_UNAVAILABLE')

  const up = waitFor(a.adapter, 'available', 5_000)
  await raw.call('CLIENT', 'UNPAUSE')
  await up
  // The heartbeat that was held must not hold the next ones back: the node renews its entry again and again.
  const renewed = async (): Promise<number> => Number(await raw.zscore('{socketlite}:nodes', a.adapter.nodeId))
  const registered = await renewed()
  await eventually(async () => (await renewed()) > registered, 5_000, 'a heartbeat after the reconnect')
  expect((await a.adapter.nodes()).map((info) => info.name)).toEqual(['a'])
})

test('a connection that comes back while the other one is dead but not yet noticed: available once, when both carry traffic', async () => {
  const redis = await redisForTest()
  const raw = rawClient(redis.url)
  const proxy = await redisProxy(redis.port)
  const a = await startNode(proxy.url, 'a')
  const b = await startNode(redis.url, 'b')
  const a1 = await a.node.addSession()
  await a.node.join(a1.sessionId, 'room')
  const events: string[] = []
  a.adapter.on('unavailable', () => events.push('unavailable'))
  a.adapter.on('available', () => events.push('available'))

  // a's subscriber connection dies without a's noticing (frozen), and its command connection drops and comes back.
  const subscriberLink = await proxy.linkOf(raw, `socketlite:${a.adapter.nodeId}:subscriber`)
  const commandLink = await proxy.linkOf(raw, `socketlite:${a.adapter.nodeId}:command`)
  const probed = new Promise<string>((resolve) => subscriberLink.freeze(() => resolve('the subscriber probed')))
  const down = waitFor(a.adapter, 'unavailable', 5_000)
  commandLink.cut()
  await down
  // a must not take the frozen connection's word for it: it makes a round trip on it before it says `available`.
  const first = await withTimeout(
    Promise.race([probed, waitFor(a.adapter, 'available', 10_000).then(() => 'available')]),
    10_000,
    'a to re-register',
  )
  expect(first).toBe('the subscriber probed')
  expect(events).toEqual(['unavailable'])

  // Its loss is noticed now: a reconnects it, re-registers, and says `available` once for the whole outage.
  const up = waitFor(a.adapter, 'available', 10_000)
  subscriberLink.cut()
  await up
  expect(events).toEqual(['unavailable', 'available'])
  expect(a.adapter.getStats()).toMatchObject({ connected: true, reconnects: 1 })
  await b.adapter.publish(bytes('after'), { group: 'room' })
  await a.node.waitUntil(() => a.node.texts(a1.sessionId).includes('after'), 5_000, 'the group message')
  expect(await b.adapter.countSessions({ group: 'room' })).toBe(1)
})

test('a re-registration that fails while connected is tried again by the heartbeat', async () => {
  const redis = await redisForTest()
  const raw = rawClient(redis.url)
  const warned = deferred()
  const logger = {
    isLevelEnabled: () => true,
    debug() {},
    info() {},
    warn(message: string) {
      if (message.includes('re-registering with Redis failed')) warned.resolve()
    },
    error() {},
  }
  const node = new FakeClusterNode({ name: 'a', logger })
  const adapter = new RedisAdapter({ url: redis.url, ...fastHeartbeat, commandTimeout: 2_000 })
  await node.start(adapter)
  onTestFinished(() => node.stop())
  const b = await startNode(redis.url, 'b')
  const a1 = await node.addSession()
  await node.join(a1.sessionId, 'room')

  // Redis loses everything (as a restart would) and then holds every write for a while: the re-registration after
  // a's subscriber reconnects times out on its heartbeat.
  await raw.multi().flushall().call('CLIENT', 'PAUSE', 20_000, 'WRITE').exec()
  onTestFinished(async () => {
    await raw.call('CLIENT', 'UNPAUSE').catch(() => {})
  })
  const up = waitFor(adapter, 'available', 15_000)
  await killClient(raw, `socketlite:${adapter.nodeId}:subscriber`)
  await withTimeout(warned.promise, 10_000, 'the re-registration to fail')
  // Redis answers again: a, still connected, registers itself by itself.
  await raw.call('CLIENT', 'UNPAUSE')
  await up
  expect(await b.adapter.countSessions()).toBe(1)
  expect(await b.adapter.countSessions({ group: 'room' })).toBe(1)
  expect(await b.adapter.sendTo(a1.sessionId, bytes('found'))).toBe(true)
  await b.adapter.publish(bytes('to the room'), { group: 'room' })
  await node.waitUntil(() => node.texts(a1.sessionId).includes('to the room'), 5_000, 'the group message')
  expect(node.texts(a1.sessionId)).toEqual(['found', 'to the room'])
})

test('a node whose subscription connection drops while others publish counts exactly the messages it missed', async () => {
  const redis = await redisForTest()
  const raw = rawClient(redis.url)
  const [a, b] = (await startNodes(redis.url, 2)) as [TestNode, TestNode]
  const a1 = await a.node.addSession()
  await a.node.join(a1.sessionId, 'room')
  await b.adapter.publish(bytes('before'))
  await b.adapter.publish(bytes('before-room'), { group: 'room' })
  await a.node.waitUntil(() => a.node.texts(a1.sessionId).length === 2)

  const down = waitFor(a.adapter, 'unavailable', 5_000)
  const up = waitFor(a.adapter, 'available', 10_000)
  await killClient(raw, `socketlite:${a.adapter.nodeId}:subscriber`)
  await down
  // b is still connected: what it publishes now cannot reach a.
  for (let index = 0; index < 7; index++) await b.adapter.publish(bytes(`gap${index}`))
  for (let index = 0; index < 3; index++) await b.adapter.publish(bytes(`gap-room${index}`), { group: 'room' })
  await up
  await b.adapter.publish(bytes('after'))
  await b.adapter.publish(bytes('after-room'), { group: 'room' })
  await a.node.waitUntil(() => a.node.texts(a1.sessionId).includes('after-room'))
  expect(a.node.texts(a1.sessionId)).toEqual(['before', 'before-room', 'after', 'after-room'])
  expect(a.adapter.getStats()).toMatchObject({ missed: 10, reconnects: 1 })
  expect(b.adapter.getStats().missed).toBe(0)
  expect(a.node.logLines.some((line) => line.message.includes('missed cluster messages'))).toBe(true)
})

test('a node taken for dead (heartbeat expired, entries removed by another node) registers itself again', async () => {
  const redis = await redisForTest()
  const raw = rawClient(redis.url)
  const [a, b] = (await startNodes(redis.url, 2)) as [TestNode, TestNode]
  const a1 = await a.node.addSession()
  await a.node.join(a1.sessionId, 'room')
  expect(await b.adapter.countSessions()).toBe(1)
  // What another node does when a's heartbeat has expired (as after a long pause): remove a's entries. Done here
  // atomically (expire + remove in one MULTI) so that a's own heartbeat cannot come in between.
  const back = waitFor(a.adapter, 'available', 5_000)
  const prefix = '{socketlite}'
  const groups = await raw.hkeys(`${prefix}:node:${a.adapter.nodeId}:groups`)
  const keys = [
    `${prefix}:nodes`,
    `${prefix}:info`,
    `${prefix}:sessions`,
    `${prefix}:node:${a.adapter.nodeId}:sessions`,
    `${prefix}:node:${a.adapter.nodeId}:groups`,
    ...groups.map((group) => `${prefix}:group:${group}`),
  ]
  const replies = await raw
    .multi()
    .zadd(`${prefix}:nodes`, 0, a.adapter.nodeId)
    .eval(removeNodeScript, keys.length, ...keys, a.adapter.nodeId, '')
    .exec()
  expect(replies?.[1]?.[1]).toBe(1) // removed (what b would now see until a is back: no session, no member)
  // a notices on its next heartbeat and registers everything again.
  await back
  expect(a.node.logLines.some((line) => line.message.includes('taken for dead'))).toBe(true)
  expect(await b.adapter.sendTo(a1.sessionId, bytes('found again'))).toBe(true)
  await a.node.waitUntil(() => a.node.texts(a1.sessionId).includes('found again'))
  expect(await b.adapter.countSessions({ group: 'room' })).toBe(1)
  expect((await b.adapter.nodes()).map((info) => info.name)).toEqual(['a', 'b'])
})
