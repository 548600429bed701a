import { SocketError } from '@socketlite/socket-base'
import { describe, expect, test } from 'vitest'
import { SmartPool } from '../src/index.js'

function codeOf(action: () => unknown): string | undefined {
  try {
    action()
  } catch (error) {
    return SocketError.isSocketError(error) ? error.code : `not a SocketError: ${String(error)}`
  }
  return undefined
}

describe('SmartPool', () => {
  test('defaults: 16 KiB chunks, at most 1024, none made up front', () => {
    const pool = new SmartPool()
    expect([pool.chunkSize, pool.maxChunks, pool.size, pool.inUse, pool.available, pool.overflows]).toEqual([
      16_384, 1_024, 0, 0, 0, 0,
    ])
  })

  test.each([{ chunkSize: 0 }, { chunkSize: 1.5 }, { maxChunks: 0 }, { maxChunks: -1 }, { chunkSize: Number.NaN }])(
    'bad sizes are refused with ERR_INVALID_ARGUMENT: %o',
    (init) => {
      expect(codeOf(() => new SmartPool(init))).toBe('ERR_INVALID_ARGUMENT')
    },
  )

  test('hands a chunk to one owner at a time, reuses it once given back, counts overflows', () => {
    const pool = new SmartPool({ chunkSize: 32, maxChunks: 1 })
    const first = {}
    const second = {}
    const chunk = pool.take(first)
    expect(chunk?.buffer.byteLength).toBe(32)
    expect(chunk?.buffer.buffer.byteLength).toBe(32) // memory of its own, not a slice of a shared pool
    expect(pool.take(second)).toBeUndefined()
    expect(pool.overflows).toBe(1)
    expect([pool.size, pool.inUse, pool.available]).toEqual([1, 1, 0])
    if (chunk === undefined) throw new Error('no chunk')
    expect(codeOf(() => pool.give(chunk, second))).toBe('ERR_INVALID_ARGUMENT') // not the holder
    pool.give(chunk, first)
    expect(codeOf(() => pool.give(chunk, first))).toBe('ERR_INVALID_ARGUMENT') // twice
    expect(pool.take(second)).toBe(chunk)
    expect([pool.size, pool.inUse, pool.available]).toEqual([1, 1, 0])
  })

  test('a chunk from another pool cannot be given back here', () => {
    const pool = new SmartPool({ chunkSize: 8, maxChunks: 2 })
    const other = new SmartPool({ chunkSize: 8, maxChunks: 2 })
    const owner = {}
    const chunk = other.take(owner)
    if (chunk === undefined) throw new Error('no chunk')
    expect(codeOf(() => pool.give(chunk, owner))).toBe('ERR_INVALID_ARGUMENT')
    other.give(chunk, owner)
    expect(other.inUse).toBe(0)
  })
})
