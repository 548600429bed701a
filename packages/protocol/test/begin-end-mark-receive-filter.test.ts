import { describe, expect, test } from 'vitest'
import {
  BasicRequestInfoParser,
  BeginEndMarkReceiveFilter,
  BeginEndMarkReceiveFilterFactory,
  ReceivePipeline,
  StringBeginEndMarkReceiveFilter,
  StringBeginEndMarkReceiveFilterFactory,
} from '../src/index.js'
import { decode } from './support.js'

const marks = { beginMark: 'BEGIN', endMark: 'END' }
const bodies = (chunks: string[], max = 1024, init = marks) => {
  const result = decode(
    new BeginEndMarkReceiveFilter(init),
    chunks.map((part) => Buffer.from(part)),
    max,
  )
  return { bodies: result.requests.map((request) => request.body.toString()), error: result.error }
}

describe('BeginEndMarkReceiveFilter', () => {
  test('B9: a begin mark of 5 bytes split over 5 chunks', () => {
    expect(bodies(['B', 'E', 'G', 'I', 'Nhello', 'E', 'N', 'D'])).toEqual({ bodies: ['hello'], error: undefined })
    expect(bodies(['BE', 'GI', 'NxEND', 'BEGINyEND'])).toEqual({ bodies: ['x', 'y'], error: undefined })
  })

  test('end marks that straddle chunks, including self-overlapping ones', () => {
    expect(bodies(['<<abaab<', '<xaa', 'a', 'b'], 1024, { beginMark: '<<', endMark: 'aab' }).bodies).toEqual([
      'ab',
      'xa',
    ])
    expect(bodies(['<<xaa', 'ab'], 1024, { beginMark: '<<', endMark: 'aab' }).bodies).toEqual(['xa'])
  })

  test('one junk policy: any byte outside a frame is ERR_PROTOCOL, however it is chunked', () => {
    for (const chunks of [
      ['junk'],
      ['junkBEGINxEND'],
      ['ju', 'nkBEG'],
      ['BEGINxENDjunk'],
      ['BEGINxEND', 'j'],
      ['BEG', 'junk'],
      ['BEGINxEND', 'BEGX'],
    ]) {
      const result = bodies(chunks)
      expect(result.error, chunks.join('|')).toBe('ERR_PROTOCOL')
      expect(result.bodies).toEqual(chunks.join('').startsWith('BEGINxEND') ? ['x'] : [])
    }
  })

  test('an empty body and identical marks', () => {
    expect(bodies(['BEGINENDBEGINabcEND']).bodies).toEqual(['', 'abc'])
    expect(bodies(['#a#', '#', '#', '#b#'], 1024, { beginMark: '#', endMark: '#' }).bodies).toEqual(['a', '', 'b'])
  })

  test('counts both marks in the limit, inclusive, and rejects an unfinished frame at the limit', () => {
    expect(bodies(['BEGINabEND'], 10).error).toBeUndefined()
    expect(bodies(['BEGINabEND'], 9).error).toBe('ERR_REQUEST_TOO_LARGE')
    expect(bodies(['BEGIN', 'ab', 'EN', 'D'], 9).error).toBe('ERR_REQUEST_TOO_LARGE')
    expect(bodies(['B'], 7).error).toBe('ERR_REQUEST_TOO_LARGE')
    const pipeline = new ReceivePipeline(new BeginEndMarkReceiveFilter(marks), { maxRequestLength: 10 })
    pipeline.push(Buffer.from('BEGINabcd'))
    expect(pipeline.next()).toBeUndefined()
    expect(pipeline.bufferedBytes).toBe(9)
    pipeline.push(Buffer.from('E'))
    expect(() => pipeline.next()).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_TOO_LARGE' }))
  })

  test('a body inside one chunk is a view of it', () => {
    const chunk = Buffer.alloc(12)
    chunk.write('BEGINabcEND')
    const pipeline = new ReceivePipeline(new BeginEndMarkReceiveFilter(marks), { maxRequestLength: 64 })
    pipeline.push(chunk)
    const request = pipeline.next()
    expect(request?.body.buffer).toBe(chunk.buffer)
    expect(request?.body.byteOffset).toBe(chunk.byteOffset + 5)
  })

  test('byte marks and the string variant with a parser', () => {
    const binary = decode(
      new BeginEndMarkReceiveFilter({ beginMark: Uint8Array.of(0x02), endMark: Uint8Array.of(0x00, 0xff) }),
      [Buffer.of(0x02, 0x41, 0x00), Buffer.of(0xff)],
      64,
    )
    expect(binary.requests.map((request) => [...request.body])).toEqual([[0x41]])
    const text = decode(
      new StringBeginEndMarkReceiveFilter({
        beginMark: '[',
        endMark: ']',
        parser: new BasicRequestInfoParser(':', ','),
      }),
      [Buffer.from('[SET:a,b][PING]')],
      64,
    )
    expect(text.requests.map((request) => [request.key, request.parameters])).toEqual([
      ['SET', ['a', 'b']],
      ['PING', []],
    ])
  })

  test('rejects empty marks and unknown encodings; factories make fresh filters', () => {
    for (const make of [
      () => new BeginEndMarkReceiveFilter({ beginMark: '', endMark: 'x' }),
      () => new BeginEndMarkReceiveFilterFactory({ beginMark: 'x', endMark: new Uint8Array(0) }),
      () => new StringBeginEndMarkReceiveFilterFactory({ beginMark: 'x', endMark: 'y', encoding: 'nope' as 'utf8' }),
    ]) {
      expect(make).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    }
    const factory = new BeginEndMarkReceiveFilterFactory(marks)
    expect(factory.createFilter()).not.toBe(factory.createFilter())
    expect(factory.createFilter().beginMark.toString()).toBe('BEGIN')
    expect(new StringBeginEndMarkReceiveFilterFactory(marks).createFilter()).toBeInstanceOf(
      StringBeginEndMarkReceiveFilter,
    )
  })
})

test('filters with equal marks share them, and a mark array changed later reaches none of them', () => {
  const begin = Uint8Array.of(0x3c, 0x3c)
  const one = new BeginEndMarkReceiveFilter({ beginMark: begin, endMark: '>>' })
  const two = new BeginEndMarkReceiveFilter({ beginMark: '<<', endMark: Buffer.from('>>') })
  begin[0] = 0x7b
  expect(two.beginMark).toBe(one.beginMark)
  expect(two.endMark).toBe(one.endMark)
  expect(one.beginMark.toString()).toBe('<<')
  const body = (filter: BeginEndMarkReceiveFilter, chunks: string[]) =>
    decode(
      filter,
      chunks.map((part) => Buffer.from(part)),
      1024,
    ).requests.map((request) => request.body.toString())
  expect(body(one, ['<<a>', '><<b>>'])).toEqual(['a', 'b'])
  expect(body(two, ['<<c>><', '<d>>'])).toEqual(['c', 'd'])
})
