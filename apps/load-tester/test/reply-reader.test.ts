import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import {
  defaultFraming,
  encodeFrame,
  type Framing,
  type LengthFieldLength,
  LoadOptionError,
  maxReplyBytes,
  type ReplyExpectation,
  ReplyFormat,
  ReplyReader,
  type ReplySink,
  resolveReplyExpectation,
} from '../src/index.js'

/** What a sink saw: `true` per accepted reply, `false` per rejected one, then `broken` if it broke. */
function recordingSink(): ReplySink & { seen: boolean[]; brokenReason: string | undefined } {
  const sink = {
    seen: [] as boolean[],
    brokenReason: undefined as string | undefined,
    accepted(count: number) {
      expect(count).toBeGreaterThan(0)
      for (let index = 0; index < count; index++) sink.seen.push(true)
    },
    rejected() {
      sink.seen.push(false)
    },
    broken(reason: string) {
      sink.brokenReason = reason
    },
  }
  return sink
}

/** A shared read buffer full of stale bytes, as the engine's `onread` buffer is. */
const readBuffer = Buffer.alloc(70_000, 0x24)

/** Feeds `stream` to `reader` in the given chunk sizes, each copied to the start of the stale read buffer. */
function feed(reader: ReplyReader, stream: Uint8Array, cuts: readonly number[], sink: ReplySink): void {
  let position = 0
  let cut = 0
  while (position < stream.length) {
    const size = Math.min(stream.length - position, Math.max(1, cuts[cut++ % Math.max(1, cuts.length)] ?? 1))
    readBuffer.set(stream.subarray(position, position + size), 0)
    reader.push(readBuffer, 0, size, sink)
    position += size
  }
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value)

/** A framing under test, and how to frame a payload the way a server would (count-spliter: fields joined). */
interface Case {
  readonly name: string
  readonly framing: Framing
  /** Bytes a payload may use (no terminator, marks or spliter). */
  readonly alphabet: string
  /** Fixed-size and raw replies must all have one length. */
  readonly fixedLength?: number
  readonly frame: (payload: Uint8Array) => Uint8Array
}

const letters = 'abcdefghijklmnopqrstuvwxyz0123456789 +-OK'

function framingCase(name: string, changes: Partial<Framing>, fixedLength?: number): Case {
  const framing: Framing = { ...defaultFraming, ...changes }
  return {
    name,
    framing,
    alphabet: letters,
    ...(fixedLength === undefined ? {} : { fixedLength }),
    frame: (payload) => encodeFrame(payload, framing),
  }
}

const cases: Case[] = [
  framingCase('line', { protocol: 'line' }),
  framingCase('terminator ##', { protocol: 'terminator', terminator: text('##') }),
  framingCase('terminator \\r\\n\\r\\n', { protocol: 'terminator', terminator: text('\r\n\r\n') }),
  framingCase('fixed-size', { protocol: 'fixed-size' }, 6),
  framingCase('begin-end', { protocol: 'begin-end', beginMark: text('<<'), endMark: text('>>') }),
  ...([1, 2, 3, 4, 8] as LengthFieldLength[]).map((width) =>
    framingCase(`length-field ${width} le`, {
      protocol: 'length-field',
      lengthFieldLength: width,
      byteOrder: 'le',
      lengthFieldOffset: 1,
      lengthAdjustment: -1,
    }),
  ),
  framingCase('length-field 2 be', { protocol: 'length-field', lengthFieldLength: 2 }),
  {
    name: 'count-spliter 4',
    framing: { ...defaultFraming, protocol: 'count-spliter', count: 4 },
    alphabet: letters,
    frame: (payload) => Uint8Array.from([0x23, ...payload, 0x23]),
  },
]

/** A payload of `case`: count-spliter payloads are `count − 1` fields joined by the spliter. */
function payloadArbitrary(testCase: Case): fc.Arbitrary<string> {
  const chars = fc.constantFrom(...testCase.alphabet.split(''))
  if (testCase.framing.protocol === 'count-spliter') {
    return fc
      .array(fc.string({ unit: chars, maxLength: 5 }), {
        minLength: testCase.framing.count - 1,
        maxLength: testCase.framing.count - 1,
      })
      .map((fields) => fields.join('#'))
  }
  if (testCase.fixedLength !== undefined) {
    return fc.string({ unit: chars, minLength: testCase.fixedLength, maxLength: testCase.fixedLength })
  }
  return fc.string({ unit: chars, maxLength: 12 })
}

function expectationOf(kind: 'exact' | 'match' | 'any', good: string): ReplyExpectation {
  if (kind === 'exact') return { kind: 'exact', payload: good }
  if (kind === 'match') return { kind: 'match', pattern: `^${good.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` }
  return { kind: 'any' }
}

describe('ReplyReader against a model: every framing, every expectation, any chunking', () => {
  for (const testCase of cases) {
    test.prop(
      [
        payloadArbitrary(testCase),
        fc.array(fc.tuple(fc.boolean(), payloadArbitrary(testCase)), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('exact' as const, 'match' as const, 'any' as const),
      ],
      { numRuns: 60 },
    )(testCase.name, (good, replies, cuts, kind) => {
      const expectation = resolveReplyExpectation(expectationOf(kind, good), testCase.framing)
      const format = new ReplyFormat(testCase.framing, expectation, testCase.fixedLength ?? 0)
      const reader = new ReplyReader(format)
      const sink = recordingSink()
      const model: boolean[] = []
      const parts: Uint8Array[] = []
      for (const [useGood, other] of replies) {
        const payload = useGood ? good : other
        parts.push(testCase.frame(text(payload)))
        model.push(kind === 'any' || payload === good)
      }
      feed(reader, Buffer.concat(parts), cuts, sink)
      expect(sink.brokenReason).toBeUndefined()
      expect(sink.seen).toEqual(model)
    })
  }

  test.prop([
    fc.array(fc.boolean(), { maxLength: 60 }),
    fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 10 }),
  ])('raw, exact: equal-length replies, good or not', (pattern, cuts) => {
    const framing: Framing = { ...defaultFraming, protocol: 'raw' }
    const expectation = resolveReplyExpectation({ kind: 'exact', payload: 'PONG' }, framing)
    const reader = new ReplyReader(new ReplyFormat(framing, expectation, 4))
    const sink = recordingSink()
    feed(reader, text(pattern.map((good) => (good ? 'PONG' : 'PANG')).join('')), cuts, sink)
    expect(sink.seen).toEqual(pattern)
  })
})

describe('ReplyReader edge cases', () => {
  test('the fast path leaves on a difference and comes back at the next frame boundary', () => {
    const framing: Framing = { ...defaultFraming, protocol: 'line' }
    const reader = new ReplyReader(
      new ReplyFormat(framing, resolveReplyExpectation({ kind: 'exact', payload: '+PONG' }, framing), 6),
    )
    const sink = recordingSink()
    feed(reader, text('+PONG\r\n+PO'), [9], sink)
    feed(reader, text('NG\r\n-ERR unknown\r\n+PONG\r\n+PONG\r\n'), [100], sink)
    expect(sink.seen).toEqual([true, true, false, true, true])
  })

  test('a length field over the limit breaks the stream', () => {
    const framing: Framing = { ...defaultFraming, protocol: 'length-field', lengthFieldLength: 4 }
    const reader = new ReplyReader(new ReplyFormat(framing, resolveReplyExpectation({ kind: 'any' }, framing), 0))
    const sink = recordingSink()
    const header = Buffer.alloc(4)
    header.writeUInt32BE(maxReplyBytes + 1)
    feed(reader, Buffer.concat([encodeFrame(text('ok'), framing), header]), [100], sink)
    expect(sink.seen).toEqual([true])
    expect(sink.brokenReason).toMatch(/length field/)
  })

  test('a line that never ends breaks the stream once it passes the limit', () => {
    const framing: Framing = { ...defaultFraming, protocol: 'line' }
    const reader = new ReplyReader(new ReplyFormat(framing, resolveReplyExpectation({ kind: 'any' }, framing), 0))
    const sink = recordingSink()
    const chunk = Buffer.alloc(65_536, 0x61)
    for (let index = 0; index < 20 && sink.brokenReason === undefined; index++)
      reader.push(chunk, 0, chunk.length, sink)
    expect(sink.brokenReason).toMatch(/longer than/)
  })

  test('begin-end and count-spliter replies with bad framing are rejected, not accepted', () => {
    const beginEnd: Framing = { ...defaultFraming, protocol: 'begin-end' }
    const any = new ReplyReader(new ReplyFormat(beginEnd, resolveReplyExpectation({ kind: 'any' }, beginEnd), 0))
    const sink = recordingSink()
    feed(any, text('!ok$xx$!fine$'), [3], sink)
    expect(sink.seen).toEqual([true, false, true])
  })

  test('match mode reads the payload as UTF-8 and accepts /regex/flags', () => {
    const framing: Framing = { ...defaultFraming, protocol: 'line' }
    const expectation = resolveReplyExpectation({ kind: 'match', pattern: '/^ok \\d+ é$/i' }, framing)
    const reader = new ReplyReader(new ReplyFormat(framing, expectation, 0))
    const sink = recordingSink()
    feed(reader, text('OK 1 é\r\nok 22 É\r\nok x é\r\nok 1 é\r\n'), [5], sink)
    expect(sink.seen).toEqual([true, true, false, true])
  })

  test.each([
    [{ ...defaultFraming, protocol: 'raw' } as Framing, { kind: 'any' } as ReplyExpectation],
    [{ ...defaultFraming, protocol: 'raw' } as Framing, { kind: 'match', pattern: 'x' } as ReplyExpectation],
    [{ ...defaultFraming, protocol: 'line' } as Framing, { kind: 'match', pattern: '(' } as ReplyExpectation],
    [{ ...defaultFraming, protocol: 'line' } as Framing, { kind: 'exact', payload: 'a\r\nb' } as ReplyExpectation],
    [{ ...defaultFraming, protocol: 'count-spliter', count: 4 } as Framing, { kind: 'exact', payload: 'a#b' }],
    [{ ...defaultFraming, protocol: 'fixed-size' } as Framing, { kind: 'exact', payload: '' } as ReplyExpectation],
  ])('%j with %j is refused with ERR_INVALID_OPTION', (framing, expectation) => {
    let caught: unknown
    try {
      resolveReplyExpectation(expectation as ReplyExpectation, framing)
    } catch (error) {
      caught = error
    }
    expect(LoadOptionError.isLoadOptionError(caught)).toBe(true)
    expect((caught as LoadOptionError).code).toBe('ERR_INVALID_OPTION')
  })
})
