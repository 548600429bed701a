import { fc, test as propTest } from '@fast-check/vitest'
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

interface Item {
  readonly id: number
  dirty: boolean
}

function itemPool(maxSize: number, initialSize?: number) {
  let created = 0
  let resets = 0
  const pool = new SmartPool<Item>({
    create: () => ({ id: created++, dirty: false }),
    reset: (item) => {
      resets += 1
      item.dirty = false
    },
    ...(initialSize === undefined ? {} : { initialSize }),
    maxSize,
  })
  return { pool, created: () => created, resets: () => resets }
}

describe('SmartPool', () => {
  test('creates initialSize items up front, then grows one item at a time on demand', () => {
    const { pool, created } = itemPool(4, 1)
    expect([pool.size, pool.available, pool.inUse, pool.maxSize]).toEqual([1, 1, 0, 4])
    const a = pool.acquire()
    expect([pool.size, pool.available, pool.inUse]).toEqual([1, 0, 1])
    const b = pool.acquire()
    expect([pool.size, pool.available, pool.inUse]).toEqual([2, 0, 2])
    expect(created()).toBe(2)
    expect(a).not.toBe(b)
  })

  test('initialSize defaults to 0: nothing is created before the first acquire', () => {
    const { pool, created } = itemPool(2)
    expect(pool.size).toBe(0)
    expect(created()).toBe(0)
  })

  test('at maxSize with none free: acquire throws ERR_POOL_EXHAUSTED, tryAcquire gives undefined', () => {
    const { pool } = itemPool(2)
    pool.acquire()
    const held = pool.acquire()
    expect(codeOf(() => pool.acquire())).toBe('ERR_POOL_EXHAUSTED')
    expect(pool.tryAcquire()).toBeUndefined()
    expect(pool.size).toBe(2)
    pool.release(held)
    expect(pool.tryAcquire()).toBe(held)
  })

  test('release resets the item and makes it free again; it is reused before creating another', () => {
    const { pool, created, resets } = itemPool(3)
    const item = pool.acquire()
    item.dirty = true
    pool.release(item)
    expect(resets()).toBe(1)
    expect(item.dirty).toBe(false)
    expect([pool.available, pool.inUse]).toEqual([1, 0])
    expect(pool.acquire()).toBe(item)
    expect(created()).toBe(1)
  })

  test('releasing an item twice, or an item from elsewhere, is ERR_INVALID_ARGUMENT', () => {
    const { pool } = itemPool(3)
    const item = pool.acquire()
    pool.release(item)
    expect(codeOf(() => pool.release(item))).toBe('ERR_INVALID_ARGUMENT')
    expect(codeOf(() => pool.release({ id: 99, dirty: false }))).toBe('ERR_INVALID_ARGUMENT')
    const other = itemPool(3).pool
    const foreign = other.acquire()
    expect(codeOf(() => pool.release(foreign))).toBe('ERR_INVALID_ARGUMENT')
    expect([pool.available, pool.inUse]).toEqual([1, 0])
  })

  test('use returns what fn returns and releases the item', () => {
    const { pool } = itemPool(1)
    expect(pool.use((item) => item.id + 10)).toBe(10)
    expect([pool.available, pool.inUse]).toEqual([1, 0])
  })

  test('use releases the item when fn throws, and rethrows the same error', () => {
    const { pool } = itemPool(1)
    const failure = new Error('boom')
    expect(() =>
      pool.use(() => {
        throw failure
      }),
    ).toThrow(failure)
    expect([pool.available, pool.inUse]).toEqual([1, 0])
    expect(pool.use((item) => item.id)).toBe(0)
  })

  test('use with an async fn releases once the promise settles, on success and on rejection', async () => {
    const { pool } = itemPool(1)
    let finish: (value: number) => void = () => {}
    const pending = pool.use(() => new Promise<number>((resolve) => (finish = resolve)))
    expect(pool.inUse).toBe(1)
    finish(7)
    await expect(pending).resolves.toBe(7)
    expect(pool.inUse).toBe(0)
    const failure = new Error('async boom')
    await expect(pool.use(async () => Promise.reject(failure))).rejects.toBe(failure)
    expect([pool.available, pool.inUse]).toEqual([1, 0])
  })

  test('use at maxSize throws ERR_POOL_EXHAUSTED without calling fn', () => {
    const { pool } = itemPool(1)
    pool.acquire()
    let called = false
    expect(
      codeOf(() =>
        pool.use(() => {
          called = true
        }),
      ),
    ).toBe('ERR_POOL_EXHAUSTED')
    expect(called).toBe(false)
  })

  test('a reset that throws drops the item (a fresh one replaces it) and the error propagates', () => {
    const failure = new Error('reset failed')
    let created = 0
    const pool = new SmartPool<{ id: number }>({
      create: () => ({ id: created++ }),
      reset: (item) => {
        if (item.id === 0) throw failure
      },
      maxSize: 1,
    })
    const first = pool.acquire()
    expect(() => pool.release(first)).toThrow(failure)
    expect([pool.size, pool.available, pool.inUse]).toEqual([0, 0, 0])
    expect(pool.acquire().id).toBe(1)
  })

  test("in use, fn's error wins over a failing reset", () => {
    const fnFailure = new Error('fn failed')
    const pool = new SmartPool<object>({
      create: () => ({}),
      reset: () => {
        throw new Error('reset failed')
      },
      maxSize: 1,
    })
    expect(() =>
      pool.use(() => {
        throw fnFailure
      }),
    ).toThrow(fnFailure)
    expect(pool.size).toBe(0)
  })

  test.each([
    { maxSize: 0 },
    { maxSize: -1 },
    { maxSize: 2.5 },
    { maxSize: 2, initialSize: 3 },
    { maxSize: 2, initialSize: -1 },
    { maxSize: 2, initialSize: 0.5 },
  ])('bad sizes are ERR_INVALID_ARGUMENT: %o', (sizes) => {
    expect(codeOf(() => new SmartPool({ create: () => ({}), ...sizes }))).toBe('ERR_INVALID_ARGUMENT')
  })

  test('create must be a function returning an object', () => {
    expect(codeOf(() => new SmartPool({ create: 1 as unknown as () => object, maxSize: 1 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    )
    const pool = new SmartPool({ create: () => 5 as unknown as object, maxSize: 1 })
    expect(codeOf(() => pool.acquire())).toBe('ERR_INVALID_ARGUMENT')
    expect(pool.size).toBe(0)
  })
})

propTest.prop([
  fc.integer({ min: 1, max: 8 }),
  fc.array(fc.oneof(fc.constant('acquire' as const), fc.constant('try' as const), fc.nat()), { maxLength: 60 }),
])('any acquire/release sequence keeps the counts consistent and never hands out an item twice', (maxSize, ops) => {
  const pool = new SmartPool<{ id: number }>({ create: () => ({ id: 0 }), maxSize })
  const held: { id: number }[] = []
  for (const op of ops) {
    if (op === 'acquire' || op === 'try') {
      const full = held.length === maxSize
      const item = op === 'try' ? pool.tryAcquire() : full ? undefined : pool.acquire()
      if (op === 'acquire' && full) expect(codeOf(() => pool.acquire())).toBe('ERR_POOL_EXHAUSTED')
      if (full) expect(item).toBeUndefined()
      else {
        expect(item).toBeDefined()
        expect(held).not.toContain(item)
        held.push(item as { id: number })
      }
    } else if (held.length > 0) {
      const [item] = held.splice(op % held.length, 1)
      pool.release(item as { id: number })
    }
    expect(pool.inUse).toBe(held.length)
    expect(pool.size).toBe(pool.inUse + pool.available)
    expect(pool.size).toBeLessThanOrEqual(maxSize)
  }
})
