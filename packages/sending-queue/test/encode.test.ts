import { fc, test as propTest } from '@fast-check/vitest'
import { describe, expect, test } from 'vitest'
import {
  encodeInto,
  encodeUtf8Into,
  encodeWithEncoders,
  encodeWithWrite,
  hasNodeEncoders,
  maxBytesPerCodeUnit,
  utf8WithEncoder,
  utf8WithWrite,
} from '../src/encode.js'

// Pins the behaviour of the one module that may call Buffer's undocumented encoders: both paths (the encoders and
// the Buffer#write fallback) must write exactly what Buffer.from(text, encoding) holds, at any offset.

const encodings: BufferEncoding[] = [
  'utf8',
  'utf-8',
  'latin1',
  'binary',
  'ascii',
  'utf16le',
  'ucs2',
  'ucs-2',
  'hex',
  'base64',
  'base64url',
]

const texts = [
  '',
  'a',
  'hello world',
  'héllo wörld €',
  '\u{1F600}',
  'lone \ud800 and \udc00',
  'deadBEEF',
  'aGk=',
  'ÿþ\u0100',
]

describe('encodeInto', () => {
  test('this Node has the per-encoding encoders, and encodeInto and encodeUtf8Into use them', () => {
    expect(hasNodeEncoders).toBe(true)
    expect(encodeInto).toBe(encodeWithEncoders)
    expect(encodeUtf8Into).toBe(utf8WithEncoder)
  })

  for (const [name, encode] of [
    ['UTF-8 encoder', utf8WithEncoder],
    ['UTF-8 Buffer#write fallback', utf8WithWrite],
  ] as const) {
    test(`${name}: writes what Buffer.from gives, at an offset, and returns its length`, () => {
      for (const text of texts) {
        const expected = Buffer.from(text, 'utf8')
        const target = Buffer.alloc(expected.length + 10, 0xaa)
        expect(encode(target, text, 3)).toBe(expected.length)
        expect(target.subarray(3, 3 + expected.length).equals(expected)).toBe(true)
        expect(target.subarray(3 + expected.length).every((byte) => byte === 0xaa)).toBe(true)
      }
    })
  }

  for (const [name, encode] of [
    ['encoders', encodeWithEncoders],
    ['Buffer#write fallback', encodeWithWrite],
  ] as const) {
    test.each(encodings)(
      `${name}: writes what Buffer.from gives (%s), at an offset, and returns its length`,
      (encoding) => {
        for (const text of texts) {
          const expected = Buffer.from(text, encoding)
          const target = Buffer.alloc(expected.length + 10, 0xaa)
          const written = encode(target, text, 3, encoding)
          expect(written).toBe(expected.length)
          expect(target.subarray(3, 3 + written).equals(expected)).toBe(true)
          // Nothing before or after is touched.
          expect([...target.subarray(0, 3)]).toEqual([0xaa, 0xaa, 0xaa])
          expect(target.subarray(3 + written).every((byte) => byte === 0xaa)).toBe(true)
        }
      },
    )
  }

  propTest.prop([fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom(...encodings)])(
    'both paths agree with Buffer.from for any string',
    (text, encoding) => {
      const expected = Buffer.from(text, encoding)
      for (const encode of [encodeWithEncoders, encodeWithWrite]) {
        const target = Buffer.alloc(expected.length)
        expect(encode(target, text, 0, encoding)).toBe(expected.length)
        expect(target.equals(expected)).toBe(true)
      }
      if (encoding === 'utf8') {
        for (const encode of [utf8WithEncoder, utf8WithWrite]) {
          const target = Buffer.alloc(expected.length)
          expect(encode(target, text, 0)).toBe(expected.length)
          expect(target.equals(expected)).toBe(true)
        }
      }
    },
  )
})

describe('maxBytesPerCodeUnit', () => {
  propTest.prop([fc.string({ unit: 'binary', maxLength: 200 }), fc.constantFrom(...encodings)])(
    'bounds the encoded size of any string: byteLength <= length * bound',
    (text, encoding) => {
      expect(Buffer.byteLength(text, encoding)).toBeLessThanOrEqual(text.length * maxBytesPerCodeUnit(encoding))
    },
  )

  test('is tight where it matters', () => {
    expect(Buffer.byteLength('\u20ac', 'utf8')).toBe(maxBytesPerCodeUnit('utf8'))
    expect(Buffer.byteLength('a', 'utf16le')).toBe(maxBytesPerCodeUnit('utf16le'))
    expect(Buffer.byteLength('ÿ', 'latin1')).toBe(maxBytesPerCodeUnit('latin1'))
  })
})
