import { describe, expect, test } from 'vitest'
import { bytesDiff, randomChunks, seededRandom, splitAt } from '../src/index.js'

describe('splitAt', () => {
  test('cuts at the given offsets, in any order, ignoring duplicates and out-of-range cuts', () => {
    const pieces = splitAt(Buffer.from('abc\r\ndef'), [4, 2, 4, 0, 8, 99, -1])
    expect(pieces.map((piece) => piece.toString())).toEqual(['ab', 'c\r', '\ndef'])
  })

  test('returns fresh copies that do not share memory with the input', () => {
    const input = Buffer.from('hello')
    const [first] = splitAt(input, [])
    input[0] = 0x4a
    expect(first?.toString()).toBe('hello')
  })

  test('gives no piece for an empty buffer', () => {
    expect(splitAt(Buffer.alloc(0), [1, 2])).toEqual([])
  })
})

describe('randomChunks', () => {
  test('covers the buffer with non-empty pieces no larger than maxChunkSize', () => {
    const input = Buffer.from(Array.from({ length: 1_000 }, (_, index) => index & 0xff))
    for (let seed = 1; seed <= 20; seed += 1) {
      const pieces = randomChunks(input, seededRandom(seed), { maxChunkSize: 7 })
      expect(Buffer.concat(pieces)).toEqual(input)
      expect(pieces.every((piece) => piece.length >= 1 && piece.length <= 7)).toBe(true)
    }
  })
})

describe('seededRandom', () => {
  test('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = seededRandom(42)
    const b = seededRandom(42)
    const c = seededRandom(43)
    const first = Array.from({ length: 100 }, () => a())
    expect(Array.from({ length: 100 }, () => b())).toEqual(first)
    expect(Array.from({ length: 100 }, () => c())).not.toEqual(first)
    for (const value of first) {
      expect(value).toBeGreaterThanOrEqual(0)
      expect(value).toBeLessThan(1)
    }
  })
})

describe('bytesDiff', () => {
  test('is undefined for equal bytes and names the first difference otherwise', () => {
    expect(bytesDiff(Buffer.from('abc'), new Uint8Array([97, 98, 99]))).toBeUndefined()
    expect(bytesDiff(Buffer.from('abc'), Buffer.from('abd'))).toMatch(/^byte 2 /)
    expect(bytesDiff(Buffer.from('ab'), Buffer.from('abc'))).toMatch(/^lengths differ/)
  })
})
