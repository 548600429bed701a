import { fc, test } from '@fast-check/vitest'
import type { ReceiveFilterContext, TextEncoding } from '@socketlite/socket-base'
import { describe, expect } from 'vitest'
import {
  BasicRequestInfoParser,
  BinaryRequestInfo,
  CommandLineReceiveFilter,
  type LengthFieldLength,
  LengthFieldReceiveFilter,
  ReceiveFilterBase,
  ReceivePipeline,
  StringRequestInfo,
  TerminatorReceiveFilter,
} from '../src/index.js'
import { decodeRange, indexOfWithin } from '../src/internal.js'
import { chunk, chunkSizes, decode, plain } from './support.js'

// The fast paths of the hot path must give exactly what the general code gives.

const big = 1 << 20

/** The first index of `needle` wholly inside `data[start, end)`, by brute force. */
function naiveIndexOf(data: Buffer, needle: Buffer, start: number, end: number): number {
  for (let at = start; at + needle.length <= end; at++) {
    if (data.subarray(at, at + needle.length).equals(needle)) return at
  }
  return -1
}

describe('indexOfWithin', () => {
  // Two letters make marks that overlap themselves and many false hits of the mark's last byte.
  const bytes = (maxLength: number) => fc.uint8Array({ min: 0x61, max: 0x62, maxLength })
  test.prop([bytes(300), fc.uint8Array({ min: 0x61, max: 0x62, minLength: 1, maxLength: 5 }), fc.nat(), fc.nat()])(
    'finds the first occurrence inside the range, as a brute-force search does',
    (raw, rawMark, a, b) => {
      const data = Buffer.from(raw)
      const mark = Buffer.from(rawMark)
      const start = data.length === 0 ? 0 : a % (data.length + 1)
      const end = start + (b % (data.length - start + 1))
      for (const stop of [end, data.length]) {
        const expected = naiveIndexOf(data, mark, start, stop)
        expect(indexOfWithin(data, mark, start, stop)).toBe(expected)
        if (mark.length === 1) expect(indexOfWithin(data, mark[0] as number, start, stop)).toBe(expected)
      }
    },
  )

  test('falls back to the substring search after many false hits, and still finds the mark', () => {
    // 'a\n' many times (LF without CR), then one CRLF: more than a few false hits of LF.
    const data = Buffer.from(`${'a\n'.repeat(50)}xyz\r\nrest`, 'latin1')
    expect(indexOfWithin(data, Buffer.from('\r\n'), 0, data.length)).toBe(103)
    expect(indexOfWithin(data, Buffer.from('\r\n'), 104, data.length)).toBe(-1)
    expect(indexOfWithin(data, Buffer.from('\r\n'), 0, 104)).toBe(-1)
    expect(indexOfWithin(data, Buffer.from('\r\n'), 0, 105)).toBe(103)
  })
})

describe('decodeRange', () => {
  const encodings: TextEncoding[] = [
    'utf8',
    'utf-8',
    'ascii',
    'latin1',
    'binary',
    'utf16le',
    'ucs2',
    'ucs-2',
    'base64',
    'hex',
  ]
  test.prop([fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...encodings), fc.nat(), fc.nat()])(
    'equals toString(encoding, start, end)',
    (raw, encoding, a, b) => {
      const data = Buffer.from(raw)
      const start = a % (data.length + 1)
      const end = start + (b % (data.length - start + 1))
      expect(decodeRange(data, encoding, start, end)).toBe(data.toString(encoding, start, end))
    },
  )
})

describe('BasicRequestInfoParser parameters', () => {
  test.prop([
    fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', ',') }),
    fc.constantFrom(' ', ':', '::', ' ,', 'ab'),
  ])('are the body split on the parameter spliter with empty entries removed', (line, parameterSpliter) => {
    const request = new BasicRequestInfoParser(':', parameterSpliter).parse(line)
    expect(request.parameters).toEqual(request.body.split(parameterSpliter).filter((part) => part !== ''))
  })

  test('are an own property of the request, like key and body', () => {
    const request = new BasicRequestInfoParser().parse('ADD 1 2')
    expect(Object.keys(request)).toEqual(['key', 'body', 'parameters'])
    expect(JSON.parse(JSON.stringify(request))).toEqual({ key: 'ADD', body: '1 2', parameters: ['1', '2'] })
  })
})

describe('TerminatorReceiveFilter decoding in place', () => {
  test('a subclass that overrides resolveRequestInfo gets every frame, in one chunk or gathered', () => {
    const frames: string[] = []
    class Recording extends TerminatorReceiveFilter {
      constructor() {
        super({ terminator: '\r\n' })
      }
      protected override resolveRequestInfo(frame: Buffer): StringRequestInfo {
        frames.push(frame.toString())
        return new StringRequestInfo('SEEN', frame.toString(), [])
      }
    }
    const { requests } = decode(new Recording(), [Buffer.from('one\r\ntwo\r\nthr'), Buffer.from('ee\r\n')], big)
    expect(frames).toEqual(['one', 'two', 'three'])
    expect(requests.map((request) => request.key)).toEqual(['SEEN', 'SEEN', 'SEEN'])
  })

  test('a custom parser sees the same text for a frame in one chunk as for one split anywhere', () => {
    const seen: string[] = []
    const parser = {
      parse(source: string) {
        seen.push(source)
        return new StringRequestInfo(source, '', [])
      },
    }
    const wire = Buffer.from('héllo ✓\r\nb\r\n')
    for (let cut = 0; cut <= wire.length; cut++) {
      const filter = new TerminatorReceiveFilter({ terminator: '\r\n', parser })
      decode(filter, [wire.subarray(0, cut), wire.subarray(cut)], big)
    }
    expect(new Set(seen)).toEqual(new Set(['héllo ✓', 'b']))
  })

  test.prop([
    fc.array(fc.string({ unit: fc.constantFrom('a', ' ', 'é', '\r', '\n', '\u2713') }), { maxLength: 8 }),
    chunkSizes,
    fc.constantFrom<TextEncoding>('utf8', 'latin1', 'ascii', 'utf16le'),
  ])('gives the same requests as decoding every frame from a copy', (lines, sizes, encoding) => {
    const wire = Buffer.from(lines.map((line) => `${line.replaceAll('\r\n', '')}\r\n`).join(''), encoding)
    class Copying extends CommandLineReceiveFilter {
      protected override resolveRequestInfo(frame: Buffer): StringRequestInfo {
        return this.parser.parse(Buffer.from(frame).toString(this.encoding))
      }
    }
    const fast = decode(new CommandLineReceiveFilter({ encoding }), chunk(wire, sizes), big)
    const whole = decode(new CommandLineReceiveFilter({ encoding }), [wire], big)
    const general = decode(new Copying({ encoding }), chunk(wire, sizes), big)
    expect(fast.requests.map(plain)).toEqual(general.requests.map(plain))
    expect(whole.requests.map(plain)).toEqual(general.requests.map(plain))
    expect(fast.error).toBe(general.error)
  })
})

describe('LengthFieldReceiveFilter cutting frames in place', () => {
  /** The same filter made to go the general way (a hook overridden, with the same result). */
  class General extends LengthFieldReceiveFilter {
    protected override getBodyLengthFromHeader(header: Buffer): number {
      return super.getBodyLengthFromHeader(header)
    }
  }

  interface LengthFieldOptions {
    lengthFieldOffset: number
    lengthFieldLength: LengthFieldLength
    byteOrder: 'be' | 'le'
    lengthAdjustment: number
    initialBytesToStrip: number
  }
  const init: fc.Arbitrary<LengthFieldOptions> = fc.record({
    lengthFieldOffset: fc.integer({ min: 0, max: 3 }),
    lengthFieldLength: fc.constantFrom<LengthFieldLength>(1, 2, 3, 4, 8),
    byteOrder: fc.constantFrom<'be' | 'le'>('be', 'le'),
    lengthAdjustment: fc.integer({ min: -4, max: 4 }),
    initialBytesToStrip: fc.integer({ min: 0, max: 14 }),
  })
  /** Frames encoded for `options` (bodies of 0 to 12 bytes), then a few bytes of garbage. */
  function encode(options: LengthFieldOptions, bodies: number[], tail: number[]): Buffer {
    const parts: Buffer[] = []
    for (const [index, size] of bodies.entries()) {
      const value = Math.max(0, size - options.lengthAdjustment)
      const field = Buffer.alloc(options.lengthFieldLength)
      if (options.lengthFieldLength === 8) {
        if (options.byteOrder === 'be') field.writeBigInt64BE(BigInt(value))
        else field.writeBigInt64LE(BigInt(value))
      } else if (options.byteOrder === 'be') field.writeUIntBE(value, 0, options.lengthFieldLength)
      else field.writeUIntLE(value, 0, options.lengthFieldLength)
      const after = Math.max(0, value + options.lengthAdjustment)
      parts.push(Buffer.alloc(options.lengthFieldOffset, 0xc0 + index), field, Buffer.alloc(after, 0x61 + index))
    }
    parts.push(Buffer.from(tail))
    return Buffer.concat(parts)
  }

  test.prop([
    init,
    fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 8 }),
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }),
    chunkSizes,
    fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(big)),
  ])(
    'gives the requests, the error and the buffering of the general path, whatever the chunking',
    (options, bodies, tail, sizes, max) => {
      const stream = encode(options, bodies, tail)
      const fast = decode(new LengthFieldReceiveFilter(options), [stream], max)
      const general = decode(new General(options), [stream], max)
      const chunked = decode(new LengthFieldReceiveFilter(options), chunk(stream, sizes), max)
      expect(fast.requests.map(plain)).toEqual(general.requests.map(plain))
      expect(fast.error).toBe(general.error)
      expect(fast.buffered).toBe(general.buffered)
      expect(chunked.requests.map(plain)).toEqual(general.requests.map(plain))
      expect(chunked.error).toBe(general.error)
      for (const request of fast.requests) expect(request).toBeInstanceOf(BinaryRequestInfo)
    },
  )

  test('a frame in one chunk is handed out as views of it, with an empty header when stripped', () => {
    const chunkBytes = Buffer.from([0, 3, 0x61, 0x62, 0x63, 0, 0])
    const kept = decode(new LengthFieldReceiveFilter({ lengthFieldLength: 2 }), [chunkBytes], big).requests
    expect(kept.map((request) => request.header?.buffer === chunkBytes.buffer)).toEqual([true, true])
    expect(kept[0]?.body.buffer).toBe(chunkBytes.buffer)
    expect(kept.map((request) => [request.header?.length, request.body.length])).toEqual([
      [2, 3],
      [2, 0],
    ])
    const stripped = decode(
      new LengthFieldReceiveFilter({ lengthFieldLength: 2, initialBytesToStrip: 2 }),
      [chunkBytes],
      big,
    ).requests
    expect(stripped.map((request) => [request.header?.length, request.body.toString()])).toEqual([
      [0, 'abc'],
      [0, ''],
    ])
  })
})

describe('ReceivePipeline', () => {
  test('a request set by a filter that then throws is never returned, not even after a reset', () => {
    let calls = 0
    class SetsThenThrows extends ReceiveFilterBase<BinaryRequestInfo> {
      get leftBufferSize(): number {
        return 0
      }
      protected doFilter(
        data: Buffer,
        offset: number,
        _length: number,
        context: ReceiveFilterContext<BinaryRequestInfo>,
      ) {
        calls++
        if (calls === 1) {
          context.request = new BinaryRequestInfo('stale', data.subarray(offset, offset + 1))
          throw new Error('broken')
        }
        return 1 // consumes a byte and makes no request
      }
      protected resetFrame(): void {}
    }
    const pipeline = new ReceivePipeline(new SetsThenThrows(), { maxRequestLength: 10 })
    pipeline.push(Buffer.from('ab'))
    expect(() => pipeline.next()).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }))
    pipeline.reset()
    pipeline.push(Buffer.from('cd'))
    expect(pipeline.next()).toBeUndefined()
    expect(calls).toBe(3)
  })
})
