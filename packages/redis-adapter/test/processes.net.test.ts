import { expect, onTestFinished, test } from 'vitest'
import { encodeMessage, MessageKind } from '../src/wire.js'
import { bytes, fastHeartbeat, rawClient, redisForTest } from './helpers.js'
import { type ChildCallError, NodeProcess } from './node-process.js'

// Nodes in separate processes, as in production: each child runs a RedisAdapter with a fake local node.

interface Stats {
  received: number
  published: number
  missed: number
  reconnects: number
  connected: boolean
  calls: { session: number; group: number; all: number }
}

async function startProcesses(url: string, names: string[]): Promise<NodeProcess[]> {
  const nodes = await Promise.all(names.map((name) => NodeProcess.start(url, name, fastHeartbeat)))
  onTestFinished(() => Promise.all(nodes.map((node) => node.kill())).then(() => undefined))
  return nodes
}

let fences = 0

/** A fence published by the test itself (a publisher that is no node): every node has read what came before. */
async function fence(raw: ReturnType<typeof rawClient>, nodes: NodeProcess[]): Promise<void> {
  const label = `fence-${++fences}`
  await raw.publish('socketlite:all', encodeMessage(MessageKind.All, label, 1, 1, '', bytes(label)))
  await Promise.all(nodes.map((node) => node.call('waitDelivery', label)))
}

async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call
    return undefined
  } catch (error) {
    return (error as ChildCallError).code
  }
}

test('three node processes: publish to all and to a group exactly once per member, sendTo to the one node, counts service-wide', async () => {
  const redis = await redisForTest()
  const raw = rawClient(redis.url)
  const [a, b, c] = (await startProcesses(redis.url, ['a', 'b', 'c'])) as [NodeProcess, NodeProcess, NodeProcess]
  for (const [node, ids] of [
    [a, ['a1', 'a2']],
    [b, ['b1']],
    [c, ['c1', 'c2', 'c3']],
  ] as const)
    for (const id of ids) expect(await node.call('addSession', id)).toBe(true)
  await a.call('join', 'a1', 'room')
  await b.call('join', 'b1', 'room')
  const before = await Promise.all([a, b, c].map((node) => node.call<Stats>('stats')))

  await c.call('publish', 'all-from-c')
  await c.call('publish', 'room-from-c', 'room')
  await a.call('publish', 'room-from-a', 'room')
  expect(await a.call('sendTo', 'c2', 'direct')).toBe(true)
  expect(await a.call('sendTo', 'nobody', 'lost')).toBe(false)
  await fence(raw, [a, b, c])

  const texts = async (node: NodeProcess, id: string) =>
    (await node.call<string[]>('texts', id)).filter((text) => !text.startsWith('fence')).sort()
  expect(await texts(a, 'a1')).toEqual(['all-from-c', 'room-from-a', 'room-from-c'])
  expect(await texts(a, 'a2')).toEqual(['all-from-c'])
  expect(await texts(b, 'b1')).toEqual(['all-from-c', 'room-from-a', 'room-from-c'])
  expect(await texts(c, 'c1')).toEqual(['all-from-c'])
  expect(await texts(c, 'c2')).toEqual(['all-from-c', 'direct'])

  // What each process received from Redis: c (no member of room) none of the group messages, a and b nothing of
  // the direct message. a: all + 2 room (one its own echo) + fence; b: all + 2 room + fence; c: all (own echo),
  // direct, fence.
  const after = await Promise.all([a, b, c].map((node) => node.call<Stats>('stats')))
  expect(after.map((stats, index) => stats.received - (before[index]?.received ?? 0))).toEqual([4, 4, 3])
  expect(after.map((stats) => stats.missed)).toEqual([0, 0, 0])

  expect(await b.call('countSessions')).toBe(6)
  expect(await b.call('countSessions', 'room')).toBe(2)
  const infos = await c.call<{ nodeId: string; name: string; sessions: number; startedTime: string }[]>('nodes')
  const byName = [...infos].sort((x, y) => (x.name < y.name ? -1 : 1))
  expect(byName.map(({ nodeId, name, sessions }) => ({ nodeId, name, sessions }))).toEqual([
    { nodeId: a.nodeId, name: 'a', sessions: 2 },
    { nodeId: b.nodeId, name: 'b', sessions: 1 },
    { nodeId: c.nodeId, name: 'c', sessions: 3 },
  ])

  // A node leaving gracefully is gone at once.
  await b.stop()
  expect(await a.call('countSessions')).toBe(5)
  expect(await a.call('countSessions', 'room')).toBe(1)
  expect((await a.call<{ name: string }[]>('nodes')).map((info) => info.name).sort()).toEqual(['a', 'c'])
})

test('a node process killed with SIGKILL drops out of nodes(), countSessions and sendTo within the node timeout', async () => {
  const redis = await redisForTest()
  const [a, b, c] = (await startProcesses(redis.url, ['a', 'b', 'c'])) as [NodeProcess, NodeProcess, NodeProcess]
  await a.call('addSession', 'a1')
  await c.call('addSession', 'c1')
  await c.call('addSession', 'c2')
  await c.call('join', 'c1', 'room')
  expect(await a.call('countSessions')).toBe(3)
  expect(await a.call('sendTo', 'c1', 'hi')).toBe(true)

  const killedAt = Date.now()
  await c.kill()
  // One survivor notices the expired heartbeat and removes c's entries.
  const removedBy = await Promise.race(
    [a, b].map((node) =>
      node.waitEvent((event, args) => event === 'nodeRemoved' && args[0] === c.nodeId, 10_000, 'nodeRemoved'),
    ),
  )
  const elapsed = Date.now() - killedAt
  expect(removedBy.args).toEqual([c.nodeId])
  // nodeTimeout 1000 ms + up to one heartbeat (200 ms) for the removal; generous for a busy machine.
  expect(elapsed).toBeLessThan(fastHeartbeat.nodeTimeout + 3_000)
  expect((await b.call<{ name: string }[]>('nodes')).map((info) => info.name).sort()).toEqual(['a', 'b'])
  expect(await b.call('countSessions')).toBe(1)
  expect(await b.call('countSessions', 'room')).toBe(0)
  expect(await a.call('sendTo', 'c1', 'anyone?')).toBe(false)
  // Nodes join at any time without restarting the others.
  const d = await NodeProcess.start(redis.url, 'd', fastHeartbeat)
  onTestFinished(() => d.kill())
  await d.call('addSession', 'd1')
  expect(await a.call('sendTo', 'd1', 'welcome')).toBe(true)
  expect((await a.call<{ name: string }[]>('nodes')).map((info) => info.name).sort()).toEqual(['a', 'b', 'd'])
})

test('Redis killed and restarted under traffic between processes: fail fast, local delivery, recovery by themselves', async () => {
  const redis = await redisForTest()
  const [a, b] = (await startProcesses(redis.url, ['a', 'b'])) as [NodeProcess, NodeProcess]
  await a.call('addSession', 'a1')
  await b.call('addSession', 'b1')
  await a.call('join', 'a1', 'room')
  await b.call('startPump', 'room') // b publishes to room as fast as it can, a receives
  await a.call('waitDelivery', 'pump10')

  await redis.kill()
  await Promise.all([a, b].map((node) => node.waitEvent((event) => event === 'unavailable', 10_000)))
  expect(await codeOf(a.call('publish', 'x'))).toBe('ERR_CLUSTER_UNAVAILABLE')
  expect(await codeOf(a.call('sendTo', 'b1', 'x'))).toBe('ERR_CLUSTER_UNAVAILABLE')
  expect(await codeOf(a.call('countSessions'))).toBe('ERR_CLUSTER_UNAVAILABLE')
  expect(await a.call('sendTo', 'a1', 'local')).toBe(true)
  expect(await a.call('texts', 'a1')).toContain('local')

  await redis.restart()
  await Promise.all([a, b].map((node) => node.waitEvent((event) => event === 'available', 15_000)))
  const pumped = await b.call<{ sent: number; unavailable: number; other: string[] }>('stopPump')
  expect(pumped.other).toEqual([])
  expect(pumped.unavailable).toBeGreaterThan(0)
  expect(pumped.sent).toBeGreaterThan(10)
  expect(await a.call('countSessions')).toBe(2)
  expect(await a.call('countSessions', 'room')).toBe(1)
  await b.call('publish', 'back', 'room')
  await a.call('waitDelivery', 'back')
  const stats = await a.call<Stats>('stats')
  expect(stats).toMatchObject({ connected: true, reconnects: 1 })
})
