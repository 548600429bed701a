import { SocketError } from '@socketlite/app-server'
import { ReceivePipeline } from '@socketlite/protocol'
import { randomChunks, seededRandom } from '@socketlite/testing'
import { describe, expect, test } from 'vitest'
import {
  EchoFilterFactory,
  type EchoFrame,
  type EchoProtocolName,
  type EchoProtocolOptions,
  echoProtocolDefaults,
  echoProtocolNames,
} from '../src/index.js'
import { encodeFrame, randomFrames } from './frames.js'

/** Every request of `chunks`, parsed by a fresh pipeline over the factory's filter. */
function parse(factory: EchoFilterFactory, chunks: readonly Buffer[], maxRequestLength = 65_536): Buffer[] {
  const pipeline = new ReceivePipeline<EchoFrame>(factory.createFilter(), { maxRequestLength })
  const frames: Buffer[] = []
  for (const chunk of chunks) {
    pipeline.push(chunk)
    for (let request = pipeline.next(); request !== undefined; request = pipeline.next()) frames.push(request.frame)
  }
  return frames
}

const framed: readonly EchoProtocolName[] = echoProtocolNames.filter((name) => name !== 'raw')

/** Non-default option sets: the echo must stay byte-identical whatever the options. */
const variants: readonly [EchoProtocolName, EchoProtocolOptions][] = [
  ['terminator', { terminator: '\r\n\r\n' }],
  ['terminator', { terminator: 'aab' }],
  ['length-field', { lengthFieldLength: 2, byteOrder: 'le' }],
  ['length-field', { lengthFieldLength: 3, lengthFieldOffset: 2 }],
  ['length-field', { lengthFieldLength: 8 }],
  ['length-field', { lengthFieldLength: 1, lengthAdjustment: -1 }],
  ['length-field', { lengthFieldLength: 2, initialBytesToStrip: 2 }],
  ['begin-end', { beginMark: '\x02', endMark: '\x03\x03' }],
  ['count-spliter', { count: 2 }],
  ['count-spliter', { count: 5 }],
  ['fixed-size', { size: 7 }],
]

describe('EchoFilterFactory', () => {
  test.each([...framed.map((protocol): [EchoProtocolName, EchoProtocolOptions] => [protocol, {}]), ...variants])(
    '%s %j: every frame comes back whole and byte-identical, for any chunking',
    (protocol, options) => {
      const factory = new EchoFilterFactory({ protocol, ...options })
      for (let seed = 1; seed <= 40; seed++) {
        const random = seededRandom(seed)
        const frames = randomFrames(protocol, 1 + Math.floor(random() * 12), random, options)
        const stream = Buffer.concat(frames)
        const chunks = randomChunks(stream, random, { maxChunkSize: 1 + Math.floor(random() * 50) })
        expect(parse(factory, chunks)).toEqual(frames)
      }
    },
  )

  test('a frame that arrives in one chunk is a view of it (no copy); one spread over chunks is a copy', () => {
    const factory = new EchoFilterFactory({ protocol: 'line' })
    const pipeline = new ReceivePipeline<EchoFrame>(factory.createFilter(), { maxRequestLength: 1024 })
    // Chunks with memory of their own (small Buffer.from() copies share one pool).
    const own = (text: string): Buffer => Buffer.from(new TextEncoder().encode(text).buffer)
    const chunk = own('one\r\ntw')
    pipeline.push(chunk)
    const first = pipeline.next()
    expect(first?.frame.toString()).toBe('one\r\n')
    expect(first?.frame.buffer).toBe(chunk.buffer)
    expect(pipeline.next()).toBeUndefined()
    const rest = own('o\r\n')
    pipeline.push(rest)
    const second = pipeline.next()
    expect(second?.frame.toString()).toBe('two\r\n')
    expect(second?.frame.buffer).not.toBe(chunk.buffer)
    expect(second?.frame.buffer).not.toBe(rest.buffer)
  })

  test('length-field with initialBytesToStrip still echoes the stripped header bytes', () => {
    const factory = new EchoFilterFactory({ protocol: 'length-field', lengthFieldLength: 2, initialBytesToStrip: 2 })
    const frame = Buffer.from([0x00, 0x03, 0x61, 0x62, 0x63])
    expect(parse(factory, [frame.subarray(0, 1), frame.subarray(1)])).toEqual([frame])
  })

  test('frames before a framing error are handed out, then the error (ERR_PROTOCOL)', () => {
    const factory = new EchoFilterFactory({ protocol: 'begin-end' })
    const pipeline = new ReceivePipeline<EchoFrame>(factory.createFilter(), { maxRequestLength: 1024 })
    pipeline.push(Buffer.from('!a$!b$junk!c$'))
    expect(pipeline.next()?.frame.toString()).toBe('!a$')
    expect(pipeline.next()?.frame.toString()).toBe('!b$')
    expect(() => pipeline.next()).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }))
  })

  test.each([
    ['line', 'x'.repeat(20), 16],
    ['length-field', '\x00\x00\x00\x20', 16],
    ['fixed-size', 'x'.repeat(32), 16],
    ['begin-end', `!${'x'.repeat(20)}`, 16],
  ] as const)('%s: a frame over maxRequestLength is ERR_REQUEST_TOO_LARGE', (protocol, bytes, limit) => {
    const factory = new EchoFilterFactory({ protocol })
    const pipeline = new ReceivePipeline<EchoFrame>(factory.createFilter(), { maxRequestLength: limit })
    pipeline.push(Buffer.from(bytes, 'latin1'))
    let error: unknown
    try {
      pipeline.next()
    } catch (caught) {
      error = caught
    }
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_REQUEST_TOO_LARGE')
  })

  test('a frame of exactly maxRequestLength is accepted', () => {
    const factory = new EchoFilterFactory({ protocol: 'line' })
    const frame = Buffer.from(`${'x'.repeat(14)}\r\n`)
    expect(parse(factory, [frame], 16)).toEqual([frame])
  })

  test('raw: each chunk comes back as it is, in pieces of at most maxRequestLength', () => {
    const factory = new EchoFilterFactory({ protocol: 'raw' })
    const chunks = [Buffer.from('abc'), Buffer.from('defghij')]
    expect(parse(factory, chunks, 4).map((frame) => frame.toString())).toEqual(['abc', 'defg', 'hij'])
  })

  describe('datagram mode (UDP)', () => {
    test('one request per datagram, holding all of its frames', () => {
      const factory = new EchoFilterFactory({ protocol: 'line' }, { datagram: true })
      const pipeline = new ReceivePipeline<EchoFrame>(factory.createFilter(), { maxRequestLength: 1024 })
      pipeline.push(Buffer.from('a\r\nbb\r\n'))
      expect(pipeline.drainDatagram().map((request) => request.frame.toString())).toEqual(['a\r\nbb\r\n'])
      pipeline.push(Buffer.from('ccc\r\n'))
      expect(pipeline.drainDatagram().map((request) => request.frame.toString())).toEqual(['ccc\r\n'])
    })

    test('a datagram that ends inside a frame is ERR_PROTOCOL; the next datagram is parsed afresh', () => {
      const factory = new EchoFilterFactory({ protocol: 'length-field', lengthFieldLength: 2 }, { datagram: true })
      const pipeline = new ReceivePipeline<EchoFrame>(factory.createFilter(), { maxRequestLength: 1024 })
      pipeline.push(Buffer.from([0, 1, 0x61, 0, 5, 0x62]))
      expect(() => pipeline.drainDatagram()).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }))
      const whole = Buffer.from([0, 1, 0x61, 0, 2, 0x62, 0x63])
      pipeline.push(whole)
      expect(pipeline.drainDatagram().map((request) => request.frame)).toEqual([whole])
    })
  })

  test.each([
    [{ protocol: 'nope' as EchoProtocolName }],
    [{ protocol: 'terminator', terminator: '' }],
    [{ protocol: 'fixed-size', size: 0 }],
    [{ protocol: 'length-field', lengthFieldLength: 5 as never }],
    [{ protocol: 'begin-end', endMark: new Uint8Array() }],
    [{ protocol: 'count-spliter', spliter: '##' }],
    [{ protocol: 'count-spliter', count: 1 }],
    [{ protocol: 'line', encoding: 'klingon' as never }],
  ] satisfies [EchoProtocolOptions][])('rejects %j with ERR_INVALID_ARGUMENT', (options) => {
    let error: unknown
    try {
      new EchoFilterFactory(options)
    } catch (caught) {
      error = caught
    }
    expect(SocketError.isSocketError(error) && error.code).toBe('ERR_INVALID_ARGUMENT')
  })

  test('the defaults are those of socketlite-load', () => {
    expect(echoProtocolDefaults).toMatchObject({
      protocol: 'line',
      terminator: '\r\n',
      size: 32,
      lengthFieldOffset: 0,
      lengthFieldLength: 4,
      byteOrder: 'be',
      lengthAdjustment: 0,
      initialBytesToStrip: 0,
      beginMark: '!',
      endMark: '$',
      spliter: '#',
      count: 8,
    })
    // The load tester's default count-spliter frame is `#f1#…#` with 8 spliters: one frame here.
    const frame = encodeFrame('count-spliter', Buffer.from('abcdefg'))
    expect(frame.toString()).toBe('#a#b#c#d#e#f#g#')
    expect(parse(new EchoFilterFactory({ protocol: 'count-spliter' }), [frame])).toEqual([frame])
  })
})
