import { describe, expect, test } from 'vitest'
import {
  buildMessagePattern,
  defaultFraming,
  encodeFrame,
  type Framing,
  LoadOptionError,
  type ProtocolName,
  protocolNames,
  reservedBytes,
  validateFraming,
} from '../src/index.js'

const text = (value: string): Uint8Array => new TextEncoder().encode(value)
const ascii = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')
const framing = (protocol: ProtocolName, extra: Partial<Framing> = {}): Framing => ({
  ...defaultFraming,
  protocol,
  ...extra,
})

function errorCode(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    if (LoadOptionError.isLoadOptionError(error)) return error.code
    throw error
  }
  return undefined
}

describe('encodeFrame', () => {
  test('line: payload + \\r\\n', () => {
    expect(ascii(encodeFrame(text('hello'), framing('line')))).toBe('hello\r\n')
  })

  test('terminator: payload + the terminator', () => {
    expect(ascii(encodeFrame(text('hello'), framing('terminator', { terminator: text('##') })))).toBe('hello##')
    expect(ascii(encodeFrame(text('hi'), framing('terminator')))).toBe('hi\r\n')
  })

  test('a payload that ends in a prefix of the terminator still frames (the first match is the real one)', () => {
    expect(ascii(encodeFrame(text('xa'), framing('terminator', { terminator: text('aab') })))).toBe('xaaab')
    expect(ascii(encodeFrame(text('x\r'), framing('line')))).toBe('x\r\r\n')
  })

  test('a payload containing the terminator is refused', () => {
    expect(errorCode(() => encodeFrame(text('a\r\nb'), framing('line')))).toBe('ERR_INVALID_OPTION')
    expect(errorCode(() => encodeFrame(text('a##b'), framing('terminator', { terminator: text('##') })))).toBe(
      'ERR_INVALID_OPTION',
    )
  })

  test('fixed-size and raw: the payload as it is', () => {
    expect(ascii(encodeFrame(text('abcd'), framing('fixed-size')))).toBe('abcd')
    expect(ascii(encodeFrame(text('a\r\nb'), framing('raw')))).toBe('a\r\nb')
    expect(errorCode(() => encodeFrame(new Uint8Array(0), framing('fixed-size')))).toBe('ERR_INVALID_OPTION')
  })

  test('begin-end: marks around the payload; the end mark may not occur inside', () => {
    expect(ascii(encodeFrame(text('abc'), framing('begin-end')))).toBe('!abc$')
    expect(ascii(encodeFrame(text('a!c'), framing('begin-end')))).toBe('!a!c$')
    const marks = framing('begin-end', { beginMark: Uint8Array.of(0x59), endMark: Uint8Array.of(0x00, 0xff) })
    expect([...encodeFrame(text('z'), marks)]).toEqual([0x59, 0x7a, 0x00, 0xff])
    expect(errorCode(() => encodeFrame(text('a$c'), framing('begin-end')))).toBe('ERR_INVALID_OPTION')
  })

  test('count-spliter: count spliters, the payload cut into count - 1 fields', () => {
    expect(ascii(encodeFrame(text('abcdefg'), framing('count-spliter')))).toBe('#a#b#c#d#e#f#g#')
    expect(ascii(encodeFrame(text('abcde'), framing('count-spliter', { count: 3 })))).toBe('#abc#de#')
    expect(ascii(encodeFrame(text('ab'), framing('count-spliter', { count: 4 })))).toBe('#a#b##')
    expect(errorCode(() => encodeFrame(text('a#b'), framing('count-spliter')))).toBe('ERR_INVALID_OPTION')
  })

  test('length-field: the Netty layout, every width and byte order', () => {
    const body = text('abc')
    expect([...encodeFrame(body, framing('length-field'))]).toEqual([0, 0, 0, 3, 0x61, 0x62, 0x63])
    expect([...encodeFrame(body, framing('length-field', { lengthFieldLength: 1 }))]).toEqual([3, 0x61, 0x62, 0x63])
    expect([...encodeFrame(body, framing('length-field', { lengthFieldLength: 2, byteOrder: 'le' }))]).toEqual([
      3, 0, 0x61, 0x62, 0x63,
    ])
    expect([...encodeFrame(body, framing('length-field', { lengthFieldLength: 3 }))].slice(0, 3)).toEqual([0, 0, 3])
    expect(
      [...encodeFrame(body, framing('length-field', { lengthFieldLength: 3, byteOrder: 'le' }))].slice(0, 3),
    ).toEqual([3, 0, 0])
    expect([...encodeFrame(body, framing('length-field', { lengthFieldLength: 8 }))].slice(0, 8)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 3,
    ])
    // offset: zero bytes before the field; adjustment -2: the field counts itself (2 bytes) too
    expect([...encodeFrame(body, framing('length-field', { lengthFieldLength: 2, lengthFieldOffset: 1 }))]).toEqual([
      0, 0, 3, 0x61, 0x62, 0x63,
    ])
    expect([...encodeFrame(body, framing('length-field', { lengthFieldLength: 2, lengthAdjustment: -2 }))]).toEqual([
      0, 5, 0x61, 0x62, 0x63,
    ])
  })

  test('length-field refuses lengths the field cannot hold', () => {
    expect(errorCode(() => encodeFrame(new Uint8Array(256), framing('length-field', { lengthFieldLength: 1 })))).toBe(
      'ERR_INVALID_OPTION',
    )
    expect(errorCode(() => encodeFrame(text('ab'), framing('length-field', { lengthAdjustment: 3 })))).toBe(
      'ERR_INVALID_OPTION',
    )
  })
})

describe('validateFraming', () => {
  test.each<[Partial<Framing>, string]>([
    [{ terminator: new Uint8Array(0) }, 'terminator'],
    [{ beginMark: new Uint8Array(0) }, 'begin-mark'],
    [{ endMark: new Uint8Array(0) }, 'end-mark'],
    [{ count: 1 }, 'count'],
    [{ spliter: 256 }, 'spliter'],
    [{ lengthFieldLength: 5 as 4 }, 'length-field-length'],
    [{ lengthFieldOffset: -1 }, 'length-field-offset'],
    [{ byteOrder: 'middle' as 'be' }, 'byte-order'],
    [{ protocol: 'http' as ProtocolName }, 'protocol'],
  ])('%j names %s', (bad, option) => {
    try {
      validateFraming({ ...defaultFraming, ...bad })
      expect.unreachable()
    } catch (error) {
      expect(LoadOptionError.isLoadOptionError(error)).toBe(true)
      expect((error as LoadOptionError).option).toBe(option)
    }
  })
})

/** Reference decoders: the frames a server would cut from a byte stream, written independently of the encoder. */
function decodeStream(bytes: Uint8Array, frame: Framing, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  let at = 0
  const find = (needle: Uint8Array, from: number): number => Buffer.from(bytes).indexOf(Buffer.from(needle), from)
  while (at < bytes.length) {
    switch (frame.protocol) {
      case 'line':
      case 'terminator': {
        const terminator = frame.protocol === 'line' ? text('\r\n') : frame.terminator
        const end = find(terminator, at)
        out.push(bytes.subarray(at, end))
        at = end + terminator.length
        break
      }
      case 'fixed-size':
      case 'raw':
        out.push(bytes.subarray(at, at + size))
        at += size
        break
      case 'begin-end': {
        const end = find(frame.endMark, at + frame.beginMark.length)
        out.push(bytes.subarray(at + frame.beginMark.length, end))
        at = end + frame.endMark.length
        break
      }
      case 'count-spliter': {
        let seen = 0
        let end = at
        while (seen < frame.count) if (bytes[end++] === frame.spliter) seen++
        const fields = Buffer.from(bytes.subarray(at + 1, end - 1))
        out.push(Uint8Array.from([...fields].filter((byte) => byte !== frame.spliter)))
        at = end
        break
      }
      case 'length-field': {
        const view = new DataView(bytes.buffer, bytes.byteOffset + at + frame.lengthFieldOffset)
        const le = frame.byteOrder === 'le'
        const width = frame.lengthFieldLength
        let value: number
        if (width === 1) value = view.getUint8(0)
        else if (width === 2) value = view.getUint16(0, le)
        else if (width === 4) value = view.getUint32(0, le)
        else if (width === 8) value = Number(view.getBigUint64(0, le))
        else
          value = le
            ? view.getUint8(0) | (view.getUint8(1) << 8) | (view.getUint8(2) << 16)
            : (view.getUint8(0) << 16) | (view.getUint8(1) << 8) | view.getUint8(2)
        const start = at + frame.lengthFieldOffset + width
        out.push(bytes.subarray(start, start + value + frame.lengthAdjustment))
        at = start + value + frame.lengthAdjustment
        break
      }
    }
  }
  return out
}

describe('message patterns decode back to their payloads (seeded random framings)', () => {
  let state = 12_345
  const random = (limit: number): number => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state % limit
  }
  const cases = Array.from({ length: 60 }, (_, index) => index)
  test.each(cases)('case %i', () => {
    const protocol = protocolNames[random(protocolNames.length)] as ProtocolName
    const randomBytes = (length: number): Uint8Array => Uint8Array.from({ length }, () => 0x21 + random(94))
    const frame: Framing = {
      ...defaultFraming,
      protocol,
      terminator: randomBytes(1 + random(3)),
      beginMark: randomBytes(1 + random(2)),
      endMark: randomBytes(1 + random(3)),
      spliter: 0x21 + random(94),
      count: 2 + random(6),
      lengthFieldLength: ([1, 2, 3, 4, 8] as const)[random(5)] ?? 4,
      lengthFieldOffset: random(3),
      byteOrder: random(2) === 0 ? 'be' : 'le',
      lengthAdjustment: random(3) - 1,
    }
    const size = 1 + random(200)
    const reserved = reservedBytes(frame)
    const pattern = buildMessagePattern({ size, framing: frame, variants: 5, seed: 1 + random(1000), window: 64 })
    expect(pattern.frameCount).toBe(5)
    const period = pattern.sendBuffer.subarray(0, pattern.patternLength)
    const payloads = decodeStream(period, frame, pattern.frameLength)
    expect(payloads).toHaveLength(5)
    for (const payload of payloads) {
      expect(payload.length).toBe(size)
      for (const byte of payload) {
        expect(byte).toBeGreaterThanOrEqual(0x20)
        expect(byte).toBeLessThan(0x7f)
        expect(reserved.has(byte)).toBe(false)
      }
    }
    // the buffer repeats the period so any run of frames can be sliced out
    for (let offset = 0; offset + pattern.patternLength <= pattern.sendBuffer.length; offset += pattern.patternLength) {
      expect(
        Buffer.from(pattern.sendBuffer.subarray(offset, offset + pattern.patternLength)).equals(Buffer.from(period)),
      ).toBe(true)
    }
    expect(pattern.sendBuffer.length - pattern.patternLength).toBeGreaterThanOrEqual(
      Math.max(64, pattern.maxBatchFrames * pattern.frameLength),
    )
  })

  test('a fixed message makes one frame; random payloads are repeatable with the same seed', () => {
    const fixed = buildMessagePattern({ message: text('PING'), size: 4, framing: framing('line') })
    expect(fixed.frameCount).toBe(1)
    expect(ascii(fixed.sendBuffer.subarray(0, 12))).toBe('PING\r\nPING\r\n')
    const first = buildMessagePattern({ size: 16, framing: framing('raw'), seed: 9 })
    const second = buildMessagePattern({ size: 16, framing: framing('raw'), seed: 9 })
    expect(Buffer.from(first.sendBuffer).equals(Buffer.from(second.sendBuffer))).toBe(true)
  })

  test('big frames keep the pattern bounded', () => {
    const pattern = buildMessagePattern({ size: 1024 * 1024, framing: framing('raw'), variants: 64 })
    expect(pattern.frameCount).toBe(4)
    expect(pattern.maxBatchFrames).toBe(1)
  })
})
