import { describe, expect, test } from 'vitest'
import {
  AppServer,
  type AppSession,
  type ClusterAdapter,
  type ClusterLocalNode,
  type ClusterStats,
  ClusterUnavailableError,
  InProcessAdapter,
  InvalidArgumentError,
  type NodeInfo,
  ServerState,
  SessionClosedError,
  silentLogFactory,
} from '../src/index.js'
import { connect, LineReader, next, startServer } from './helpers.js'

// The cluster calls of AppServer and AppSession with the in-process adapter (the default) and with adapters written
// here: the wiring the contract prescribes (start before accepting, register, leave on close, stop after the
// sessions), over real sockets. Redis-backed services are tested in @socketlite/redis-adapter.

/** A server whose sessions answer `JOIN g`, `LEAVE g`, `ID`, `GROUPS`; its sessions by client. */
async function chatServer(options: { adapter?: ClusterAdapter } = {}) {
  const started = await startServer(options, (server) => {
    server.command('JOIN', async (session, request) => {
      await session.join(request.body)
      session.trySend(`joined ${request.body}\r\n`)
    })
    server.command('LEAVE', async (session, request) => {
      await session.leave(request.body)
      session.trySend(`left ${request.body}\r\n`)
    })
    server.command('ID', (session) => {
      session.trySend(`${session.sessionId}\r\n`)
    })
  })
  return started
}

async function client(port: number): Promise<{ lines: LineReader; write(text: string): void; id: string }> {
  const socket = await connect(port)
  const lines = new LineReader(socket)
  socket.write('ID\r\n')
  const id = await lines.next()
  return { lines, write: (text) => socket.write(text), id }
}

describe('with the in-process adapter (the default)', () => {
  test('publish to all and to a group reaches each member once; non-members see nothing', async () => {
    const { server, port } = await chatServer()
    const [a, b, c] = await Promise.all([client(port), client(port), client(port)])
    a.write('JOIN room\r\n')
    b.write('JOIN room\r\nJOIN room\r\n') // twice is one membership
    expect(await a.lines.next()).toBe('joined room')
    expect(await b.lines.take(2)).toEqual(['joined room', 'joined room'])
    await server.publish('to room\r\n', { group: 'room' })
    await server.publish(new TextEncoder().encode('to all\r\n'))
    await server.publish('to nobody\r\n', { group: 'empty' })
    expect(await a.lines.take(2)).toEqual(['to room', 'to all'])
    expect(await b.lines.take(2)).toEqual(['to room', 'to all'])
    expect(await c.lines.next()).toBe('to all')
    expect(server.getSessionById(b.id)?.groups).toEqual(new Set(['room']))
    expect(await server.countSessions()).toBe(3)
    expect(await server.countSessions({ group: 'room' })).toBe(2)
    expect(await server.countSessions({ group: 'empty' })).toBe(0)
    const stats = server.getStats()
    expect(stats.cluster).toMatchObject({ connected: true, published: 3, missed: 0, unavailable: 0 })
    expect(stats.trySendRefused).toBe(0)

    b.write('LEAVE room\r\n')
    expect(await b.lines.next()).toBe('left room')
    await server.publish('again\r\n', { group: 'room' })
    expect(await a.lines.next()).toBe('again')
    expect(await server.countSessions({ group: 'room' })).toBe(1)
    expect(b.lines.pending).toEqual([])
    expect(c.lines.pending).toEqual([])
  })

  test('a local member gets a publish before the promise settles; the caller may reuse its buffer', async () => {
    const { server, port } = await chatServer()
    const a = await client(port)
    const session = server.getSessionById(a.id) as AppSession
    const bytesOut = server.getStats().bytesOut
    const buffer = new TextEncoder().encode('first\r\n')
    const pending = server.publish(buffer)
    expect(server.getStats().bytesOut).toBe(bytesOut + buffer.length)
    buffer.set(new TextEncoder().encode('XXXXX'))
    await pending
    expect(await a.lines.next()).toBe('first')
    expect(session.groups.size).toBe(0)
  })

  test('sendTo: true for a session (any case of its id), false for none', async () => {
    const { server, port } = await chatServer()
    const a = await client(port)
    expect(await server.sendTo(a.id.toUpperCase(), 'direct\r\n')).toBe(true)
    expect(await a.lines.next()).toBe('direct')
    expect(await server.sendTo('nobody', 'lost\r\n')).toBe(false)
    expect(await server.sendTo('', 'lost\r\n')).toBe(false)
    await expect(server.sendTo(42 as unknown as string, 'x')).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  test('nodes(): this process, with its name, session count and start time', async () => {
    const { server, port } = await startServer({ config: { name: 'solo' } })
    const connected = next(server, 'newSessionConnected')
    await connect(port)
    await connected
    const before = Date.now()
    const nodes: NodeInfo[] = await server.nodes()
    expect(nodes).toHaveLength(1)
    expect(nodes[0]).toMatchObject({ name: 'solo', sessions: 1 })
    expect(nodes[0]?.startedTime).toBeInstanceOf(Date)
    expect(nodes[0]?.startedTime.getTime()).toBeLessThanOrEqual(before)
  })

  test('a session leaves every group when it closes; a closed session cannot join', async () => {
    const { server, port } = await chatServer()
    const a = await client(port)
    a.write('JOIN x\r\nJOIN y\r\n')
    await a.lines.take(2)
    const session = server.getSessionById(a.id) as AppSession
    expect(session.groups).toEqual(new Set(['x', 'y']))
    const closed = next(server, 'sessionClosed')
    await session.close()
    await closed
    expect(session.groups.size).toBe(0)
    expect(await server.countSessions({ group: 'x' })).toBe(0)
    await expect(session.join('z')).rejects.toBeInstanceOf(SessionClosedError)
    expect(await server.countSessions({ group: 'z' })).toBe(0)
  })

  test('bad group names reject with InvalidArgumentError, nothing changes', async () => {
    const { server, port } = await chatServer()
    const a = await client(port)
    const session = server.getSessionById(a.id) as AppSession
    await expect(session.join('')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(session.join(7 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(session.leave('')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(server.publish('x', { group: '' })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(server.publish(5 as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(session.groups.size).toBe(0)
    await session.leave('never-joined') // a no-op
  })

  test('several servers in one process are separate services, each with its own adapter', async () => {
    const one = await chatServer()
    const two = await chatServer()
    const a = await client(one.port)
    const b = await client(two.port)
    await one.server.publish('one\r\n')
    await two.server.publish('two\r\n')
    expect(await a.lines.next()).toBe('one')
    expect(await b.lines.next()).toBe('two')
    expect(await one.server.sendTo(b.id, 'x')).toBe(false)
    expect(await one.server.countSessions()).toBe(1)
    expect(a.lines.pending).toEqual([])
  })

  test('cluster calls of a server that is not running reject with ServerStateError; it starts again', async () => {
    const server = new AppServer({ config: { ip: '127.0.0.1', port: 0 }, logFactory: silentLogFactory })
    await expect(server.publish('x')).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
    await expect(server.nodes()).rejects.toMatchObject({ code: 'ERR_SERVER_STATE' })
    await server.start()
    await server.stop()
    await server.start()
    expect(await server.countSessions()).toBe(0)
    await server.stop()
  })
})

/** An adapter that records the server's calls and can be switched unreachable, as a Redis adapter is while down. */
class RecordingAdapter implements ClusterAdapter {
  readonly nodeId = 'recording'
  readonly calls: string[] = []
  down = false
  failStart = false
  failStop = false
  local: ClusterLocalNode | undefined
  #unavailable = 0

  start(local: ClusterLocalNode): Promise<void> {
    this.calls.push('start')
    if (this.failStart) return Promise.reject(new ClusterUnavailableError('no backend'))
    this.local = local
    return Promise.resolve()
  }
  stop(): Promise<void> {
    this.calls.push(`stop sessions=${this.local?.sessionCount}`)
    this.local = undefined
    return this.failStop ? Promise.reject(new Error('broken adapter')) : Promise.resolve()
  }
  registerSession(sessionId: string): Promise<boolean> {
    this.calls.push(`register ${sessionId}`)
    return Promise.resolve(!this.down)
  }
  unregisterSession(sessionId: string): Promise<void> {
    this.calls.push(`unregister ${sessionId}`)
    return Promise.resolve()
  }
  join(sessionId: string, group: string): Promise<void> {
    this.calls.push(`join ${sessionId} ${group} members=${this.local?.countGroupMembers(group)}`)
    return this.#maybeDown()
  }
  leave(sessionId: string, group: string): Promise<void> {
    this.calls.push(`leave ${sessionId} ${group} members=${this.local?.countGroupMembers(group)}`)
    return this.#maybeDown()
  }
  publish(data: Uint8Array, options: { group?: string } = {}): Promise<void> {
    if (this.down) return this.#maybeDown()
    if (options.group === undefined) this.local?.deliverToAll(data)
    else this.local?.deliverToGroup(options.group, data)
    return Promise.resolve()
  }
  sendTo(sessionId: string, data: Uint8Array): Promise<boolean> {
    if (this.local?.deliverToSession(sessionId, data)) return Promise.resolve(true)
    return this.down ? this.#maybeDown().then(() => false) : Promise.resolve(false)
  }
  countSessions(): Promise<number> {
    return this.#maybeDown().then(() => this.local?.sessionCount ?? 0)
  }
  nodes(): Promise<NodeInfo[]> {
    return this.#maybeDown().then(() => [])
  }
  getStats(): ClusterStats {
    return {
      connected: !this.down,
      published: 0,
      received: 0,
      missed: 0,
      dropped: 0,
      subscriptions: 0,
      reconnects: 0,
      unavailable: this.#unavailable,
    }
  }
  #maybeDown(): Promise<void> {
    if (!this.down) return Promise.resolve()
    this.#unavailable++
    return Promise.reject(new ClusterUnavailableError())
  }
}

describe('with an adapter of its own', () => {
  test('the server calls the adapter as the contract says: start, register, join/leave after the local change, leave all then unregister on close, stop last', async () => {
    const adapter = new RecordingAdapter()
    const { server, port } = await chatServer({ adapter })
    expect(adapter.calls).toEqual(['start'])
    const a = await client(port)
    a.write('JOIN r\r\nJOIN s\r\nLEAVE s\r\n')
    await a.lines.take(3)
    // The adapter reads the local node: the members already counted when it is told.
    expect(adapter.local?.countGroupMembers('r')).toBe(1)
    expect([...(adapter.local?.groups() ?? [])]).toEqual(['r'])
    expect([...(adapter.local?.sessionIds() ?? [])]).toEqual([a.id])
    const session = server.getSessionById(a.id) as AppSession
    const closed = next(server, 'sessionClosed')
    void session.close()
    await closed
    await server.stop()
    expect(adapter.calls).toEqual([
      'start',
      `register ${a.id}`,
      `join ${a.id} r members=1`,
      `join ${a.id} s members=1`,
      `leave ${a.id} s members=0`,
      `leave ${a.id} r members=0`,
      `unregister ${a.id}`,
      'stop sessions=0',
    ])
  })

  test('an adapter that cannot start fails start(): nothing is bound, the state is NotStarted', async () => {
    const adapter = new RecordingAdapter()
    adapter.failStart = true
    const server = new AppServer({ config: { ip: '127.0.0.1', port: 0 }, logFactory: silentLogFactory, adapter })
    await expect(server.start()).rejects.toBeInstanceOf(ClusterUnavailableError)
    expect(server.state).toBe(ServerState.NotStarted)
    expect(server.endpoints).toEqual([])
    adapter.failStart = false
    await server.start()
    await server.stop()
    expect(adapter.calls).toEqual(['start', 'start', 'stop sessions=0'])
  })

  test('while the backend is unreachable: local sessions keep working, cluster calls fail fast, membership stays', async () => {
    const adapter = new RecordingAdapter()
    const { server, port } = await chatServer({ adapter })
    const a = await client(port)
    const b = await client(port)
    adapter.down = true
    const session = server.getSessionById(a.id) as AppSession
    await expect(session.join('room')).rejects.toBeInstanceOf(ClusterUnavailableError)
    expect(session.groups).toEqual(new Set(['room'])) // put in force by the adapter on reconnect
    await expect(server.publish('x')).rejects.toMatchObject({ code: 'ERR_CLUSTER_UNAVAILABLE' })
    await expect(server.countSessions()).rejects.toBeInstanceOf(ClusterUnavailableError)
    await expect(server.nodes()).rejects.toBeInstanceOf(ClusterUnavailableError)
    await expect(server.sendTo('elsewhere', 'x')).rejects.toBeInstanceOf(ClusterUnavailableError)
    expect(await server.sendTo(b.id, 'local\r\n')).toBe(true)
    expect(await b.lines.next()).toBe('local')
    expect(server.broadcast('broadcast\r\n')).toBe(2)
    b.write('ID\r\n')
    expect(await b.lines.take(2)).toEqual(['broadcast', b.id])
    expect(server.getStats().cluster).toMatchObject({ connected: false, unavailable: 5 })
    // A session closing meanwhile leaves its groups without anyone waiting for the backend.
    const closed = next(server, 'sessionClosed')
    void session.close()
    await closed
    expect(adapter.local?.countGroupMembers('room')).toBe(0)
  })

  test('an adapter whose stop() rejects (against the contract) does not keep the server from stopping', async () => {
    const adapter = new RecordingAdapter()
    adapter.failStop = true
    const server = new AppServer({ config: { ip: '127.0.0.1', port: 0 }, logFactory: silentLogFactory, adapter })
    await server.start()
    await server.stop()
    expect(server.state).toBe(ServerState.NotStarted)
    expect(adapter.calls).toEqual(['start', 'stop sessions=0'])
  })

  test('adapter must be an adapter', () => {
    expect(
      () =>
        new AppServer({ config: { port: 0 }, adapter: {} as unknown as ClusterAdapter, logFactory: silentLogFactory }),
    ).toThrow(InvalidArgumentError)
    expect(new InProcessAdapter({ nodeId: 'n1' }).nodeId).toBe('n1')
  })
})
