import { describe, expect, test } from 'vitest'
import {
  formatDuration,
  formatEscapes,
  formatTarget,
  LoadOptionError,
  parseCount,
  parseDuration,
  parseEscapes,
  parseSignedInteger,
  parseSize,
  parseTarget,
} from '../src/index.js'

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    expect(LoadOptionError.isLoadOptionError(error)).toBe(true)
    return (error as LoadOptionError).code
  }
  return undefined
}

describe('parseDuration', () => {
  test.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['1m', 60_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['3', 3000],
    [' 20 ms ', 20],
    ['.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  test.each(['', 'ten', '10 days', '-1s', '1e3', 's', '10ss'])('%j is rejected', (text) => {
    expect(codeOf(() => parseDuration(text, 'duration'))).toBe('ERR_INVALID_OPTION')
  })

  test('the error names the option', () => {
    try {
      parseDuration('x', 'warmup')
      expect.unreachable()
    } catch (error) {
      expect((error as LoadOptionError).option).toBe('warmup')
    }
  })

  test('formats for people', () => {
    expect(formatDuration(850)).toBe('850 ms')
    expect(formatDuration(12_500)).toBe('12.5 s')
    expect(formatDuration(125_000)).toBe('2 min 5 s')
    expect(formatDuration(120_000)).toBe('2 min')
  })
})

describe('parseSize / parseCount / parseSignedInteger', () => {
  test.each([
    ['32', 32],
    ['512b', 512],
    ['4k', 4096],
    ['4KiB', 4096],
    ['4kb', 4096],
    ['1m', 1_048_576],
    ['1MiB', 1_048_576],
    ['1.5k', 1536],
  ])('size %s is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes)
  })

  test.each(['', 'big', '1.3', '4g', '-1'])('size %j is rejected', (text) => {
    expect(codeOf(() => parseSize(text))).toBe('ERR_INVALID_OPTION')
  })

  test.each([
    ['100', 100],
    ['10k', 10_000],
    ['1.5M', 1_500_000],
    ['2500.5', 2500.5],
  ])('count %s is %d', (text, value) => {
    expect(parseCount(text, 'rate')).toBe(value)
  })

  test('integer counts reject fractions, and negatives are never counts', () => {
    expect(codeOf(() => parseCount('1.5', 'connections', true))).toBe('ERR_INVALID_OPTION')
    expect(codeOf(() => parseCount('-3', 'rate'))).toBe('ERR_INVALID_OPTION')
    expect(parseCount('2k', 'connections', true)).toBe(2000)
  })

  test('signed integers', () => {
    expect(parseSignedInteger('-2', 'length-adjustment')).toBe(-2)
    expect(parseSignedInteger('+3', 'length-adjustment')).toBe(3)
    expect(codeOf(() => parseSignedInteger('1.5', 'length-adjustment'))).toBe('ERR_INVALID_OPTION')
  })
})

describe('parseEscapes', () => {
  test('recognises \\r \\n \\t \\0 \\\\ and \\xNN; text is UTF-8', () => {
    expect([...parseEscapes('a\\r\\n')]).toEqual([0x61, 0x0d, 0x0a])
    expect([...parseEscapes('\\t\\0\\\\')]).toEqual([0x09, 0x00, 0x5c])
    expect([...parseEscapes('\\x00\\xFFz')]).toEqual([0x00, 0xff, 0x7a])
    expect([...parseEscapes('é')]).toEqual([0xc3, 0xa9])
    expect([...parseEscapes('')]).toEqual([])
  })

  test.each(['\\q', 'abc\\', '\\x1', '\\xZZ'])('%j is rejected', (text) => {
    expect(codeOf(() => parseEscapes(text))).toBe('ERR_INVALID_OPTION')
  })

  test('formatEscapes is its inverse for any byte string', () => {
    let state = 7
    for (let round = 0; round < 200; round++) {
      const bytes = new Uint8Array(round % 17)
      for (let index = 0; index < bytes.length; index++) {
        state = (state * 1_103_515_245 + 12_345) >>> 0
        bytes[index] = state >>> 24
      }
      expect([...parseEscapes(formatEscapes(bytes))]).toEqual([...bytes])
    }
  })
})

describe('parseTarget', () => {
  test.each([
    ['tcp://127.0.0.1:7000', { transport: 'tcp', host: '127.0.0.1', port: 7000 }],
    ['tls://localhost:443', { transport: 'tls', host: 'localhost', port: 443 }],
    ['udp://[::1]:9', { transport: 'udp', host: '::1', port: 9 }],
    ['127.0.0.1:7000', { transport: 'tcp', host: '127.0.0.1', port: 7000 }],
    ['TCP://example.test:80/', { transport: 'tcp', host: 'example.test', port: 80 }],
  ])('%s', (text, target) => {
    expect(parseTarget(text)).toEqual(target)
  })

  test.each(['127.0.0.1', 'http://127.0.0.1:80', 'tcp://127.0.0.1:0', 'tcp://127.0.0.1:70000', '[zz]:80', 'tcp://:80'])(
    '%j is rejected with ERR_INVALID_TARGET',
    (text) => {
      expect(codeOf(() => parseTarget(text))).toBe('ERR_INVALID_TARGET')
    },
  )

  test('formats back, bracketing IPv6', () => {
    expect(formatTarget(parseTarget('udp://[::1]:9'))).toBe('udp://[::1]:9')
    expect(formatTarget(parseTarget('127.0.0.1:7'))).toBe('tcp://127.0.0.1:7')
  })
})
