import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { resolveReconnectOptions } from '../src/backoff.js'
import { reconnectDefaults, reconnectDelay } from '../src/index.js'

const options = fc
  .record({
    initialDelay: fc.integer({ min: 0, max: 10_000 }),
    extra: fc.integer({ min: 0, max: 100_000 }),
    factor: fc.double({ min: 1, max: 10, noNaN: true }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ initialDelay, extra, factor, jitter }) =>
    resolveReconnectOptions({ initialDelay, maxDelay: initialDelay + extra, factor, jitter }),
  )

describe('reconnectDelay', () => {
  test.prop([
    options,
    fc.integer({ min: 1, max: 2_000 }),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  ])(
    'lies between (1 - jitter) * d and d, d = min(maxDelay, initialDelay * factor^(attempt - 1)); a whole number',
    (resolved, attempt, random) => {
      const settings = resolved as NonNullable<typeof resolved>
      const exponential = settings.initialDelay === 0 ? 0 : settings.initialDelay * settings.factor ** (attempt - 1)
      const d = Math.min(settings.maxDelay, exponential)
      const delay = reconnectDelay(attempt, settings, () => random)
      expect(Number.isInteger(delay)).toBe(true)
      expect(delay).toBeGreaterThanOrEqual(Math.floor((1 - settings.jitter) * d))
      expect(delay).toBeLessThanOrEqual(Math.ceil(d))
    },
  )

  test('jitter 0 gives the exact exponential delays, capped by maxDelay', () => {
    const settings = resolveReconnectOptions({ initialDelay: 100, maxDelay: 1_000, factor: 2, jitter: 0 })
    const delays = [1, 2, 3, 4, 5, 6, 50].map((attempt) => reconnectDelay(attempt, settings as never, Math.random))
    expect(delays).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000])
  })

  test('full jitter (the default) spreads over 0 to d', () => {
    const settings = resolveReconnectOptions(true)
    expect(settings).toBe(reconnectDefaults)
    expect(reconnectDefaults).toEqual({
      initialDelay: 1_000,
      maxDelay: 30_000,
      factor: 2,
      jitter: 1,
      maxAttempts: Number.POSITIVE_INFINITY,
    })
    expect(reconnectDelay(3, reconnectDefaults, () => 0)).toBe(4_000)
    expect(reconnectDelay(3, reconnectDefaults, () => 0.5)).toBe(2_000)
    expect(reconnectDelay(3, reconnectDefaults, () => 0.999_999)).toBe(0)
  })

  test('no overflow to NaN or Infinity for a huge attempt number, nor with initialDelay 0', () => {
    const settings = resolveReconnectOptions({ initialDelay: 0, maxDelay: 0 })
    expect(reconnectDelay(10_000, settings as never, () => 0.5)).toBe(0)
    expect(reconnectDelay(10_000, reconnectDefaults, () => 0)).toBe(30_000)
  })

  test('options: false/undefined is off, fields default one by one, bad fields throw', () => {
    expect(resolveReconnectOptions(undefined)).toBeUndefined()
    expect(resolveReconnectOptions(false)).toBeUndefined()
    expect(resolveReconnectOptions({ initialDelay: 50 })).toEqual({ ...reconnectDefaults, initialDelay: 50 })
    // maxDelay defaults to at least initialDelay.
    expect(resolveReconnectOptions({ initialDelay: 60_000 })?.maxDelay).toBe(60_000)
    for (const bad of [
      { initialDelay: -1 },
      { maxDelay: Number.NaN },
      { factor: 0.9 },
      { jitter: 1.5 },
      { maxAttempts: 1.5 },
      { maxAttempts: 0 },
      'yes',
    ]) {
      expect(() => resolveReconnectOptions(bad as never), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
  })
})
