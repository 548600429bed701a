import { describe, expect, test } from 'vitest'
import { CountSpliterReceiveFilter, CountSpliterReceiveFilterFactory } from '../src/index.js'
import { decode } from './support.js'

const requests = (chunks: string[], init = { spliter: '#', count: 4 }, max = 1024) => {
  const result = decode(
    new CountSpliterReceiveFilter(init),
    chunks.map((part) => Buffer.from(part)),
    max,
  )
  return {
    requests: result.requests.map((request) => [request.key, request.body, request.parameters]),
    error: result.error,
  }
}

describe('CountSpliterReceiveFilter', () => {
  test('a frame ends at the count-th spliter; parameters are the fields between spliters', () => {
    expect(requests(['#LOGIN#bob#secret##SAY#', '#hi#'])).toEqual({
      requests: [
        ['LOGIN', 'LOGIN#bob#secret', ['LOGIN', 'bob', 'secret']],
        ['SAY', 'SAY##hi', ['SAY', '', 'hi']],
      ],
      error: undefined,
    })
  })

  test('keyIndex picks the key, and fields may hold multi-byte characters split between chunks', () => {
    const bytes = Buffer.from('#1#MSG#héllo#')
    const chunks = [...bytes].map((byte) => Buffer.of(byte))
    const result = decode(new CountSpliterReceiveFilter({ spliter: 0x23, count: 4, keyIndex: 1 }), chunks, 64)
    expect(result.requests.map((request) => [request.key, request.parameters])).toEqual([
      ['MSG', ['1', 'MSG', 'héllo']],
    ])
  })

  test('junk policy: a frame that does not start with the spliter is ERR_PROTOCOL', () => {
    expect(requests(['x#a#b#c#']).error).toBe('ERR_PROTOCOL')
    expect(requests(['#a#b#c#', 'x']).requests).toHaveLength(1)
    expect(requests(['#a#b#c#', 'x']).error).toBe('ERR_PROTOCOL')
  })

  test('the whole frame counts against the limit, inclusive', () => {
    expect(requests(['#ab#c#d#'], undefined, 8).error).toBeUndefined()
    expect(requests(['#ab#c#d#'], undefined, 7).error).toBe('ERR_REQUEST_TOO_LARGE')
    expect(requests(['#ab#', 'c#d#'], undefined, 7).error).toBe('ERR_REQUEST_TOO_LARGE')
    expect(requests(['#'], { spliter: '#', count: 4 }, 3).error).toBe('ERR_REQUEST_TOO_LARGE')
  })

  test.each([
    { spliter: '##', count: 3 },
    { spliter: 'é', count: 3 },
    { spliter: 256, count: 3 },
    { spliter: '#', count: 1 },
    { spliter: '#', count: 3, keyIndex: 2 },
    { spliter: '#', count: 3, keyIndex: -1 },
  ])('rejects the options %o', (init) => {
    expect(() => new CountSpliterReceiveFilter(init)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => new CountSpliterReceiveFilterFactory(init)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })

  test('the factory makes fresh filters with its options', () => {
    const factory = new CountSpliterReceiveFilterFactory({ spliter: '|', count: 3, keyIndex: 1, encoding: 'latin1' })
    const filter = factory.createFilter()
    expect([filter.spliter, filter.count, filter.keyIndex, filter.encoding]).toEqual([0x7c, 3, 1, 'latin1'])
    expect(factory.createFilter()).not.toBe(filter)
  })
})
