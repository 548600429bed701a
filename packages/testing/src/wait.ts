import { once } from 'node:events'

/** Anything with Node events: sockets, servers, listeners. */
export type EventSource = NodeJS.EventEmitter

/**
 * Wait for `event` on `emitter`, at most `timeoutMs`; resolves with the event's arguments.
 * Rejects with an `AbortError` when the time is up, or with the error when `emitter` emits `error` first.
 * @default timeoutMs 2000
 */
export function waitFor(emitter: EventSource, event: string, timeoutMs = 2_000): Promise<unknown[]> {
  return once(emitter, event, { signal: AbortSignal.timeout(timeoutMs) })
}

/**
 * Settle like `promise`, or reject with an `Error` naming `what` once `timeoutMs` passed. The timer is cleared
 * as soon as `promise` settles, so it never keeps a test alive.
 * @default timeoutMs 2000
 */
export function withTimeout<T>(promise: PromiseLike<T>, timeoutMs = 2_000, what = 'the operation'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/** A promise with its `resolve` at hand (for handlers that signal a test). */
export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

/** Make a {@link Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
