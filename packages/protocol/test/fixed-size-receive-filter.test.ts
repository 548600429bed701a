import { describe, expect, test } from 'vitest'
import { FixedSizeReceiveFilter, FixedSizeReceiveFilterFactory, ReceivePipeline } from '../src/index.js'
import { decode } from './support.js'

describe('FixedSizeReceiveFilter', () => {
  test('cuts the stream into frames of size bytes, across chunks', () => {
    const { requests, buffered } = decode(
      new FixedSizeReceiveFilter({ size: 3 }),
      [Buffer.from('ab'), Buffer.from('cdefg')],
      64,
    )
    expect(requests.map((request) => [request.key, request.body.toString()])).toEqual([
      ['', 'abc'],
      ['', 'def'],
    ])
    expect(buffered).toBe(1)
  })

  test('hands out a frame that lies in one chunk as a view, and a gathered one as a copy', () => {
    const chunk = Buffer.alloc(5, 1)
    const pipeline = new ReceivePipeline(new FixedSizeReceiveFilter({ size: 4 }), { maxRequestLength: 4 })
    pipeline.push(chunk)
    const inPlace = pipeline.next()
    expect(inPlace?.body.buffer).toBe(chunk.buffer)
    expect(pipeline.next()).toBeUndefined()
    const tail = Buffer.alloc(3, 2)
    pipeline.push(tail)
    const gathered = pipeline.next()
    chunk.fill(9)
    tail.fill(9)
    expect([...(gathered?.body ?? [])]).toEqual([1, 2, 2, 2])
  })

  test('a size over maxRequestLength is rejected at the first byte', () => {
    expect(decode(new FixedSizeReceiveFilter({ size: 5 }), [Buffer.from('a')], 4).error).toBe('ERR_REQUEST_TOO_LARGE')
    expect(decode(new FixedSizeReceiveFilter({ size: 5 }), [Buffer.from('abcde')], 5).requests).toHaveLength(1)
  })

  test('rejects an invalid size, in the filter and in the factory', () => {
    for (const size of [0, -1, 2.5, Number.NaN, '4' as unknown as number]) {
      expect(() => new FixedSizeReceiveFilter({ size })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
      expect(() => new FixedSizeReceiveFilterFactory({ size })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
    const factory = new FixedSizeReceiveFilterFactory({ size: 7 })
    expect(factory.createFilter().size).toBe(7)
    expect(factory.createFilter()).not.toBe(factory.createFilter())
  })
})
