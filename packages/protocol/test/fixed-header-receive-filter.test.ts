import { describe, expect, test } from 'vitest'
import { FixedHeaderReceiveFilter, ReceivePipeline } from '../src/index.js'
import { decode } from './support.js'

/** A 3-byte header: 1 type byte, then a 2-byte big-endian body length given by `lengthOf` (default: read it). */
class TypedFilter extends FixedHeaderReceiveFilter<{ key: string; type: number; body: Buffer; header: Buffer }> {
  readonly lengthOf: (header: Buffer) => number
  constructor(lengthOf: (header: Buffer) => number = (header) => header.readUInt16BE(1)) {
    super(3)
    this.lengthOf = lengthOf
  }
  protected getBodyLengthFromHeader(header: Buffer): number {
    return this.lengthOf(header)
  }
  protected resolveRequestInfo(header: Buffer, body: Buffer) {
    return { key: String(header[0]), type: header[0] as number, body, header }
  }
}
const frame = (type: number, body: string) => {
  const header = Buffer.of(type, 0, 0)
  header.writeUInt16BE(Buffer.byteLength(body), 1)
  return Buffer.concat([header, Buffer.from(body)])
}

describe('FixedHeaderReceiveFilter', () => {
  test('reads header then body, over any split', () => {
    const stream = Buffer.concat([frame(1, 'hello'), frame(2, 'x')])
    for (let cut = 0; cut <= stream.length; cut++) {
      const { requests } = decode(new TypedFilter(), [stream.subarray(0, cut), stream.subarray(cut)], 64)
      expect(requests.map((request) => [request.type, request.body.toString()])).toEqual([
        [1, 'hello'],
        [2, 'x'],
      ])
    }
  })

  test('B11: a zero-length body is an empty buffer, never null', () => {
    const { requests, error } = decode(new TypedFilter(), [Buffer.concat([frame(7, ''), frame(8, '')])], 64)
    expect(error).toBeUndefined()
    expect(requests).toHaveLength(2)
    for (const request of requests) {
      expect(Buffer.isBuffer(request.body)).toBe(true)
      expect(request.body.length).toBe(0)
    }
  })

  test.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['not a number', '3' as unknown as number],
  ])('a %s body length is ERR_PROTOCOL', (_name, length) => {
    expect(decode(new TypedFilter(() => length), [Buffer.of(1, 2, 3, 4)], 64).error).toBe('ERR_PROTOCOL')
  })

  test('a header that declares too much is rejected before its body arrives; exactly the limit is accepted', () => {
    const pipeline = new ReceivePipeline(new TypedFilter(), { maxRequestLength: 100 })
    pipeline.push(Buffer.of(1, 0, 98))
    expect(() => pipeline.next()).toThrow(expect.objectContaining({ code: 'ERR_REQUEST_TOO_LARGE' }))
    expect(pipeline.bufferedBytes).toBe(0)
    const exact = frame(1, 'x'.repeat(97))
    expect(decode(new TypedFilter(), [exact.subarray(0, 50), exact.subarray(50)], 100).requests).toHaveLength(1)
    expect(decode(new TypedFilter(), [Buffer.of(1, 0xff, 0xff)], 100).error).toBe('ERR_REQUEST_TOO_LARGE')
  })

  test('a header larger than the limit is rejected at the first byte', () => {
    expect(decode(new TypedFilter(), [Buffer.of(1)], 2).error).toBe('ERR_REQUEST_TOO_LARGE')
  })

  test('header and body that lie in one chunk are views of it; a body gathered from chunks is a fresh copy', () => {
    const chunk = Buffer.alloc(8)
    frame(4, 'abcde').copy(chunk)
    const pipeline = new ReceivePipeline(new TypedFilter(), { maxRequestLength: 64 })
    pipeline.push(chunk)
    const request = pipeline.next()
    expect(request?.body.buffer).toBe(chunk.buffer)
    expect(request?.header.buffer).toBe(chunk.buffer)
    const split = frame(5, 'split body')
    const parts = [Buffer.from(split.subarray(0, 6)), Buffer.from(split.subarray(6))]
    for (const part of parts) pipeline.push(part)
    const gathered = pipeline.next()
    for (const part of parts) part.fill(0)
    expect(gathered?.body.toString()).toBe('split body')
  })

  test('a frame whose body goes on in later chunks keeps no view of its first chunk: one copy of the frame', () => {
    const chunk = Buffer.alloc(4096, 0xee) // a read: frames, then the start of one that goes on
    const split = frame(7, 'gathered body')
    split.copy(chunk, chunk.length - 6, 0, 6)
    const pipeline = new ReceivePipeline(
      new TypedFilter((header) => (header[0] === 0xee ? 4096 - 6 - 3 : header.readUInt16BE(1))),
      { maxRequestLength: 8192 },
    )
    pipeline.push(chunk)
    expect(pipeline.next()?.body.buffer).toBe(chunk.buffer)
    expect(pipeline.next()).toBeUndefined()
    expect(pipeline.bufferedBytes).toBe(6)
    pipeline.push(Buffer.from(split.subarray(6)))
    chunk.fill(0)
    const request = pipeline.next()
    expect([request?.type, request?.body.toString()]).toEqual([7, 'gathered body'])
    expect(request?.header.buffer).toBe(request?.body.buffer)
    expect(request?.header.buffer).not.toBe(chunk.buffer)
  })

  test('leftBufferSize counts the header while the body is awaited', () => {
    const pipeline = new ReceivePipeline(new TypedFilter(), { maxRequestLength: 64 })
    pipeline.push(frame(1, 'abcdef').subarray(0, 5))
    expect(pipeline.next()).toBeUndefined()
    expect(pipeline.bufferedBytes).toBe(5)
    pipeline.reset()
    expect(pipeline.bufferedBytes).toBe(0)
  })

  test('rejects a headerSize that is not a positive integer', () => {
    class Bad extends FixedHeaderReceiveFilter<unknown> {
      protected getBodyLengthFromHeader(): number {
        return 0
      }
      protected resolveRequestInfo(): unknown {
        return {}
      }
    }
    for (const size of [0, -3, 1.5]) {
      expect(() => new Bad(size)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    }
  })
})
