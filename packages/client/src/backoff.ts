import { InvalidArgumentError } from '@socketlite/socket-base'

/** How a {@link SocketClient} reconnects (every field optional; see {@link reconnectDefaults}). */
export interface ReconnectOptions {
  /**
   * Delay before the first attempt again (ms), before jitter. A finite number ≥ 0.
   * @default 1000
   */
  initialDelay?: number
  /**
   * Longest delay (ms), before jitter: the exponential growth stops here. A finite number ≥ `initialDelay`.
   * @default 30000
   */
  maxDelay?: number
  /**
   * Each attempt's delay is the previous one's times this (before jitter). A finite number ≥ 1 (1 = a fixed delay).
   * @default 2
   */
  factor?: number
  /**
   * How much of each delay is random, 0 to 1: the delay waited is drawn uniformly between `(1 − jitter) · d` and `d`,
   * where `d` is the exponential delay. `1` is AWS's "full jitter" (0 to `d`), `0` exact delays.
   * @default 1
   */
  jitter?: number
  /**
   * Attempts in a row, after a drop or a failed first connect, before the client gives up (`reconnectFailed`).
   * A positive integer, or `Infinity` to try forever.
   * @default Infinity
   */
  maxAttempts?: number
}

/** A {@link ReconnectOptions} with every field set. */
export type ResolvedReconnectOptions = Readonly<Required<ReconnectOptions>>

/** The defaults of {@link ReconnectOptions}. */
export const reconnectDefaults: ResolvedReconnectOptions = Object.freeze({
  initialDelay: 1_000,
  maxDelay: 30_000,
  factor: 2,
  jitter: 1,
  maxAttempts: Number.POSITIVE_INFINITY,
})

function finite(name: string, value: unknown, min: number, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `from ${min} to ${max}`
    throw new InvalidArgumentError(`reconnect.${name} must be a finite number ${range}, got ${String(value)}`)
  }
  return value
}

/**
 * Check `options` and fill in the defaults; `undefined`/`false` (reconnect off) give `undefined`, `true` the defaults.
 * @throws {InvalidArgumentError} a field out of its range (named in the message).
 */
export function resolveReconnectOptions(
  options: ReconnectOptions | boolean | undefined,
): ResolvedReconnectOptions | undefined {
  if (options === undefined || options === false) return undefined
  if (options === true) return reconnectDefaults
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      'reconnect must be false, true or { initialDelay, maxDelay, factor, jitter, maxAttempts }',
    )
  }
  const initialDelay = finite('initialDelay', options.initialDelay ?? reconnectDefaults.initialDelay, 0)
  const maxDelay = finite(
    'maxDelay',
    options.maxDelay ?? Math.max(reconnectDefaults.maxDelay, initialDelay),
    initialDelay,
  )
  const factor = finite('factor', options.factor ?? reconnectDefaults.factor, 1)
  const jitter = finite('jitter', options.jitter ?? reconnectDefaults.jitter, 0, 1)
  const maxAttempts = options.maxAttempts ?? reconnectDefaults.maxAttempts
  if (maxAttempts !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxAttempts) || maxAttempts < 1)) {
    throw new InvalidArgumentError(
      `reconnect.maxAttempts must be a positive integer or Infinity, got ${String(maxAttempts)}`,
    )
  }
  return Object.freeze({ initialDelay, maxDelay, factor, jitter, maxAttempts })
}

/**
 * The delay (whole ms) to wait before reconnect attempt `attempt` (counted from 1): the exponential delay
 * `d = min(maxDelay, initialDelay · factor^(attempt − 1))`, then jittered to `d − jitter · d · random()`, which lies
 * in `((1 − jitter) · d, d]` for `random()` in `[0, 1)`.
 */
export function reconnectDelay(
  attempt: number,
  options: ResolvedReconnectOptions,
  random: () => number = Math.random,
): number {
  const { initialDelay } = options
  // factor ** n overflows to Infinity for a large n: capped by maxDelay (0 · Infinity would be NaN).
  const capped = initialDelay === 0 ? 0 : Math.min(options.maxDelay, initialDelay * options.factor ** (attempt - 1))
  return Math.round(capped - options.jitter * capped * random())
}
