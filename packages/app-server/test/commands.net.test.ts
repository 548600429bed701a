import { deferred, withTimeout } from '@socketlite/testing'
import { describe, expect, test } from 'vitest'
import {
  type AppSession,
  CloseReason,
  FixedHeaderReceiveFilter,
  type ReceiveFilter,
  type StringRequestInfo,
} from '../src/index.js'
import { connect, LineReader, logged, next, RecordingLogFactory, startServer } from './helpers.js'

describe('commands', () => {
  test('a request whose key has a command goes to it; any other to newRequestReceived', async () => {
    const seen: string[] = []
    const { server, port } = await startServer({}, (server) => {
      server.command('ECHO', (session, request) => {
        seen.push(`command ${request.body}`)
        session.trySend(`${request.body}\r\n`)
      })
      server.on('newRequestReceived', (session, request) => {
        seen.push(`listener ${request.key}`)
        session.trySend(`? ${request.key}\r\n`)
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write('ECHO one\r\nOTHER x\r\nECHO two\r\necho three\r\n')
    expect(await lines.take(4)).toEqual(['one', '? OTHER', 'two', '? echo'])
    expect(seen).toEqual(['command one', 'listener OTHER', 'command two', 'listener echo'])
    expect(server.getStats().requests).toBe(4)
  })

  test('commandKeysIgnoreCase: string keys match whatever their case', async () => {
    const { port } = await startServer({ commandKeysIgnoreCase: true }, (server) => {
      server.command('Echo', (session, request) => session.trySend(`${request.body}\r\n`))
      server.on('newRequestReceived', (session, request) => session.trySend(`? ${request.key}\r\n`))
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write('ECHO a\r\necho b\r\nEcho c\r\neChO d\r\nECHOX e\r\n')
    expect(await lines.take(5)).toEqual(['a', 'b', 'c', 'd', '? ECHOX'])
  })

  test('the same order as newRequestReceived: an asynchronous command holds the next request back', async () => {
    const gate = deferred()
    const entered = deferred()
    const log: string[] = []
    const { port } = await startServer({}, (server) => {
      server.command('SLOW', async (session) => {
        log.push('slow start')
        entered.resolve()
        await gate.promise
        log.push('slow end')
        session.trySend('SLOW\r\n')
      })
      server.command('FAST', (session) => {
        log.push('fast')
        session.trySend('FAST\r\n')
      })
      server.on('newRequestReceived', (session) => {
        log.push('listener')
        session.trySend('OTHER\r\n')
      })
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write('SLOW\r\nFAST\r\nX\r\n')
    await withTimeout(entered.promise)
    expect(log).toEqual(['slow start'])
    gate.resolve()
    expect(await lines.take(3)).toEqual(['SLOW', 'FAST', 'OTHER'])
    expect(log).toEqual(['slow start', 'slow end', 'fast', 'listener'])
  })

  test('the same error rules: a command that throws or rejects goes to handleException (ApplicationError)', async () => {
    for (const fail of [
      () => {
        throw new Error('sync')
      },
      () => Promise.reject(new Error('async')),
    ]) {
      const { server, port } = await startServer({}, (server) => server.command('BOOM', fail))
      const closed = next<[AppSession, CloseReason]>(server, 'sessionClosed')
      const client = await connect(port)
      client.write('BOOM\r\nNEVER\r\n')
      expect((await closed)[1]).toBe(CloseReason.ApplicationError)
      expect(server.getStats().requests).toBe(1)
    }
  })

  test('unknown keys and no listener: dropped with the one warning', async () => {
    const logs = new RecordingLogFactory()
    const { server, port } = await startServer({ logFactory: logs }, (server) => {
      server.command('KNOWN', (session) => session.trySend('KNOWN\r\n'))
    })
    const client = await connect(port)
    const lines = new LineReader(client)
    client.write('A\r\nB\r\nKNOWN\r\n')
    expect(await lines.next()).toBe('KNOWN')
    await logged(logs, (record) => record.level === 'warn' && record.message.includes('newRequestReceived'))
    expect(logs.at('warn')).toHaveLength(1)
    expect(server.getStats().requests).toBe(3)
    expect(server.sessionCount).toBe(1)
  })

  test('numeric keys route a binary protocol by packet id', async () => {
    interface Packet {
      readonly key: number
      readonly body: Buffer
    }
    /** [id, length, ...body]. */
    class PacketFilter extends FixedHeaderReceiveFilter<Packet> {
      constructor() {
        super(2)
      }
      protected getBodyLengthFromHeader(header: Buffer): number {
        return header[1] as number
      }
      protected resolveRequestInfo(header: Buffer, body: Buffer): Packet {
        return { key: header[0] as number, body }
      }
    }
    const { port } = await startServer<Packet>(
      { receiveFilterFactory: () => new PacketFilter() as ReceiveFilter<Packet> },
      (server) => {
        server.command(1, (session, request) => session.trySend(Buffer.from([1, ...request.body])))
        server.command(2, (session, request) => session.trySend(Buffer.from([2, request.body.length])))
        server.on('newRequestReceived', (session, request) => session.trySend(Buffer.from([0xff, request.key])))
      },
    )
    const client = await connect(port)
    const replies: number[] = []
    const done = new Promise<void>((resolve) =>
      client.on('data', (data: Buffer) => {
        replies.push(...data)
        if (replies.length >= 7) resolve()
      }),
    )
    client.write(Buffer.from([1, 2, 7, 8, 2, 3, 0, 0, 0, 9, 0]))
    await withTimeout(done)
    expect(replies).toEqual([1, 7, 8, 2, 3, 0xff, 9])
  })

  test('misuse throws InvalidArgumentError: a key twice (also in another case with commandKeysIgnoreCase), bad keys or handlers', async () => {
    const { server } = await startServer({ commandKeysIgnoreCase: true })
    const handler = () => undefined
    expect(server.command('A', handler)).toBe(server)
    for (const misuse of [
      () => server.command('A', handler),
      () => server.command('a', handler),
      () => server.command(Number.NaN, handler),
      () => server.command({} as unknown as string, handler),
      () => server.command('B', 'not a function' as unknown as () => void),
    ]) {
      expect(misuse).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    }
    const { server: exact } = await startServer()
    exact.command('A', handler)
    expect(() => exact.command('a', handler)).not.toThrow()
    exact.command(1, handler)
    expect(() => exact.command('1', handler)).not.toThrow()
  })
})

describe('request listeners are seen as they change (no EventEmitter internals read)', () => {
  test('once, removeListener, removeAllListeners and a listener added later all take effect at the next request', async () => {
    const { server, port } = await startServer()
    const client = await connect(port)
    const lines = new LineReader(client)
    const reply = (text: string) => (session: AppSession, request: StringRequestInfo) =>
      void session.trySend(`${text} ${request.key}\r\n`)
    server.once('newRequestReceived', reply('once'))
    const always = reply('always')
    server.on('newRequestReceived', always)
    client.write('A\r\n')
    expect(await lines.take(2)).toEqual(['once A', 'always A'])
    client.write('B\r\n')
    expect(await lines.next()).toBe('always B')
    server.off('newRequestReceived', always)
    server.prependListener('newRequestReceived', reply('first'))
    server.on('newRequestReceived', reply('second'))
    client.write('C\r\n')
    expect(await lines.take(2)).toEqual(['first C', 'second C'])
    server.removeAllListeners()
    server.addListener('newRequestReceived', reply('again'))
    client.write('D\r\n')
    expect(await lines.next()).toBe('again D')
    server.removeAllListeners('newRequestReceived')
    server.prependOnceListener('newRequestReceived', reply('last'))
    client.write('E\r\n')
    expect(await lines.next()).toBe('last E')
    expect(server.listenerCount('newRequestReceived')).toBe(0)
  })
})
