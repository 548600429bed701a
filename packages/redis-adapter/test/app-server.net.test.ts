import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { AppServer, ClusterUnavailableError, silentLogFactory } from '@socketlite/app-server'
import { connectLineClient, type LineClient } from '@socketlite/testing'
import { expect, onTestFinished, test } from 'vitest'
import { RedisAdapter } from '../src/index.js'
import { fastHeartbeat, redisForTest } from './helpers.js'
import { NodeProcess } from './node-process.js'

// AppServers joined by RedisAdapters, seen from their clients over loopback: what an application gets.

const appNode = fileURLToPath(new URL('./fixtures/app-node.ts', import.meta.url))

interface AppNode {
  readonly process: NodeProcess
  readonly port: number
}

async function startAppNodes(url: string, names: string[]): Promise<AppNode[]> {
  const nodes = await Promise.all(
    names.map(async (name) => {
      const process = await NodeProcess.startFixture(appNode, [url, name, JSON.stringify(fastHeartbeat)], name)
      onTestFinished(() => process.kill())
      return { process, port: Number(process.readyArgs[0]) }
    }),
  )
  return nodes
}

interface Client extends LineClient {
  readonly id: string
}

async function client(port: number): Promise<Client> {
  const line = await connectLineClient(port)
  const reply = await line.ask('ID')
  if (reply === undefined || !reply.startsWith('ID ')) throw new Error(`no id: ${reply}`)
  return Object.assign(line, { id: reply.slice(3) })
}

/** The lines `client` got before `marker` (at most 1,000, each within 5 s). */
async function linesUntil(client: LineClient, marker: string): Promise<string[]> {
  const lines: string[] = []
  for (let count = 0; count < 1_000; count++) {
    const line = await client.next(5_000)
    if (line === undefined) throw new Error('connection ended')
    if (line === marker) return lines.sort()
    lines.push(line)
  }
  throw new Error(`no ${marker}`)
}

interface Stats {
  cluster: { received: number; missed: number; connected: boolean }
}

test('three AppServer processes: publish to all and to a group once per member, sendTo across nodes, counts and nodes service-wide', async () => {
  const redis = await redisForTest()
  const [a, b, c] = (await startAppNodes(redis.url, ['a', 'b', 'c'])) as [AppNode, AppNode, AppNode]
  const [a1, a2, b1, c1, c2, c3] = await Promise.all(
    [a, a, b, c, c, c].map((node) => client(node.port)) as Promise<Client>[],
  )
  if (a1 === undefined || a2 === undefined || b1 === undefined || c1 === undefined || c2 === undefined || !c3)
    throw new Error('clients')
  expect(await a1.ask('JOIN room')).toBe('JOINED room')
  expect(await b1.ask('JOIN room')).toBe('JOINED room')
  const before = await Promise.all([a, b, c].map((node) => node.process.call<Stats>('stats')))

  await c.process.call('publish', 'all-from-c\r\n')
  await c.process.call('publish', 'room-from-c\r\n', 'room')
  await a.process.call('publish', 'room-from-a\r\n', 'room')
  expect(await a.process.call('sendTo', c2.id.toUpperCase(), 'direct\r\n')).toBe(true)
  expect(await a.process.call('sendTo', 'nobody', 'lost\r\n')).toBe(false)
  // Redis hands each subscriber its messages in publish order: once a client has the fence, it has all the above.
  await b.process.call('publish', 'FENCE\r\n')

  expect(await linesUntil(a1, 'FENCE')).toEqual(['all-from-c', 'room-from-a', 'room-from-c'])
  expect(await linesUntil(a2, 'FENCE')).toEqual(['all-from-c'])
  expect(await linesUntil(b1, 'FENCE')).toEqual(['all-from-c', 'room-from-a', 'room-from-c'])
  expect(await linesUntil(c1, 'FENCE')).toEqual(['all-from-c'])
  expect(await linesUntil(c2, 'FENCE')).toEqual(['all-from-c', 'direct'])
  expect(await linesUntil(c3, 'FENCE')).toEqual(['all-from-c'])

  // What each process received from Redis: c (no member of room) none of the group messages, a and b nothing of the
  // direct message. a: all + 2 room (one its own echo) + fence; b: the same; c: all (its own echo), direct, fence.
  const after = await Promise.all([a, b, c].map((node) => node.process.call<Stats>('stats')))
  expect(after.map((stats, index) => stats.cluster.received - (before[index]?.cluster.received ?? 0))).toEqual([
    4, 4, 3,
  ])
  expect(after.map((stats) => stats.cluster.missed)).toEqual([0, 0, 0])

  expect(await b.process.call('countSessions')).toBe(6)
  expect(await b.process.call('countSessions', 'room')).toBe(2)
  const infos = await c.process.call<{ nodeId: string; name: string; sessions: number }[]>('nodes')
  expect(
    infos.map(({ nodeId, name, sessions }) => ({ nodeId, name, sessions })).sort((x, y) => (x.name < y.name ? -1 : 1)),
  ).toEqual([
    { nodeId: a.process.nodeId, name: 'a', sessions: 2 },
    { nodeId: b.process.nodeId, name: 'b', sessions: 1 },
    { nodeId: c.process.nodeId, name: 'c', sessions: 3 },
  ])

  // A client that leaves takes its membership with it, service-wide; a server that stops takes its node.
  a1.socket.destroy()
  // a learns of the close, then its adapter applies the leave: ask b until it sees it (each ask a round trip).
  let inRoom = 2
  for (let round = 0; round < 500 && inRoom !== 1; round++) inRoom = await b.process.call('countSessions', 'room')
  expect(inRoom).toBe(1)
  await b.process.stop()
  expect(await a.process.call('countSessions')).toBe(4)
  expect(await a.process.call('countSessions', 'room')).toBe(0)
  expect((await a.process.call<{ name: string }[]>('nodes')).map((info) => info.name).sort()).toEqual(['a', 'c'])
})

test('an AppServer process killed with SIGKILL drops out of nodes(), countSessions and sendTo in bounded time', async () => {
  const redis = await redisForTest()
  const [a, b, c] = (await startAppNodes(redis.url, ['a', 'b', 'c'])) as [AppNode, AppNode, AppNode]
  await client(a.port)
  const c1 = await client(c.port)
  expect(await c1.ask('JOIN room')).toBe('JOINED room')
  expect(await a.process.call('countSessions')).toBe(2)
  expect(await a.process.call('sendTo', c1.id, 'hi\r\n')).toBe(true)
  expect(await c1.next()).toBe('hi')

  const killedAt = Date.now()
  await c.process.kill()
  const removedBy = await Promise.race(
    [a, b].map((node) =>
      node.process.waitEvent(
        (event, args) => event === 'nodeRemoved' && args[0] === c.process.nodeId,
        10_000,
        'nodeRemoved',
      ),
    ),
  )
  expect(removedBy.args).toEqual([c.process.nodeId])
  // nodeTimeout 1000 ms + up to one heartbeat (200 ms) for the removal; generous for a busy machine.
  expect(Date.now() - killedAt).toBeLessThan(fastHeartbeat.nodeTimeout + 3_000)
  expect((await b.process.call<{ name: string }[]>('nodes')).map((info) => info.name).sort()).toEqual(['a', 'b'])
  expect(await b.process.call('countSessions')).toBe(1)
  expect(await b.process.call('countSessions', 'room')).toBe(0)
  expect(await a.process.call('sendTo', c1.id, 'anyone?\r\n')).toBe(false)
})

test('AppServers in one process: Redis down — local sessions keep working, cluster calls fail fast, all back by itself', async () => {
  const redis = await redisForTest()
  const adapters = [
    new RedisAdapter({ url: redis.url, ...fastHeartbeat }),
    new RedisAdapter({ url: redis.url, ...fastHeartbeat }),
  ]
  const servers = adapters.map((adapter, index) => {
    const server = new AppServer({
      config: { name: `n${index}`, ip: '127.0.0.1', port: 0 },
      adapter,
      logFactory: silentLogFactory,
    })
    server.command('ID', (session) => {
      session.trySend(`ID ${session.sessionId}\r\n`)
    })
    server.command('JOIN', async (session, request) => {
      try {
        await session.join(request.body)
        session.trySend(`JOINED ${request.body}\r\n`)
      } catch (error) {
        session.trySend(`FAILED ${(error as { code?: string }).code}\r\n`)
      }
    })
    onTestFinished(() => server.stop())
    return server
  }) as [AppServer, AppServer]
  const ports = await Promise.all(servers.map(async (server) => (await server.start())[0]?.port ?? 0))
  const [x, y] = await Promise.all(ports.map((port) => client(port)))
  if (x === undefined || y === undefined) throw new Error('clients')
  expect(await x.ask('JOIN room')).toBe('JOINED room')

  const lost = Promise.all(
    adapters.map((adapter) => once(adapter, 'unavailable', { signal: AbortSignal.timeout(10_000) })),
  )
  await redis.kill()
  await lost
  const [one, two] = servers
  const failedAt = Date.now()
  await expect(one.publish('x\r\n')).rejects.toBeInstanceOf(ClusterUnavailableError)
  await expect(one.sendTo(y.id, 'x\r\n')).rejects.toMatchObject({ code: 'ERR_CLUSTER_UNAVAILABLE' })
  await expect(two.countSessions()).rejects.toBeInstanceOf(ClusterUnavailableError)
  await expect(two.nodes()).rejects.toBeInstanceOf(ClusterUnavailableError)
  expect(Date.now() - failedAt).toBeLessThan(1_000) // fast, not after a command timeout
  expect(await y.ask('JOIN lobby')).toBe('FAILED ERR_CLUSTER_UNAVAILABLE') // the membership stays, in force later
  expect(await x.ask('ID')).toBe(`ID ${x.id}`) // local sessions keep working
  expect(await one.sendTo(x.id, 'local\r\n')).toBe(true)
  expect(await x.next()).toBe('local')
  expect(one.getStats().cluster).toMatchObject({ connected: false })
  expect(one.getStats().cluster.unavailable).toBeGreaterThan(0)

  const back = Promise.all(
    adapters.map((adapter) => once(adapter, 'available', { signal: AbortSignal.timeout(15_000) })),
  )
  await redis.restart()
  await back
  expect(await two.countSessions()).toBe(2)
  expect(await two.countSessions({ group: 'lobby' })).toBe(1)
  await two.publish('back\r\n', { group: 'room' })
  expect(await x.next(5_000)).toBe('back')
  await one.publish('lobby\r\n', { group: 'lobby' })
  expect(await y.next(5_000)).toBe('lobby')
  expect(one.getStats().cluster).toMatchObject({ connected: true, reconnects: 1 })
})

test('start() rejects with ClusterUnavailableError when Redis cannot be reached, binding nothing', async () => {
  const redis = await redisForTest()
  await redis.kill()
  const server = new AppServer({
    config: { ip: '127.0.0.1', port: 0 },
    adapter: new RedisAdapter({ url: redis.url, connectTimeout: 500 }),
    logFactory: silentLogFactory,
  })
  await expect(server.start()).rejects.toBeInstanceOf(ClusterUnavailableError)
  expect(server.endpoints).toEqual([])
})
