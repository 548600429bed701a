import { fc, test } from '@fast-check/vitest'
import type { ReceiveFilter } from '@socketlite/socket-base'
import { describe, expect } from 'vitest'
import {
  BasicRequestInfoParser,
  BeginEndMarkReceiveFilter,
  BinaryTerminatorReceiveFilter,
  CommandLineReceiveFilter,
  CountSpliterReceiveFilter,
  FixedHeaderReceiveFilter,
  FixedSizeReceiveFilter,
  type LengthFieldLength,
  LengthFieldReceiveFilter,
  TerminatorReceiveFilter,
} from '../src/index.js'
import { chunk, chunkSizes, concat, decode, decodeBatched, plain } from './support.js'

/** One frame on the wire and the request it must give (as plain data). */
interface Frame {
  wire: Buffer
  expected: unknown
}
interface Scenario {
  make: () => ReceiveFilter<unknown>
  frames: Frame[]
}
interface Garbage {
  make: () => ReceiveFilter<unknown>
  bytes: Uint8Array
}
interface Kind {
  name: string
  scenario: fc.Arbitrary<Scenario>
  garbage: fc.Arbitrary<Garbage>
}

const bytesOf = (alphabet: string, maxLength: number) =>
  fc.array(fc.constantFrom(...Buffer.from(alphabet, 'latin1')), { maxLength }).map((bytes) => Buffer.from(bytes))
const nonEmpty = (alphabet: string, maxLength: number) =>
  fc.array(fc.constantFrom(...Buffer.from(alphabet, 'latin1')), { minLength: 1, maxLength }).map((b) => Buffer.from(b))
/** The bytes before `mark` form a valid frame only if the first occurrence of `mark` in `bytes ++ mark` is the end. */
const endsAtMark = (bytes: Buffer, mark: Buffer) => Buffer.concat([bytes, mark]).indexOf(mark) === bytes.length
const parsed = (line: string) => {
  const request = new BasicRequestInfoParser().parse(line)
  return { key: request.key, body: request.body, parameters: [...request.parameters] }
}

/** A 2-byte signed big-endian body length, then the body (a negative length is malformed). */
class Int16HeaderFilter extends FixedHeaderReceiveFilter<{ key: string; header: Buffer; body: Buffer }> {
  constructor() {
    super(2)
  }
  protected getBodyLengthFromHeader(header: Buffer): number {
    return header.readInt16BE(0)
  }
  protected resolveRequestInfo(header: Buffer, body: Buffer) {
    return { key: '', header, body }
  }
}

const lengthFieldOptions = fc
  .record({
    lengthFieldOffset: fc.integer({ min: 0, max: 3 }),
    lengthFieldLength: fc.constantFrom<LengthFieldLength>(1, 2, 3, 4, 8),
    byteOrder: fc.constantFrom<'be' | 'le'>('be', 'le'),
    lengthAdjustment: fc.integer({ min: -6, max: 6 }),
    stripExtra: fc.integer({ min: -12, max: 2 }),
  })
  .map(({ stripExtra, ...options }) => ({
    ...options,
    initialBytesToStrip: Math.max(0, options.lengthFieldOffset + options.lengthFieldLength + stripExtra),
  }))

function lengthFieldWire(
  options: { lengthFieldOffset: number; lengthFieldLength: number; byteOrder: 'be' | 'le'; lengthAdjustment: number },
  prefix: Buffer,
  after: Buffer,
): Buffer {
  const field = Buffer.alloc(options.lengthFieldLength)
  const value = after.length - options.lengthAdjustment
  if (options.lengthFieldLength === 8) {
    if (options.byteOrder === 'be') field.writeBigInt64BE(BigInt(value))
    else field.writeBigInt64LE(BigInt(value))
  } else if (options.byteOrder === 'be') field.writeUIntBE(value, 0, options.lengthFieldLength)
  else field.writeUIntLE(value, 0, options.lengthFieldLength)
  return Buffer.concat([prefix.subarray(0, options.lengthFieldOffset), field, after])
}

const kinds: Kind[] = [
  {
    name: 'TerminatorReceiveFilter',
    scenario: fc
      .record({ terminator: nonEmpty('ab', 3), lines: fc.array(bytesOf('ab ', 12), { maxLength: 8 }) })
      .map(({ terminator, lines }) => ({
        make: () => new TerminatorReceiveFilter({ terminator, encoding: 'latin1' }),
        frames: lines
          .filter((line) => endsAtMark(line, terminator))
          .map((line) => ({ wire: Buffer.concat([line, terminator]), expected: parsed(line.toString('latin1')) })),
      })),
    garbage: fc.record({ terminator: nonEmpty('ab', 3), bytes: bytesOf('ab ', 200) }).map(({ terminator, bytes }) => ({
      make: () => new TerminatorReceiveFilter({ terminator, encoding: 'latin1' }),
      bytes,
    })),
  },
  {
    name: 'CommandLineReceiveFilter',
    scenario: fc.array(bytesOf('A \r\n', 12), { maxLength: 8 }).map((lines) => ({
      make: () => new CommandLineReceiveFilter(),
      frames: lines
        .filter((line) => endsAtMark(line, Buffer.from('\r\n')))
        .map((line) => ({ wire: Buffer.concat([line, Buffer.from('\r\n')]), expected: parsed(line.toString()) })),
    })),
    garbage: fc.record({ bytes: bytesOf('A \r\n', 200) }).map(({ bytes }) => ({
      make: () => new CommandLineReceiveFilter(),
      bytes,
    })),
  },
  {
    name: 'BinaryTerminatorReceiveFilter',
    scenario: fc
      .record({ terminator: nonEmpty('\0\x01', 4), bodies: fc.array(bytesOf('\0\x01\x02', 12), { maxLength: 8 }) })
      .map(({ terminator, bodies }) => ({
        make: () => new BinaryTerminatorReceiveFilter({ terminator }),
        frames: bodies
          .filter((body) => endsAtMark(body, terminator))
          .map((body) => ({ wire: Buffer.concat([body, terminator]), expected: { key: '', body: [...body] } })),
      })),
    garbage: fc
      .record({ terminator: nonEmpty('\0\x01', 4), bytes: bytesOf('\0\x01\x02', 200) })
      .map(({ terminator, bytes }) => ({ make: () => new BinaryTerminatorReceiveFilter({ terminator }), bytes })),
  },
  {
    name: 'FixedSizeReceiveFilter',
    scenario: fc
      .integer({ min: 1, max: 9 })
      .chain((size) =>
        fc.record({
          size: fc.constant(size),
          bodies: fc.array(fc.uint8Array({ minLength: size, maxLength: size }), { maxLength: 10 }),
        }),
      )
      .map(({ size, bodies }) => ({
        make: () => new FixedSizeReceiveFilter({ size }),
        frames: bodies.map((body) => ({ wire: Buffer.from(body), expected: { key: '', body: [...body] } })),
      })),
    garbage: fc
      .record({ size: fc.integer({ min: 1, max: 80 }), bytes: fc.uint8Array({ maxLength: 200 }) })
      .map(({ size, bytes }) => ({ make: () => new FixedSizeReceiveFilter({ size }), bytes })),
  },
  {
    name: 'FixedHeaderReceiveFilter',
    scenario: fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 8 }).map((bodies) => ({
      make: () => new Int16HeaderFilter(),
      frames: bodies.map((body) => {
        const header = Buffer.alloc(2)
        header.writeInt16BE(body.length)
        return { wire: Buffer.concat([header, body]), expected: { key: '', header: [...header], body: [...body] } }
      }),
    })),
    garbage: fc.record({ bytes: fc.uint8Array({ maxLength: 200 }), small: fc.boolean() }).map(({ bytes, small }) => ({
      make: () => new Int16HeaderFilter(),
      // Small header values make many frames complete; arbitrary ones are mostly too large or negative.
      bytes: small ? bytes.map((byte, index) => (index % 4 === 0 ? byte & 0x80 : byte & 0x0f)) : bytes,
    })),
  },
  {
    name: 'LengthFieldReceiveFilter',
    scenario: fc
      .record({
        options: lengthFieldOptions,
        frames: fc.array(
          fc.record({ prefix: fc.uint8Array({ minLength: 3, maxLength: 3 }), after: fc.uint8Array({ maxLength: 20 }) }),
          {
            maxLength: 8,
          },
        ),
      })
      .map(({ options, frames }) => {
        const fieldEnd = options.lengthFieldOffset + options.lengthFieldLength
        const valid = frames.filter(
          ({ after }) =>
            after.length - options.lengthAdjustment >= 0 && options.initialBytesToStrip <= fieldEnd + after.length,
        )
        return {
          make: () => new LengthFieldReceiveFilter(options),
          frames: valid.map(({ prefix, after }) => {
            const wire = lengthFieldWire(options, Buffer.from(prefix), Buffer.from(after))
            const split = Math.max(options.initialBytesToStrip, fieldEnd)
            const header = wire.subarray(options.initialBytesToStrip, split)
            return { wire, expected: { key: '', body: [...wire.subarray(split)], header: [...header] } }
          }),
        }
      }),
    garbage: fc
      .record({ options: lengthFieldOptions, bytes: fc.uint8Array({ maxLength: 200 }), small: fc.boolean() })
      .map(({ options, bytes, small }) => ({
        make: () => new LengthFieldReceiveFilter(options),
        bytes: small ? bytes.map((byte) => byte & 0x07) : bytes,
      })),
  },
  {
    name: 'BeginEndMarkReceiveFilter',
    scenario: fc
      .record({
        beginMark: nonEmpty('ab', 3),
        endMark: nonEmpty('ab', 3),
        bodies: fc.array(bytesOf('abc', 12), { maxLength: 8 }),
      })
      .map(({ beginMark, endMark, bodies }) => ({
        make: () => new BeginEndMarkReceiveFilter({ beginMark, endMark }),
        frames: bodies
          .filter((body) => endsAtMark(body, endMark))
          .map((body) => ({ wire: Buffer.concat([beginMark, body, endMark]), expected: { key: '', body: [...body] } })),
      })),
    garbage: fc
      .record({ beginMark: nonEmpty('ab', 3), endMark: nonEmpty('ab', 3), bytes: bytesOf('abc', 200) })
      .map(({ beginMark, endMark, bytes }) => ({
        make: () => new BeginEndMarkReceiveFilter({ beginMark, endMark }),
        bytes,
      })),
  },
  {
    name: 'CountSpliterReceiveFilter',
    scenario: fc
      .integer({ min: 2, max: 5 })
      .chain((count) =>
        fc.record({
          count: fc.constant(count),
          keyIndex: fc.integer({ min: 0, max: count - 2 }),
          frames: fc.array(
            fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'é') }), {
              minLength: count - 1,
              maxLength: count - 1,
            }),
            {
              maxLength: 8,
            },
          ),
        }),
      )
      .map(({ count, keyIndex, frames }) => ({
        make: () => new CountSpliterReceiveFilter({ spliter: '#', count, keyIndex }),
        frames: frames.map((fields) => ({
          wire: Buffer.from(`#${fields.join('#')}#`),
          expected: { key: fields[keyIndex], body: fields.join('#'), parameters: fields },
        })),
      })),
    garbage: fc
      .record({ count: fc.integer({ min: 2, max: 6 }), bytes: bytesOf('#a', 200) })
      .map(({ count, bytes }) => ({ make: () => new CountSpliterReceiveFilter({ spliter: '#', count }), bytes })),
  },
]

const big = 1 << 20

describe.each(kinds)('$name', ({ scenario, garbage }) => {
  test.prop([scenario, chunkSizes])('decodes encoded frames under any chunking', ({ make, frames }, sizes) => {
    const stream = concat(frames.map((frame) => frame.wire))
    const chunked = decode(make(), chunk(stream, sizes), big)
    expect(chunked.error).toBeUndefined()
    expect(chunked.requests.map(plain)).toEqual(frames.map((frame) => frame.expected))
    expect(chunked.buffered).toBe(0)
    const whole = decode(make(), [stream], big)
    expect(whole.requests.map(plain)).toEqual(chunked.requests.map(plain))
  })

  test.prop([scenario, chunkSizes, fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 })])(
    'decodes the same when several chunks are pushed before each parse (unread chunks pile up)',
    ({ make, frames }, sizes, batches) => {
      const chunks = chunk(concat(frames.map((frame) => frame.wire)), sizes)
      const batched = decodeBatched(make(), chunks, batches, big)
      expect(batched.error).toBeUndefined()
      expect(batched.requests.map(plain)).toEqual(frames.map((frame) => frame.expected))
      expect(batched.buffered).toBe(0)
    },
  )

  test.prop([scenario, chunkSizes, fc.integer({ min: 1, max: 60 })])(
    'accepts frames up to maxRequestLength inclusive and rejects the first larger one, whatever the chunking',
    ({ make, frames }, sizes, max) => {
      const stream = concat(frames.map((frame) => frame.wire))
      const firstOver = frames.findIndex((frame) => frame.wire.length > max)
      const accepted = firstOver < 0 ? frames : frames.slice(0, firstOver)
      const result = decode(make(), chunk(stream, sizes), max)
      expect(result.requests.map(plain)).toEqual(accepted.map((frame) => frame.expected))
      expect(result.error).toBe(firstOver < 0 ? undefined : 'ERR_REQUEST_TOO_LARGE')
      expect(result.maxBuffered).toBeLessThanOrEqual(max)
    },
  )

  test.prop([scenario])('accepts a frame of exactly maxRequestLength bytes', ({ make, frames }) => {
    for (const frame of frames) {
      expect(decode(make(), [frame.wire], frame.wire.length).error).toBeUndefined()
      expect(decode(make(), chunk(frame.wire, [1]), frame.wire.length).requests.map(plain)).toEqual([frame.expected])
    }
  })

  test.prop([garbage, chunkSizes, fc.integer({ min: 1, max: 64 })])(
    'garbage gives only ProtocolErrors, never buffers past the limit, and decodes the same in one chunk',
    ({ make, bytes }, sizes, max) => {
      const chunked = decode(make(), chunk(bytes, sizes), max)
      expect([undefined, 'ERR_PROTOCOL', 'ERR_REQUEST_TOO_LARGE']).toContain(chunked.error)
      expect(chunked.maxBuffered).toBeLessThanOrEqual(max)
      const whole = decode(make(), [Buffer.from(bytes)], max)
      expect({ requests: chunked.requests.map(plain), error: chunked.error }).toEqual({
        requests: whole.requests.map(plain),
        error: whole.error,
      })
    },
  )
})
