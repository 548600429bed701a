import { deferred, withTimeout } from '@socketlite/testing'
import { describe, expect, test } from 'vitest'
import {
  type AppSession,
  CloseReason,
  FilterState,
  ProtocolError,
  type ReceiveFilter,
  type ReceiveFilterContext,
  type ServerConfig,
  SocketError,
  type StringRequestInfo,
  UdpRequestInfo,
} from '../src/index.js'
import { next, startServer, type TestServerOptions } from './helpers.js'
import { udpClient } from './udp-helpers.js'

/** A UDP echo server: `ECHO x` → `x\r\n`, as one reply datagram per request. */
function udpEcho(config: Partial<ServerConfig> = {}, options: Omit<TestServerOptions, 'config'> = {}) {
  return startServer({ ...options, config: { mode: 'udp', ...config } }, (server) => {
    server.on('newRequestReceived', (session, request) => {
      if (request.key === 'ECHO') session.trySend(`${request.body}\r\n`)
    })
  })
}

/** The `sessionClosed` events of `server`, as they come. */
function closings(server: NodeJS.EventEmitter): [AppSession, CloseReason][] {
  const seen: [AppSession, CloseReason][] = []
  server.on('sessionClosed', (session: AppSession, reason: CloseReason) => seen.push([session, reason]))
  return seen
}

describe('UDP sessions', () => {
  test('one session per remote endpoint, id ip:port, one reply datagram per request', async () => {
    const { server, port } = await udpEcho()
    expect(server.endpoints[0]).toMatchObject({ mode: 'udp', security: 'none', family: 'IPv4', port })
    const first = await udpClient()
    const second = await udpClient()
    first.send('ECHO a\r\n', port)
    await first.receive(1)
    second.send('ECHO b\r\n', port)
    await second.receive(1)
    first.send('ECHO c\r\n', port)
    expect((await first.receive(2)).map(String)).toEqual(['a\r\n', 'c\r\n'])
    expect(second.texts()).toEqual(['b\r\n'])
    expect(server.sessionCount).toBe(2)
    const session = server.getSessionById(`127.0.0.1:${first.port}`)
    expect(session?.remoteEndPoint).toEqual({ address: '127.0.0.1', port: first.port, family: 'IPv4' })
    expect(session?.localEndPoint.port).toBe(port)
    expect(session?.secure).toBe(false)
    expect(server.getStats().accepted).toBe(2)
  })

  test("a peer's session names the UDP listener its datagrams arrived on; it is not outbound", async () => {
    const { server, port } = await udpEcho()
    const client = await udpClient()
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    client.send('ECHO hi\r\n', port)
    const [session] = await connected
    expect(session.listener).toBe(server.endpoints[0])
    expect(session.listener).toMatchObject({ mode: 'udp', port })
    expect(session.outbound).toBe(false)
  })

  test('a datagram may carry several requests, each answered with its own datagram', async () => {
    const { port } = await udpEcho()
    const client = await udpClient()
    client.send('ECHO one\r\nECHO two\r\nECHO three\r\n', port)
    expect((await client.receive(3)).map(String)).toEqual(['one\r\n', 'two\r\n', 'three\r\n'])
  })

  test('async handlers: the requests of a datagram, then the next datagram, each after the previous settled', async () => {
    const order: string[] = []
    const { port } = await startServer({ config: { mode: 'udp' } }, (created) => {
      created.on('newRequestReceived', async (session, request) => {
        order.push(`start ${request.body}`)
        await new Promise((resolve) => setImmediate(resolve))
        order.push(`end ${request.body}`)
        await session.send(`${request.body}\r\n`)
      })
    })
    const client = await udpClient()
    client.send('ECHO 1\r\nECHO 2\r\nECHO 3\r\n', port)
    client.send('ECHO 4\r\n', port)
    expect((await client.receive(4)).map(String)).toEqual(['1\r\n', '2\r\n', '3\r\n', '4\r\n'])
    expect(order).toEqual(['1', '2', '3', '4'].flatMap((body) => [`start ${body}`, `end ${body}`]))
  })

  test('an incomplete datagram is dropped whole and counted; the session lives on', async () => {
    const { server, port } = await udpEcho()
    const events = closings(server)
    const client = await udpClient()
    client.send('ECHO first\r\n', port)
    await client.receive(1)
    client.send('ECHO kept\r\nECHO cut', port)
    client.send('ECHO next\r\n', port)
    expect((await client.receive(2)).map(String)).toEqual(['first\r\n', 'next\r\n'])
    expect(server.getStats().datagramErrors).toBe(1)
    expect(server.sessionCount).toBe(1)
    expect(events).toEqual([])
  })

  test('a request over maxRequestLength spoils only its datagram', async () => {
    const { server, port } = await udpEcho({ maxRequestLength: 16 })
    const client = await udpClient()
    client.send(`ECHO ${'x'.repeat(20)}\r\n`, port)
    client.send('ECHO ok\r\n', port)
    expect((await client.receive(1)).map(String)).toEqual(['ok\r\n'])
    expect(server.getStats().datagramErrors).toBe(1)
  })

  test("a malformed first datagram makes no session for its sender; the sender's next valid one does", async () => {
    const { server, port } = await udpEcho()
    const junk = await udpClient()
    const witness = await udpClient()
    junk.send('ECHO cut', port)
    // Sent after the junk: once it is answered, the server has read the junk.
    witness.send('ECHO ok\r\n', port)
    expect((await witness.receive(1)).map(String)).toEqual(['ok\r\n'])
    expect(server.getSessionById(`127.0.0.1:${junk.port}`)).toBeUndefined()
    expect(server.getStats()).toMatchObject({ accepted: 1, datagramErrors: 1, datagramsDropped: 0 })
    junk.send('ECHO now\r\n', port)
    expect((await junk.receive(1)).map(String)).toEqual(['now\r\n'])
    expect(server.sessionCount).toBe(2)
  })

  test('handles the datagrams of a session strictly in order, one at a time, under a burst of 10 000', async () => {
    const count = 10_000
    const window = 128
    let running = 0
    let overlapped = false
    const { server, port } = await startServer({ config: { mode: 'udp' } }, (created) => {
      created.on('newRequestReceived', async (session, request) => {
        running++
        if (running > 1) overlapped = true
        const index = Number(request.body)
        // Every few requests the handler goes asynchronous: the next datagrams wait in the session's queue.
        if (index % 7 === 0) await new Promise((resolve) => setImmediate(resolve))
        else if (index % 3 === 0) await Promise.resolve()
        await session.send(`${request.body}\r\n`)
        running--
      })
    })
    const client = await udpClient()
    let sent = 0
    const sendUpTo = (limit: number): void => {
      for (; sent < Math.min(limit, count); sent++) client.send(`ECHO ${sent}\r\n`, port)
    }
    client.socket.on('message', () => sendUpTo(client.received.length + window))
    sendUpTo(window)
    const replies = await client.receive(count, 15_000)
    const numbers = replies.map((reply) => Number(reply.toString().trim()))
    const outOfOrder = numbers.findIndex((value, index) => value !== index)
    expect(outOfOrder).toBe(-1)
    expect(numbers).toHaveLength(count)
    expect(overlapped).toBe(false)
    expect(server.getStats()).toMatchObject({ requests: count, datagramsDropped: 0, datagramErrors: 0 })
  }, 20_000)

  test('a session whose handler is busy keeps at most 1024 datagrams waiting; the rest are dropped and counted', async () => {
    const gate = deferred()
    const { server, port } = await startServer({ config: { mode: 'udp' } }, (created) => {
      created.on('newRequestReceived', async (session, request) => {
        if (request.key === 'WAIT') await gate.promise
        session.trySend(`${request.key}\r\n`)
      })
    })
    const client = await udpClient()
    const witness = await udpClient()
    client.send('WAIT\r\n', port)
    for (let index = 0; index < 1_100; index++) client.send(`N${index}\r\n`, port)
    // Sent last: once it is answered, the server has read all of the above.
    witness.send('WITNESS\r\n', port)
    await witness.receive(1)
    expect(server.getStats().datagramsDropped).toBe(1_100 - 1_024)
    gate.resolve()
    const replies = (await client.receive(1 + 1_024)).map((reply) => reply.toString().trim())
    expect(replies[0]).toBe('WAIT')
    expect(replies.slice(1)).toEqual(Array.from({ length: 1_024 }, (_, index) => `N${index}`))
  })

  test('the datagrams that arrive while a session is admitted wait for it, in order (one session, B13)', async () => {
    const gate = deferred<boolean>()
    const witnessArrived = deferred()
    const admissions: number[] = []
    let witnessPort = 0
    const { server, port } = await udpEcho(
      {},
      {
        connectionFilters: [
          {
            name: 'slow for the first peer',
            allowConnect: (remote) => {
              admissions.push(remote.port)
              if (remote.port !== witnessPort) return gate.promise
              witnessArrived.resolve()
              return true
            },
          },
        ],
      },
    )
    const client = await udpClient()
    const witness = await udpClient()
    witnessPort = witness.port
    for (const word of ['a', 'b', 'c', 'd']) client.send(`ECHO ${word}\r\n`, port)
    // Sent after the four: once the server admits the witness, the four have arrived (one socket, FIFO).
    witness.send('ECHO w\r\n', port)
    await withTimeout(witnessArrived.promise, 2_000, 'the witness datagram')
    gate.resolve(true)
    expect((await client.receive(4)).map(String)).toEqual(['a\r\n', 'b\r\n', 'c\r\n', 'd\r\n'])
    expect(admissions.filter((admitted) => admitted === client.port)).toHaveLength(1)
    expect(server.getStats().accepted).toBe(2)
  })

  test('maxConnectionNumber: a new peer over the limit is dropped and counted, with no session events', async () => {
    const { server, port } = await udpEcho({ maxConnectionNumber: 1 })
    let connected = 0
    server.on('newSessionConnected', () => connected++)
    const first = await udpClient()
    const second = await udpClient()
    first.send('ECHO in\r\n', port)
    await first.receive(1)
    second.send('ECHO out\r\n', port)
    second.send('ECHO out again\r\n', port)
    first.send('ECHO still in\r\n', port)
    // The server reads its socket in arrival order: once "still in" is answered, both refusals happened.
    expect((await first.receive(2)).map(String)).toEqual(['in\r\n', 'still in\r\n'])
    expect(server.getStats().rejected.maxConnectionNumber).toBe(2)
    expect(second.received).toEqual([])
    expect(connected).toBe(1)
    expect(server.getStats().datagramsDropped).toBe(2)
  })

  test('a connection filter can refuse a peer; its datagrams are dropped and counted', async () => {
    const refusedPorts = new Set<number>()
    const decisions: Promise<boolean>[] = []
    const { server, port } = await udpEcho(
      {},
      {
        connectionFilters: [
          {
            name: 'blocklist',
            allowConnect: (remote) => {
              const decision = Promise.resolve(!refusedPorts.has(remote.port))
              decisions.push(decision)
              return decision
            },
          },
        ],
      },
    )
    const [refused1, refused2, allowed] = await Promise.all([udpClient(), udpClient(), udpClient()])
    refusedPorts.add(refused1?.port as number).add(refused2?.port as number)
    refused1?.send('ECHO no\r\n', port)
    refused2?.send('ECHO no\r\n', port)
    refused1?.send('ECHO still no\r\n', port)
    allowed?.send('ECHO yes\r\n', port)
    // Sent last: once it is answered, the filter was asked about every datagram before it.
    expect((await allowed?.receive(1))?.map(String)).toEqual(['yes\r\n'])
    // The server acts on each decision right after it resolves, before this test resumes.
    await Promise.all(decisions)
    // refused1's second datagram either waited for its first one's admission or was a new admission attempt.
    const { rejected, datagramsDropped } = server.getStats()
    expect(rejected.connectionFilter).toBeGreaterThanOrEqual(2)
    expect(decisions).toHaveLength(rejected.connectionFilter + 1)
    expect(datagramsDropped).toBe(3)
    expect(server.sessionCount).toBe(1)
    expect([...(refused1?.received ?? []), ...(refused2?.received ?? [])]).toEqual([])
  })

  test('idle sessions are cleared, so new peers are not locked out', async () => {
    const { server, port } = await udpEcho({
      maxConnectionNumber: 1,
      idleSessionTimeOut: 0.15,
      clearIdleSessionInterval: 0.05,
    })
    const first = await udpClient()
    const second = await udpClient()
    let closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    first.send('ECHO one\r\n', port)
    await first.receive(1)
    const [session, reason] = await closed
    expect(reason).toBe(CloseReason.TimeOut)
    expect(session.sessionId).toBe(`127.0.0.1:${first.port}`)
    closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    second.send('ECHO two\r\n', port)
    expect((await second.receive(1)).map(String)).toEqual(['two\r\n'])
    expect((await closed)[1]).toBe(CloseReason.TimeOut)
    // The first peer comes back: a new session.
    first.send('ECHO back\r\n', port)
    expect((await first.receive(2)).map(String)).toEqual(['one\r\n', 'back\r\n'])
    expect(server.getStats()).toMatchObject({ accepted: 3, rejected: { maxConnectionNumber: 0 } })
  })

  test('works over IPv6, with [ip]:port session ids', async () => {
    const { server, port } = await udpEcho({ ip: '::1' })
    expect(server.endpoints[0]?.family).toBe('IPv6')
    const client = await udpClient('::1')
    client.send('ECHO six\r\n', port)
    expect((await client.receive(1)).map(String)).toEqual(['six\r\n'])
    expect(server.getSessionById(`[::1]:${client.port}`)?.remoteEndPoint.family).toBe('IPv6')
  })

  test('refuses a payload larger than one datagram: send rejects, trySend returns false', async () => {
    const { server, port } = await udpEcho()
    const client = await udpClient()
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    client.send('ECHO x\r\n', port)
    const [session] = await connected
    await client.receive(1)
    const error = await session.send(Buffer.alloc(65_508)).catch((reason: unknown) => reason)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_DATAGRAM_TOO_LARGE')
    expect(session.trySend(Buffer.alloc(65_508))).toBe(false)
    expect(session.trySend('y'.repeat(65_508))).toBe(false)
    expect(session.receivePaused).toBe(false)
    await session.send(Buffer.alloc(65_507, 0x41))
    const [, big] = await client.receive(2)
    expect(big?.length).toBe(65_507)
  })

  test('each trySend is one datagram, also from a handler that sends several', async () => {
    const { port } = await startServer({ config: { mode: 'udp' } }, (created) => {
      created.on('newRequestReceived', (session) => {
        session.trySend('a')
        session.trySend('bb')
        session.trySend(Buffer.from('ccc'))
      })
    })
    const client = await udpClient()
    client.send('GO\r\n', port)
    expect((await client.receive(3)).map(String)).toEqual(['a', 'bb', 'ccc'])
  })

  test('stop() closes UDP sessions with ServerShutdown after sending what they queued', async () => {
    const { server, port } = await udpEcho()
    const events = closings(server)
    const client = await udpClient()
    const connected = next<[AppSession]>(server, 'newSessionConnected')
    client.send('ECHO x\r\n', port)
    const [session] = await connected
    await client.receive(1)
    for (let index = 0; index < 20; index++) expect(session.trySend(`bye ${index}\r\n`)).toBe(true)
    await withTimeout(server.stop(), 3_000, 'stop()')
    expect(events.map(([, reason]) => reason)).toEqual([CloseReason.ServerShutdown])
    expect(await client.receive(21)).toHaveLength(21)
    expect(client.texts().at(-1)).toBe('bye 19\r\n')
  })

  test('a stopped UDP server can be started again', async () => {
    const { server } = await udpEcho()
    const client = await udpClient()
    client.send('ECHO first\r\n', server.endpoints[0]?.port as number)
    await client.receive(1)
    await server.stop()
    const [again] = await server.start()
    client.send('ECHO second\r\n', again?.port as number)
    expect((await client.receive(2)).map(String)).toEqual(['first\r\n', 'second\r\n'])
  })

  test('close() from a handler ends the session; the next datagram makes a new one', async () => {
    const { server, port } = await startServer({ config: { mode: 'udp' } }, (created) => {
      created.on('newRequestReceived', async (session, request) => {
        if (request.key === 'QUIT') await session.close()
        else session.trySend(`${session.sessionId}\r\n`)
      })
    })
    const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
    const client = await udpClient()
    client.send('QUIT\r\n', port)
    expect((await closed)[1]).toBe(CloseReason.ServerClosing)
    client.send('WHO\r\n', port)
    expect((await client.receive(1)).map(String)).toEqual([`127.0.0.1:${client.port}\r\n`])
    expect(server.getStats().accepted).toBe(2)
  })
})

/** SuperSocket's SimpleUDPServer request: 4 bytes of key, a 36-character session id, then the body. */
class KeyedRequest extends UdpRequestInfo {
  readonly body: string

  constructor(key: string, sessionId: string, body: string) {
    super(key, sessionId)
    this.body = body
  }
}

/** A request of {@link KeyedFilter} that carries no session id. */
interface PlainRequest {
  readonly key: string
}

type TestRequest = KeyedRequest | PlainRequest

/** After `SWCH`: reads every request as a {@link KeyedRequest} of session `switched`. */
class SwitchedFilter implements ReceiveFilter<TestRequest> {
  readonly state = FilterState.Normal
  readonly leftBufferSize = 0

  filter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TestRequest>): number {
    context.request = new KeyedRequest('SWCD', 'switched', data.toString('latin1', offset, offset + length))
    return length
  }

  reset(): void {}
}

/**
 * Requests separated by `|` in a datagram: a {@link KeyedRequest}; or `PING`, a request without a session id; or
 * `SWCH`, which switches to {@link SwitchedFilter}. Anything else shorter than 40 bytes is a protocol error.
 */
class KeyedFilter implements ReceiveFilter<TestRequest> {
  state: FilterState = FilterState.Normal
  readonly leftBufferSize = 0

  filter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TestRequest>): number {
    const end = offset + length
    const bar = data.indexOf('|', offset)
    const stop = bar >= 0 && bar < end ? bar : end
    const consumed = stop - offset + (stop < end ? 1 : 0)
    const text = data.toString('latin1', offset, stop)
    if (text === 'PING') context.request = { key: 'PING' }
    else if (text === 'SWCH') context.nextFilter = new SwitchedFilter()
    else if (text.length >= 40) {
      context.request = new KeyedRequest(text.slice(0, 4), text.slice(4, 40), data.toString('utf8', offset + 40, stop))
    } else {
      this.state = FilterState.Error
      throw new ProtocolError('A request needs a 4-byte key and a 36-character session id')
    }
    return consumed
  }

  reset(): void {
    this.state = FilterState.Normal
  }
}

describe('UDP sessions named by UdpRequestInfo', () => {
  const id = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`

  async function keyedServer() {
    return startServer<TestRequest>(
      { config: { mode: 'udp' }, receiveFilterFactory: () => new KeyedFilter() },
      (created) => {
        created.on('newRequestReceived', (session, request) => {
          session.trySend(`${request.key} ${session.sessionId} ${'body' in request ? request.body : ''}`)
        })
      },
    )
  }

  test('the session follows its id when the peer moves to another address (roaming)', async () => {
    const { server, port } = await keyedServer()
    const before = await udpClient()
    const after = await udpClient()
    before.send(`ECHO${id(1)}one`, port)
    expect((await before.receive(1)).map(String)).toEqual([`ECHO ${id(1)} one`])
    const session = server.getSessionById(id(1).toUpperCase())
    expect(session?.remoteEndPoint.port).toBe(before.port)
    after.send(`ECHO${id(1)}two`, port)
    expect((await after.receive(1)).map(String)).toEqual([`ECHO ${id(1)} two`])
    expect(server.sessionCount).toBe(1)
    expect(session?.remoteEndPoint.port).toBe(after.port)
    // Replies the server sends on its own go to the new address too.
    expect(session?.trySend('PUSH')).toBe(true)
    expect((await after.receive(2)).map(String)[1]).toBe('PUSH')
    expect(before.received).toHaveLength(1)
  })

  test('different ids from one address are different sessions', async () => {
    const { server, port } = await keyedServer()
    const client = await udpClient()
    client.send(`ECHO${id(1)}a`, port)
    client.send(`ECHO${id(2)}b`, port)
    expect((await client.receive(2)).map(String).sort()).toEqual([`ECHO ${id(1)} a`, `ECHO ${id(2)} b`])
    expect(server.sessionCount).toBe(2)
  })

  test('a datagram that names no session is dropped and counted', async () => {
    const { server, port } = await keyedServer()
    const client = await udpClient()
    client.send(`ECHO${id(3)}first`, port)
    await client.receive(1)
    client.send('short', port)
    client.send(`ECHO${id(3)}after`, port)
    expect((await client.receive(2)).map(String)[1]).toBe(`ECHO ${id(3)} after`)
    expect(server.getStats()).toMatchObject({ datagramErrors: 1, datagramsDropped: 0 })
    expect(server.sessionCount).toBe(1)
  })

  test.each<[string, (string | Buffer)[]]>([
    ['shorter than the header', ['short']],
    ['that is empty', [Buffer.alloc(0)]],
    ['that mixes requests with and without an id', [`PING|ECHO${id(4)}x`, `ECHO${id(4)}y|PING`]],
    ['that names two sessions', [`ECHO${id(4)}x|ECHO${id(5)}y`]],
  ])(
    "a first datagram %s decides nothing and makes no session: the sender's next ones go by their id",
    async (_, junk) => {
      const { server, port } = await keyedServer()
      const client = await udpClient()
      const roamed = await udpClient()
      for (const datagram of junk) client.send(datagram, port)
      client.send(`ECHO${id(4)}valid`, port)
      expect((await client.receive(1)).map(String)).toEqual([`ECHO ${id(4)} valid`])
      expect(server.getSessionById(`127.0.0.1:${client.port}`)).toBeUndefined()
      roamed.send(`ECHO${id(4)}moved`, port)
      expect((await roamed.receive(1)).map(String)).toEqual([`ECHO ${id(4)} moved`])
      expect(server.sessionCount).toBe(1)
      expect(server.getStats()).toMatchObject({ accepted: 1, datagramErrors: junk.length, datagramsDropped: 0 })
    },
  )

  test('once in session-id mode, a datagram without an id is dropped and counted; the mode stays', async () => {
    const { server, port } = await keyedServer()
    const before = await udpClient()
    const after = await udpClient()
    before.send(`ECHO${id(7)}one`, port)
    await before.receive(1)
    before.send('PING', port)
    after.send(`ECHO${id(7)}two`, port)
    expect((await after.receive(1)).map(String)).toEqual([`ECHO ${id(7)} two`])
    expect(before.texts()).toEqual([`ECHO ${id(7)} one`])
    expect(server.sessionCount).toBe(1)
    expect(server.getStats()).toMatchObject({ accepted: 1, datagramErrors: 1 })
  })

  test("a filter switch in one peer's datagram does not change how the ids of the next datagrams are read", async () => {
    const { server, port } = await keyedServer()
    const first = await udpClient()
    const second = await udpClient()
    first.send(`ECHO${id(8)}a|SWCH`, port)
    expect((await first.receive(1)).map(String)).toEqual([`ECHO ${id(8)} a`])
    second.send(`ECHO${id(9)}b`, port)
    expect((await second.receive(1)).map(String)).toEqual([`ECHO ${id(9)} b`])
    expect(server.getSessionById('switched')).toBeUndefined()
    expect(server.sessionCount).toBe(2)
  })
})

describe('activeConnect in UDP mode', () => {
  test('makes a session with the peer that receives what the peer sends back (B28)', async () => {
    const { server } = await startServer({ config: { mode: 'udp' } }, (created) => {
      created.on('newRequestReceived', (session, request) => {
        session.items.set('heard', request.key)
      })
    })
    const peer = await udpClient()
    const accepted: AppSession[] = []
    server.on('newSessionConnected', (session) => accepted.push(session))
    const session = await server.activeConnect({ host: '127.0.0.1', port: peer.port })
    // newSessionConnected came first; the session is outbound, with no listener.
    expect(accepted).toEqual([session])
    expect([session.outbound, session.listener]).toEqual([true, undefined])
    expect(session.sessionId).toBe(`127.0.0.1:${peer.port}`)
    const request = next<[AppSession, StringRequestInfo]>(server, 'newRequestReceived')
    expect(session.trySend('HELLO\r\n')).toBe(true)
    await peer.receive(1)
    // The peer answers where the datagram came from: the server's UDP listener.
    peer.send('WORLD\r\n', server.endpoints[0]?.port as number)
    const [received, parsed] = await request
    expect(received).toBe(session)
    expect(parsed.key).toBe('WORLD')
    const error = await server.activeConnect({ host: '127.0.0.1', port: peer.port }).catch((reason: unknown) => reason)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_CONNECT_FAILED')
    const refusedTls = await server
      .activeConnect({ host: '127.0.0.1', port: peer.port, tls: true })
      .catch((reason: unknown) => reason)
    expect(SocketError.isSocketError(refusedTls) && refusedTls.code).toBe('ERR_INVALID_ARGUMENT')
  })

  test('needs a UDP listener of the peer address family', async () => {
    const { server } = await startServer({ config: { mode: 'udp' } })
    const error = await server.activeConnect({ host: '::1', port: 9 }).catch((reason: unknown) => reason)
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_CONNECT_FAILED')
  })
})
