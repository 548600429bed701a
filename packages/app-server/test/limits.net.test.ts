import { readFileSync } from 'node:fs'
import type net from 'node:net'
import { describe, expect, test } from 'vitest'
import {
  AppSession,
  type AppSessionInit,
  type ConnectionFilter,
  type EndPoint,
  type StringRequestInfo,
} from '../src/index.js'
import {
  connect,
  LineReader,
  logged,
  next,
  RecordingLogFactory,
  startServer,
  type TestServerOptions,
} from './helpers.js'

async function refusedAtOnce(port: number, host = '127.0.0.1'): Promise<void> {
  const client = await connect(port, host)
  const chunks: Buffer[] = []
  client.on('data', (chunk: Buffer) => chunks.push(chunk))
  await next(client, 'close')
  expect(Buffer.concat(chunks).length).toBe(0)
}

describe('connection limits', () => {
  test('refusals are logged as summaries with counts, not a line each', async () => {
    const logs = new RecordingLogFactory()
    const { server, port } = await startServer({ logFactory: logs, config: { maxConnectionNumber: 1 } })
    await connect(port)
    for (let index = 0; index < 20; index++) await refusedAtOnce(port)
    expect(server.getStats().rejected.maxConnectionNumber).toBe(20)
    const refusals = () => logs.records.filter((record) => record.message.startsWith('Connection refused: limit'))
    // The first at once, the next 19 only counted (one line per kind every 10 s at most)...
    expect(refusals()).toHaveLength(1)
    expect(refusals()[0]?.fields).toMatchObject({ limit: 'maxConnectionNumber' })
    // ... and summed up in one line, at the latest when the server stops.
    await server.stop()
    expect(refusals()).toHaveLength(2)
    expect(refusals()[1]?.fields).toMatchObject({ count: 19, sources: 19, limit: 'maxConnectionNumber' })
  })

  test('maxConnectionNumber: the extra connection is closed at once, with no session events, and counted', async () => {
    const events: string[] = []
    const { server, port } = await startServer({ config: { maxConnectionNumber: 2 } }, (server) => {
      server.on('newSessionConnected', (session) => {
        events.push('connected')
        session.trySend('WELCOME\r\n')
      })
      server.on('sessionClosed', () => events.push('closed'))
    })
    const first = new LineReader(await connect(port))
    const second = await connect(port)
    const secondLines = new LineReader(second)
    expect(await first.next()).toBe('WELCOME')
    expect(await secondLines.next()).toBe('WELCOME')
    await refusedAtOnce(port)
    expect(events).toEqual(['connected', 'connected'])
    expect(server.getStats().rejected).toMatchObject({ maxConnectionNumber: 1, total: 1 })
    // A slot frees up when a session closes.
    const closed = next(server, 'sessionClosed')
    second.end()
    await closed
    const third = new LineReader(await connect(port))
    expect(await third.next()).toBe('WELCOME')
    expect(server.getStats().accepted).toBe(3)
  })

  test('maxConnectionsPerIp counts per remote address', async () => {
    const { server } = await startServer(
      {
        config: {
          listeners: [
            { ip: '127.0.0.1', port: 0 },
            { ip: '::1', port: 0 },
          ],
          maxConnectionsPerIp: 1,
        },
      },
      (server) => server.on('newSessionConnected', (session) => session.trySend('WELCOME\r\n')),
    )
    const [v4, v6] = server.endpoints
    const first = new LineReader(await connect(v4?.port ?? 0))
    expect(await first.next()).toBe('WELCOME')
    await refusedAtOnce(v4?.port ?? 0)
    const other = new LineReader(await connect(v6?.port ?? 0, '::1'))
    expect(await other.next()).toBe('WELCOME')
    expect(server.getStats().rejected.maxConnectionsPerIp).toBe(1)
    expect(server.sessionCount).toBe(2)
  })
})

describe('connection filters', () => {
  const allowAll: ConnectionFilter = { name: 'allow', allowConnect: () => true }

  test('a synchronous or asynchronous false refuses; the filters see the remote endpoint', async () => {
    const seen: EndPoint[] = []
    let verdict = true
    const logs = new RecordingLogFactory()
    const { server, port } = await startServer(
      {
        logFactory: logs,
        connectionFilters: [
          allowAll,
          {
            name: 'recorder',
            allowConnect: (remote) => {
              seen.push(remote)
              return verdict
            },
          },
          { name: 'async', allowConnect: async () => verdict },
        ],
      },
      (server) => server.on('newSessionConnected', (session) => session.trySend('WELCOME\r\n')),
    )
    const allowed = await connect(port)
    expect(await new LineReader(allowed).next()).toBe('WELCOME')
    expect(seen[0]).toEqual({ address: '127.0.0.1', port: allowed.localPort, family: 'IPv4' })
    verdict = false
    await refusedAtOnce(port)
    expect(server.getStats().rejected.connectionFilter).toBe(1)
    expect(logs.at('info').some((record) => record.fields?.filter === 'recorder')).toBe(true)
  })

  test('an async filter that says no refuses too', async () => {
    const { server, port } = await startServer({
      connectionFilters: [{ name: 'no', allowConnect: () => Promise.resolve(false) }],
    })
    let connected = 0
    server.on('newSessionConnected', () => connected++)
    await refusedAtOnce(port)
    expect(connected).toBe(0)
    expect(server.getStats().rejected.connectionFilter).toBe(1)
  })
})

describe('user code that throws in the accept path refuses that connection and is logged (B17)', () => {
  const cases: Record<string, (logs: RecordingLogFactory) => TestServerOptions> = {
    'a connection filter': (logFactory) => ({
      logFactory,
      connectionFilters: [
        {
          name: 'broken',
          allowConnect: () => {
            throw new Error('filter broke')
          },
        },
      ],
    }),
    'an async connection filter': (logFactory) => ({
      logFactory,
      connectionFilters: [{ name: 'broken', allowConnect: () => Promise.reject(new Error('filter broke')) }],
    }),
    'the receive filter factory': (logFactory) => ({
      logFactory,
      receiveFilterFactory: () => {
        throw new Error('factory broke')
      },
    }),
    'the session constructor': (logFactory) => ({
      logFactory,
      sessionClass: class extends AppSession {
        constructor(init: AppSessionInit<StringRequestInfo>) {
          super(init)
          throw new Error('constructor broke')
        }
      },
    }),
    onInit: (logFactory) => ({
      logFactory,
      sessionClass: class extends AppSession {
        override onInit(): void {
          throw new Error('onInit broke')
        }
      },
    }),
  }

  for (const [where, options] of Object.entries(cases)) {
    test(where, async () => {
      const logs = new RecordingLogFactory()
      const { server, port } = await startServer(options(logs))
      let events = 0
      server.on('newSessionConnected', () => events++)
      server.on('sessionClosed', () => events++)
      await refusedAtOnce(port)
      const record = await logged(logs, (entry) => entry.level === 'error')
      expect((record.fields?.err as Error | undefined)?.message).toMatch(/broke/)
      expect(events).toBe(0)
      expect(server.getStats().rejected).toMatchObject({ acceptError: 1, total: 1 })
      expect(server.sessionCount).toBe(0)
      // The server keeps serving: the limit slot was given back.
      expect(server.getStats().sessions).toBe(0)
    })
  }
})

test('a session id already in use refuses the new connection', async () => {
  class Fixed extends AppSession {
    constructor(init: AppSessionInit<StringRequestInfo>) {
      super({ ...init, sessionId: 'ABC' })
    }
  }
  const logs = new RecordingLogFactory()
  const { server, port } = await startServer({ sessionClass: Fixed, logFactory: logs })
  const connected = next(server, 'newSessionConnected')
  await connect(port)
  await connected
  await refusedAtOnce(port)
  expect(server.getSessionById('abc')?.sessionId).toBe('ABC')
  expect(server.getStats().rejected.acceptError).toBe(1)
  expect(server.sessionCount).toBe(1)
})

describe("docs/hardening.md's configuration for a server exposed to the internet", () => {
  test('runs as documented (on loopback): it serves, and its per-address limit refuses the 51st connection', async () => {
    const doc = readFileSync(new URL('../../../docs/hardening.md', import.meta.url), 'utf8')
    const {
      $schema: _schema,
      ip: _ip,
      port: _port,
      ...documented
    } = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(doc)?.[1] ?? '{}') as Record<string, unknown>
    expect(documented.maxConnectionsPerIp).toBe(50)
    const { server, port } = await startServer({ config: documented }, (app) => {
      app.on('newRequestReceived', (session, request) => session.trySend(`${request.body}\r\n`))
    })
    // Every documented value is in force as written (each deadline has its own test with a short value).
    for (const [key, value] of Object.entries(documented)) expect(server.config[key as 'name'], key).toEqual(value)
    const clients = await Promise.all(Array.from({ length: 50 }, () => connect(port)))
    const lines = new LineReader(clients[49] as net.Socket)
    ;(clients[49] as net.Socket).write('ECHO hello\r\n')
    expect(await lines.next()).toBe('hello')
    await refusedAtOnce(port)
    expect(server.getStats().rejected).toMatchObject({ maxConnectionsPerIp: 1, total: 1 })
  })
})
