import { fc } from '@fast-check/vitest'
import { listenTcp, splitAt, withTimeout } from '@socketlite/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  BeginEndMarkReceiveFilter,
  type BinaryRequestInfo,
  BinaryTerminatorReceiveFilter,
  CloseReason,
  CommandLineReceiveFilter,
  CountSpliterReceiveFilter,
  FixedHeaderReceiveFilter,
  FixedSizeReceiveFilter,
  LengthFieldReceiveFilter,
  type ReceiveFilter,
  SocketClient,
  type StringRequestInfo,
} from '../src/index.js'

// A server that writes a prepared reply stream, cut into prepared chunks (each written in a turn of its own, so
// that they mostly arrive apart), then ends the connection. The client must see the same replies for any cut.
let script: Buffer[] = []
let server: Awaited<ReturnType<typeof listenTcp>>

beforeAll(async () => {
  server = await listenTcp(async (socket) => {
    const chunks = script
    for (const chunk of chunks) {
      socket.write(chunk)
      await new Promise((resolve) => setImmediate(resolve))
    }
    socket.end()
  })
})

afterAll(() => server.close())

/** Every reply the client gets until the server ends the connection. */
async function receive<T>(filter: ReceiveFilter<T>, chunks: Buffer[]): Promise<T[]> {
  script = chunks
  const client = new SocketClient<T>({ host: '127.0.0.1', port: server.port, receiveFilter: filter })
  const replies: T[] = []
  client.on('message', (reply) => replies.push(reply))
  const ended = new Promise<CloseReason>((resolve) => client.once('disconnected', (reason) => resolve(reason)))
  await client.connect()
  expect(await withTimeout(ended, 5_000, 'the end of the reply stream')).toBe(CloseReason.ServerClosing)
  return replies
}

/** Cut points anywhere in a stream (fractions of its length). */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 })
const cutAt = (stream: Buffer, fractions: number[]) =>
  splitAt(
    stream,
    fractions.map((fraction) => Math.floor(fraction * stream.length)),
  )
const text = (alphabet: string, maxLength: number) => fc.string({ unit: fc.constantFrom(...alphabet), maxLength })

/** A 3-byte header (type byte, 16-bit big-endian length), as a binary protocol's reply would have. */
class TypedFrameFilter extends FixedHeaderReceiveFilter<{ type: number; body: string }> {
  constructor() {
    super(3)
  }
  protected getBodyLengthFromHeader(header: Buffer): number {
    return header.readUInt16BE(1)
  }
  protected resolveRequestInfo(header: Buffer, body: Buffer) {
    return { type: header[0] as number, body: body.toString() }
  }
}

const runs = { numRuns: 25 }

describe('any chunking of the reply stream yields the same replies', () => {
  test('command lines (CommandLineReceiveFilter)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text('ab c', 12), { maxLength: 8 }), cuts, async (lines, fractions) => {
        const stream = Buffer.from(lines.map((line) => `${line}\r\n`).join(''))
        const replies = await receive<StringRequestInfo>(new CommandLineReceiveFilter(), cutAt(stream, fractions))
        const expected = lines.map((line) => {
          const space = line.indexOf(' ')
          return space <= 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)]
        })
        expect(replies.map((reply) => [reply.key, reply.body])).toEqual(expected)
      }),
      runs,
    )
  })

  test('a self-overlapping terminator (BinaryTerminatorReceiveFilter "aab")', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text('ab', 8), { maxLength: 8 }), cuts, async (frames, fractions) => {
        // A frame must not contain the terminator (one that ends in "a" or "aa" is fine: "aa" + "aab").
        const valid = frames.filter((frame) => !frame.includes('aab'))
        const stream = Buffer.from(valid.map((frame) => `${frame}aab`).join(''))
        const replies = await receive<BinaryRequestInfo>(
          new BinaryTerminatorReceiveFilter({ terminator: 'aab' }),
          cutAt(stream, fractions),
        )
        expect(replies.map((reply) => reply.body.toString())).toEqual(valid)
      }),
      runs,
    )
  })

  test('length field (LengthFieldReceiveFilter, 2-byte big-endian length)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        cuts,
        async (bodies, fractions) => {
          const stream = Buffer.concat(
            bodies.flatMap((body) => {
              const header = Buffer.alloc(2)
              header.writeUInt16BE(body.length)
              return [header, Buffer.from(body)]
            }),
          )
          const replies = await receive<BinaryRequestInfo>(
            new LengthFieldReceiveFilter({ lengthFieldLength: 2 }),
            cutAt(stream, fractions),
          )
          expect(replies.map((reply) => [...reply.body])).toEqual(bodies.map((body) => [...body]))
        },
      ),
      runs,
    )
  })

  test('fixed size (FixedSizeReceiveFilter, 7 bytes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 7, maxLength: 7 }), { maxLength: 10 }),
        cuts,
        async (frames, fractions) => {
          const replies = await receive<BinaryRequestInfo>(
            new FixedSizeReceiveFilter({ size: 7 }),
            cutAt(Buffer.concat(frames), fractions),
          )
          expect(replies.map((reply) => [...reply.body])).toEqual(frames.map((frame) => [...frame]))
        },
      ),
      runs,
    )
  })

  test('begin/end marks (BeginEndMarkReceiveFilter "<<" … ">>")', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text('ab<', 10), { maxLength: 8 }), cuts, async (bodies, fractions) => {
        const stream = Buffer.from(bodies.map((body) => `<<${body}>>`).join(''))
        const replies = await receive<BinaryRequestInfo>(
          new BeginEndMarkReceiveFilter({ beginMark: '<<', endMark: '>>' }),
          cutAt(stream, fractions),
        )
        expect(replies.map((reply) => reply.body.toString())).toEqual(bodies)
      }),
      runs,
    )
  })

  test('count spliter (CountSpliterReceiveFilter "#", 4)', async () => {
    const field = text('xyz', 5)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(field, field, field), { maxLength: 8 }), cuts, async (frames, fractions) => {
        const stream = Buffer.from(frames.map((fields) => `#${fields.join('#')}#`).join(''))
        const replies = await receive<StringRequestInfo>(
          new CountSpliterReceiveFilter({ spliter: '#', count: 4 }),
          cutAt(stream, fractions),
        )
        expect(replies.map((reply) => reply.parameters)).toEqual(frames)
      }),
      runs,
    )
  })

  test('a fixed header subclass (FixedHeaderReceiveFilter, typed frames)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), text('pq', 20)), { maxLength: 8 }),
        cuts,
        async (frames, fractions) => {
          const stream = Buffer.concat(
            frames.map(([type, body]) => {
              const header = Buffer.alloc(3)
              header[0] = type
              header.writeUInt16BE(Buffer.byteLength(body), 1)
              return Buffer.concat([header, Buffer.from(body)])
            }),
          )
          const replies = await receive(new TypedFrameFilter(), cutAt(stream, fractions))
          expect(replies.map((reply) => [reply.type, reply.body])).toEqual(frames)
        },
      ),
      runs,
    )
  })
})
