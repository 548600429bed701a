import { fc, test } from '@fast-check/vitest'
import { describe, expect, vi } from 'vitest'
import {
  BasicRequestInfoParser,
  BinaryTerminatorReceiveFilter,
  BinaryTerminatorReceiveFilterFactory,
  CommandLineReceiveFilter,
  CommandLineReceiveFilterFactory,
  ReceivePipeline,
  TerminatorReceiveFilter,
  TerminatorReceiveFilterBase,
  TerminatorReceiveFilterFactory,
} from '../src/index.js'
import { chunk, decode } from './support.js'

const big = 1 << 20
const text = (chunks: string[]) => chunks.map((part) => Buffer.from(part, 'latin1'))
const bodies = (terminator: string, chunks: string[], max = big) => {
  const result = decode(new BinaryTerminatorReceiveFilter({ terminator }), text(chunks), max)
  return { frames: result.requests.map((request) => request.body.toString('latin1')), error: result.error }
}

describe('TerminatorReceiveFilter: SuperSocket B6 mis-splits', () => {
  test('a partial terminator followed by a fresh full one', () => {
    expect(bodies('\r\n', ['abc\r', '\r\n', 'def\r\n'])).toEqual({ frames: ['abc\r', 'def'], error: undefined })
    expect(bodies('\r\n', ['abc\r\r\ndef\r\n']).frames).toEqual(['abc\r', 'def'])
  })

  test("self-overlapping '\\r\\n\\r\\n' across chunks", () => {
    expect(bodies('\r\n\r\n', ['A\r\n\r', '\r\n\r\nB\r\n\r\n']).frames).toEqual(['A\r\n\r', 'B'])
    expect(bodies('\r\n\r\n', ['A\r\n', '\r', '\n', 'B\r\n\r\n']).frames).toEqual(['A', 'B'])
  })

  test("self-overlapping 'aab' across chunks", () => {
    expect(bodies('aab', ['xaa', 'ab', 'yaab']).frames).toEqual(['xa', 'y'])
    expect(bodies('aab', ['xaaab', 'yaab']).frames).toEqual(['xa', 'y'])
    expect(bodies('aab', ['x', 'a', 'a', 'a', 'b', 'y', 'a', 'a', 'b']).frames).toEqual(['xa', 'y'])
  })

  test('a long line gathered over many chunks, then a terminator at the start of a later chunk', () => {
    const line = 'x'.repeat(10_000)
    const chunks = [line.slice(0, 4096), line.slice(4096, 8192), line.slice(8192), '\r\nNEXT\r', '\nLAST\r\n']
    expect(bodies('\r\n', chunks).frames).toEqual([line, 'NEXT', 'LAST'])
  })
})

describe('TerminatorReceiveFilter', () => {
  test('parses lines with the parser; an empty line is a request with key ""', () => {
    const { requests } = decode(new CommandLineReceiveFilter(), text(['ECHO a b\r\n\r\nPI', 'NG\r\n']), big)
    expect(requests.map((request) => [request.key, request.body, request.parameters])).toEqual([
      ['ECHO', 'a b', ['a', 'b']],
      ['', '', []],
      ['PING', '', []],
    ])
  })

  test('decodes multi-byte characters split between chunks', () => {
    const bytes = Buffer.from('SAY héllo wörld ✓\r\n')
    const chunks = [...bytes].map((byte) => Buffer.of(byte))
    const { requests } = decode(new CommandLineReceiveFilter(), chunks, big)
    expect(requests.map((request) => request.body)).toEqual(['héllo wörld ✓'])
  })

  test('encodes a string terminator with the encoding and decodes frames with it', () => {
    const filter = new TerminatorReceiveFilter({ terminator: '\n', encoding: 'utf16le' })
    expect([...filter.terminator]).toEqual([0x0a, 0x00])
    const { requests } = decode(filter, [Buffer.from('KEY vä\nX\n', 'utf16le')], big)
    expect(requests.map((request) => [request.key, request.body])).toEqual([
      ['KEY', 'vä'],
      ['X', ''],
    ])
  })

  test('accepts a byte terminator and a custom parser', () => {
    const filter = new TerminatorReceiveFilter({
      terminator: Uint8Array.of(0),
      parser: new BasicRequestInfoParser(':'),
    })
    const { requests } = decode(filter, [Buffer.from('GET:a b\0')], big)
    expect(requests.map((request) => [request.key, request.body, request.parameters])).toEqual([
      ['GET', 'a b', ['a', 'b']],
    ])
  })

  test('hands out a frame that lies in one chunk as a view of it, and copies gathered frames once', () => {
    const chunk = Buffer.alloc(11)
    chunk.write('one\ntwo\nthr', 'latin1')
    const pipeline = new ReceivePipeline(new BinaryTerminatorReceiveFilter({ terminator: '\n' }), {
      maxRequestLength: 100,
    })
    pipeline.push(chunk)
    const first = pipeline.next()
    expect(first?.body.buffer).toBe(chunk.buffer)
    expect(first?.body.byteOffset).toBe(chunk.byteOffset)
    expect(pipeline.next()?.body.toString()).toBe('two')
    expect(pipeline.next()).toBeUndefined()
    const last = Buffer.alloc(3)
    last.write('ee\n')
    pipeline.push(last)
    const gathered = pipeline.next()
    chunk.fill(0)
    last.fill(0)
    expect(gathered?.body.toString('latin1')).toBe('three')
    expect(first?.body.toString()).toBe('\0\0\0') // a view: the caller must not reuse pushed chunks
  })

  test('counts the terminator in the limit, inclusive, whatever the chunking', () => {
    expect(bodies('\r\n', ['abc\r\n'], 5)).toEqual({ frames: ['abc'], error: undefined })
    expect(bodies('\r\n', ['abc\r\n'], 4).error).toBe('ERR_REQUEST_TOO_LARGE')
    expect(bodies('\r\n', ['ab', 'c\r', '\n'], 4).error).toBe('ERR_REQUEST_TOO_LARGE')
    expect(bodies('\r\n', ['ab', 'c\r', '\n'], 5).frames).toEqual(['abc'])
    expect(bodies('aab', ['xaa', 'ab'], 5)).toEqual({ frames: ['xa'], error: undefined })
    expect(bodies('aab', ['xaa', 'ab'], 4).error).toBe('ERR_REQUEST_TOO_LARGE')
  })

  test('rejects held bytes as soon as they reach the limit without a terminator', () => {
    const pipeline = new ReceivePipeline(new CommandLineReceiveFilter(), { maxRequestLength: 5 })
    pipeline.push(Buffer.from('abcd'))
    expect(pipeline.next()).toBeUndefined()
    expect(pipeline.bufferedBytes).toBe(4)
    pipeline.push(Buffer.from('e'))
    expect(() => pipeline.next()).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_TOO_LARGE' }))
  })

  test('rejects invalid options', () => {
    const invalid = [
      () => new TerminatorReceiveFilter({ terminator: '' }),
      () => new TerminatorReceiveFilter({ terminator: new Uint8Array(0) }),
      () => new TerminatorReceiveFilter({ terminator: 5 as unknown as string }),
      () => new TerminatorReceiveFilterFactory({ terminator: '\n', encoding: 'klingon' as 'utf8' }),
      () => new CommandLineReceiveFilterFactory({ encoding: 'nope' as 'utf8' }),
      () => new BinaryTerminatorReceiveFilterFactory({ terminator: '' }),
    ]
    for (const make of invalid) expect(make).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })

  test('factories make a new filter per session with their options', () => {
    const factory = new TerminatorReceiveFilterFactory({ terminator: '##', encoding: 'latin1' })
    const one = factory.createFilter()
    const two = factory.createFilter()
    expect(one).not.toBe(two)
    expect(one.terminator.toString()).toBe('##')
    expect(one.encoding).toBe('latin1')
    expect(new CommandLineReceiveFilterFactory().createFilter()).toBeInstanceOf(CommandLineReceiveFilter)
    expect(new BinaryTerminatorReceiveFilterFactory({ terminator: '\0' }).createFilter()).toBeInstanceOf(
      BinaryTerminatorReceiveFilter,
    )
  })

  test('filters take their options as they are, and a text filter still never keeps its terminator', () => {
    // A factory's options are made once and frozen; its filters use them without a copy per session.
    const factory = new CommandLineReceiveFilterFactory({ encoding: 'latin1' })
    const lines = decode(factory.createFilter(), text(['ECHO a\r\nPING\r', '\n']), big).requests
    expect(lines.map((request) => [request.key, request.body])).toEqual([
      ['ECHO', 'a'],
      ['PING', ''],
    ])
    // Options a caller keeps and changes afterwards are read anew by each filter.
    const options: { encoding: 'utf8' | 'latin1' } = { encoding: 'utf8' }
    expect(new CommandLineReceiveFilter(options).encoding).toBe('utf8')
    options.encoding = 'latin1'
    expect(new CommandLineReceiveFilter(options).encoding).toBe('latin1')
    // keepTerminator is not an option of the text filter (its request is the decoded line), even from JavaScript.
    const keeping = { terminator: '\r\n', keepTerminator: true } as unknown as ConstructorParameters<
      typeof TerminatorReceiveFilter
    >[0]
    expect(decode(new TerminatorReceiveFilter(keeping), text(['ECHO x\r\n']), big).requests[0]?.body).toBe('x')
  })

  const letters = { min: 0x61, max: 0x63 }
  test.prop([
    fc.uint8Array({ ...letters, minLength: 1, maxLength: 4 }),
    fc.uint8Array({ ...letters, maxLength: 200 }),
    fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
  ])('splits like a reference search over the whole stream', (terminator, stream, sizes) => {
    const expected: string[] = []
    const term = Buffer.from(terminator)
    let rest = Buffer.from(stream)
    for (let at = rest.indexOf(term); at >= 0; at = rest.indexOf(term)) {
      expected.push(rest.subarray(0, at).toString('latin1'))
      rest = rest.subarray(at + term.length)
    }
    const result = decode(new BinaryTerminatorReceiveFilter({ terminator }), chunk(stream, sizes), big)
    expect(result.requests.map((request) => request.body.toString('latin1'))).toEqual(expected)
    expect(result.buffered).toBe(rest.length)
    // keepTerminator: the same frames, each with its terminator (the bytes exactly as they came).
    const kept = decode(new FramesWithTerminator({ terminator, keepTerminator: true }), chunk(stream, sizes), big)
    expect(kept.requests.map((frame) => frame.toString('latin1'))).toEqual(
      expected.map((frame) => frame + term.toString('latin1')),
    )
    expect(kept.buffered).toBe(rest.length)
  })
})

/** A subclass that keeps each frame whole: its terminator included. */
class FramesWithTerminator extends TerminatorReceiveFilterBase<Buffer> {
  protected resolveRequestInfo(frame: Buffer): Buffer {
    return frame
  }
}

describe('keepTerminator (for subclasses)', () => {
  test('frames come with their terminator, also when it straddles chunks or overlaps itself', () => {
    const frames = (terminator: string, chunks: string[]) =>
      decode(new FramesWithTerminator({ terminator, keepTerminator: true }), text(chunks), big).requests.map((frame) =>
        frame.toString('latin1'),
      )
    expect(frames('\r\n', ['abc\r', '\r\n', 'def\r\n'])).toEqual(['abc\r\r\n', 'def\r\n'])
    expect(frames('\r\n\r\n', ['A\r\n', '\r', '\n', 'B\r\n\r\n'])).toEqual(['A\r\n\r\n', 'B\r\n\r\n'])
    expect(frames('aab', ['x', 'a', 'a', 'a', 'b', 'y', 'a', 'a', 'b'])).toEqual(['xaaab', 'yaab'])
  })

  test('a frame in one chunk is a view of it; the limit counts the terminator as before', () => {
    const chunk = Buffer.from('one\r\ntwo\r\n')
    const pipeline = new ReceivePipeline(new FramesWithTerminator({ terminator: '\r\n', keepTerminator: true }), {
      maxRequestLength: 5,
    })
    pipeline.push(chunk)
    const first = pipeline.next() as Buffer
    expect(first.toString()).toBe('one\r\n')
    expect(first.buffer).toBe(chunk.buffer)
    expect(pipeline.next()?.toString()).toBe('two\r\n')
    pipeline.push(Buffer.from('three\r\n'))
    expect(() => pipeline.next()).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_TOO_LARGE' }))
  })

  test('the text filter never keeps it', () => {
    const filter = new TerminatorReceiveFilter({ terminator: '\n', keepTerminator: true } as never)
    const result = decode(filter, text(['ECHO a\n']), big)
    expect(result.requests.map((request) => request.body)).toEqual(['a'])
  })
})

test('a factory is not affected by later changes to the terminator array it was given', () => {
  const terminator = Uint8Array.of(0x0a)
  const factory = new BinaryTerminatorReceiveFilterFactory({ terminator })
  terminator[0] = 0x7c
  expect([...factory.createFilter().terminator]).toEqual([0x0a])
})

describe('a terminator passed per filter is shared by content', () => {
  class LineFrames extends TerminatorReceiveFilterBase<string> {
    constructor(terminator: string | Uint8Array) {
      super({ terminator, keepTerminator: true })
    }
    protected resolveRequestInfo(frame: Buffer): string {
      return frame.toString('latin1')
    }
  }

  test('filters made with equal terminators share one buffer and each parses on its own', () => {
    const one = new LineFrames(Uint8Array.of(0x0d, 0x0a))
    const two = new LineFrames(Buffer.from('\r\n'))
    const three = new LineFrames('\r\n')
    expect(two.terminator).toBe(one.terminator)
    expect(three.terminator).toBe(one.terminator)
    expect(new LineFrames('\n').terminator).not.toBe(one.terminator)
    expect(new TerminatorReceiveFilter({ terminator: '\r\n' }).terminator).toBe(one.terminator)
    const first = decode(one, text(['a\r', '\nb\r\nc']), big)
    const second = decode(two, text(['x\r\ny', '\r\n']), big)
    expect(first.requests).toEqual(['a\r\n', 'b\r\n'])
    expect(second.requests).toEqual(['x\r\n', 'y\r\n'])
    expect([...one.terminator]).toEqual([0x0d, 0x0a])
  })

  test('a filter is not affected by later changes to the array it was given', () => {
    const terminator = Uint8Array.of(0x7c, 0x7c)
    const filter = new LineFrames(terminator)
    terminator[0] = 0x0a
    terminator[1] = 0x0a
    expect(filter.terminator).not.toBe(terminator)
    expect([...filter.terminator]).toEqual([0x7c, 0x7c])
    expect(decode(filter, text(['a\n\n||b||']), big).requests).toEqual(['a\n\n||', 'b||'])
    expect([...new LineFrames(terminator).terminator]).toEqual([0x0a, 0x0a])
  })

  test('the same array or string passed again finds its mark without encoding it again', () => {
    const terminator = Buffer.from('#;')
    const first = new LineFrames(terminator)
    const firstText = new LineFrames(';#')
    const from = vi.spyOn(Buffer, 'from')
    try {
      expect(new LineFrames(terminator).terminator).toBe(first.terminator)
      expect(new LineFrames(';#').terminator).toBe(firstText.terminator)
      expect(from).not.toHaveBeenCalled()
      terminator[0] = 0x2f // changed since: its mark is made again from the new bytes
      expect([...new LineFrames(terminator).terminator]).toEqual([0x2f, 0x3b])
      expect(from).toHaveBeenCalled()
    } finally {
      from.mockRestore()
    }
  })

  test('a view into a larger array is read from its own range', () => {
    const backing = Uint8Array.of(0x41, 0x3b, 0x3b, 0x42)
    const filter = new LineFrames(backing.subarray(1, 3))
    expect([...filter.terminator]).toEqual([0x3b, 0x3b])
    expect(filter.terminator.buffer.byteLength).toBe(2)
    expect(decode(filter, text(['x;;y;;']), big).requests).toEqual(['x;;', 'y;;'])
  })

  test('a long terminator gets a copy of its own, still correct', () => {
    const long = `${'-'.repeat(100)}\n`
    const one = new LineFrames(long)
    const two = new LineFrames(long)
    expect(two.terminator).not.toBe(one.terminator)
    expect(one.terminator.toString('latin1')).toBe(long)
    expect(decode(two, text([`a${long}b`, long]), big).requests).toEqual([`a${long}`, `b${long}`])
  })
})
