import { describe, expect, test } from 'vitest'
import {
  type LengthFieldLength,
  LengthFieldReceiveFilter,
  LengthFieldReceiveFilterFactory,
  type LengthFieldReceiveFilterInit,
} from '../src/index.js'
import { decode } from './support.js'

const hello = Buffer.from('HELLO, WORLD')
const hex = (text: string) => Buffer.from(text.replaceAll(' ', ''), 'hex')
const split = (init: LengthFieldReceiveFilterInit, wire: Buffer, max = 1024) => {
  const results = []
  for (let cut = 0; cut <= wire.length; cut++) {
    const { requests, error } = decode(
      new LengthFieldReceiveFilter(init),
      [wire.subarray(0, cut), wire.subarray(cut)],
      max,
    )
    expect(error).toBeUndefined()
    expect(requests).toHaveLength(1)
    results.push(requests[0])
  }
  const first = results[0]
  for (const result of results) expect(result).toEqual(first)
  return first as { key: string; header: Buffer; body: Buffer }
}

describe('LengthFieldReceiveFilter: the Netty LengthFieldBasedFrameDecoder javadoc examples', () => {
  test.each([
    {
      name: '2-byte length, keep header',
      init: { lengthFieldLength: 2 },
      wire: Buffer.concat([hex('000C'), hello]),
      netty: Buffer.concat([hex('000C'), hello]),
      header: hex('000C'),
    },
    {
      name: '2-byte length, strip header',
      init: { lengthFieldLength: 2, initialBytesToStrip: 2 },
      wire: Buffer.concat([hex('000C'), hello]),
      netty: hello,
      header: hex(''),
    },
    {
      name: 'length counts the whole frame',
      init: { lengthFieldLength: 2, lengthAdjustment: -2 },
      wire: Buffer.concat([hex('000E'), hello]),
      netty: Buffer.concat([hex('000E'), hello]),
      header: hex('000E'),
    },
    {
      name: '3-byte length after a 2-byte header',
      init: { lengthFieldOffset: 2, lengthFieldLength: 3 },
      wire: Buffer.concat([hex('CAFE 00000C'), hello]),
      netty: Buffer.concat([hex('CAFE 00000C'), hello]),
      header: hex('CAFE 00000C'),
    },
    {
      name: '3-byte length, then a 2-byte header',
      init: { lengthFieldLength: 3, lengthAdjustment: 2 },
      wire: Buffer.concat([hex('00000C CAFE'), hello]),
      netty: Buffer.concat([hex('00000C CAFE'), hello]),
      header: hex('00000C'),
    },
    {
      name: 'HDR1 LEN HDR2, strip HDR1 and LEN',
      init: { lengthFieldOffset: 1, lengthFieldLength: 2, lengthAdjustment: 1, initialBytesToStrip: 3 },
      wire: Buffer.concat([hex('CA 000C FE'), hello]),
      netty: Buffer.concat([hex('FE'), hello]),
      header: hex(''),
    },
    {
      name: 'HDR1 LEN HDR2, length counts the whole frame, strip HDR1 and LEN',
      init: { lengthFieldOffset: 1, lengthFieldLength: 2, lengthAdjustment: -3, initialBytesToStrip: 3 },
      wire: Buffer.concat([hex('CA 0010 FE'), hello]),
      netty: Buffer.concat([hex('FE'), hello]),
      header: hex(''),
    },
    {
      name: 'tokio example 7: 3-byte length and 1 unused byte, both skipped',
      init: { lengthFieldLength: 3, lengthAdjustment: 1, initialBytesToStrip: 4 },
      wire: Buffer.concat([hex('00000B 00'), Buffer.from('hello world')]),
      netty: Buffer.from('hello world'),
      header: hex(''),
    },
    {
      name: 'pomelo package: 1 type byte, 3-byte length',
      init: { lengthFieldOffset: 1, lengthFieldLength: 3 },
      wire: Buffer.concat([hex('04 00000C'), hello]),
      netty: Buffer.concat([hex('04 00000C'), hello]),
      header: hex('04 00000C'),
    },
  ] as { name: string; init: LengthFieldReceiveFilterInit; wire: Buffer; netty: Buffer; header: Buffer }[])(
    '$name',
    ({ init, wire, netty, header }) => {
      const request = split(init, wire)
      expect(request.key).toBe('')
      expect(Buffer.concat([request.header, request.body]).equals(netty)).toBe(true)
      expect(request.header.equals(header)).toBe(true)
    },
  )

  test.each([1, 2, 3, 4, 8] as LengthFieldLength[])('reads a %d-byte field in both byte orders', (width) => {
    for (const byteOrder of ['be', 'le'] as const) {
      const field = Buffer.alloc(width)
      if (width === 8) field[byteOrder === 'be' ? 7 : 0] = 5
      else if (byteOrder === 'be') field.writeUIntBE(5, 0, width)
      else field.writeUIntLE(5, 0, width)
      const request = split({ lengthFieldLength: width, byteOrder }, Buffer.concat([field, Buffer.from('abcde')]))
      expect(request.body.toString()).toBe('abcde')
    }
  })
})

describe('LengthFieldReceiveFilter: limits and corrupt frames', () => {
  test('the whole frame counts, stripped bytes included, checked when the field is read', () => {
    const wire = Buffer.concat([hex('000C'), hello])
    expect(
      decode(new LengthFieldReceiveFilter({ lengthFieldLength: 2, initialBytesToStrip: 2 }), [wire], 14).error,
    ).toBe(undefined)
    expect(
      decode(new LengthFieldReceiveFilter({ lengthFieldLength: 2, initialBytesToStrip: 2 }), [wire], 13).error,
    ).toBe('ERR_REQUEST_TOO_LARGE')
    expect(decode(new LengthFieldReceiveFilter({ lengthFieldLength: 2 }), [hex('FFFF')], 1000).error).toBe(
      'ERR_REQUEST_TOO_LARGE',
    )
  })

  test.each([
    ['a negative 8-byte value', { lengthFieldLength: 8 }, hex('FFFFFFFFFFFFFFFF')],
    ['an 8-byte value above 2^53', { lengthFieldLength: 8 }, hex('0020000000000001')],
    ['an adjusted length before the field end', { lengthFieldLength: 2, lengthAdjustment: -3 }, hex('0002')],
    ['initialBytesToStrip beyond the frame', { lengthFieldLength: 1, initialBytesToStrip: 4 }, hex('02')],
  ] as [string, LengthFieldReceiveFilterInit, Buffer][])('%s is ERR_PROTOCOL', (_name, init, wire) => {
    expect(decode(new LengthFieldReceiveFilter(init), [wire], 1 << 20).error).toBe('ERR_PROTOCOL')
  })

  test.each([
    { lengthFieldLength: 5 as LengthFieldLength },
    { lengthFieldLength: 0 as LengthFieldLength },
    { lengthFieldOffset: -1 },
    { lengthFieldOffset: 1.5 },
    { byteOrder: 'middle' as 'be' },
    { lengthAdjustment: 0.5 },
    { initialBytesToStrip: -2 },
  ])('rejects the options %o', (init) => {
    expect(() => new LengthFieldReceiveFilter(init)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => new LengthFieldReceiveFilterFactory(init)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })

  test('defaults to a 4-byte big-endian length and no strip; the factory keeps its options', () => {
    const filter = new LengthFieldReceiveFilter()
    expect([filter.lengthFieldOffset, filter.lengthFieldLength, filter.byteOrder]).toEqual([0, 4, 'be'])
    expect([filter.lengthAdjustment, filter.initialBytesToStrip, filter.headerSize]).toEqual([0, 0, 4])
    const made = new LengthFieldReceiveFilterFactory({ lengthFieldLength: 2, byteOrder: 'le' }).createFilter()
    expect([made.lengthFieldLength, made.byteOrder]).toEqual([2, 'le'])
  })
})
