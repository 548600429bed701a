import type { EventEmitter } from 'node:events'

/**
 * Binds a listening handle (a `net.Server` or a `dgram.Socket`) once: calls `bind`, then settles on the handle's
 * first `listening` event or its first `error` (a synchronous throw from `bind` counts as one).
 *
 * `onBound` runs synchronously inside the `listening` event, so the caller attaches its permanent listeners
 * before any later event can fire; its result resolves the promise. On failure `onFailed` runs (to release the
 * handle) and its error rejects the promise.
 */
export function bindOnce<T>(
  handle: EventEmitter,
  bind: () => void,
  onBound: () => T,
  onFailed: (error: Error) => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onError = (error: Error): void => {
      handle.removeListener('listening', onListening)
      reject(onFailed(error))
    }
    const onListening = (): void => {
      handle.removeListener('error', onError)
      resolve(onBound())
    }
    handle.once('error', onError)
    handle.once('listening', onListening)
    try {
      bind()
    } catch (error) {
      onError(error as Error)
    }
  })
}

/** True when `starting` resolved: the handle is bound and may be stopped; false when the start failed. */
export async function startSucceeded(starting: Promise<unknown>): Promise<boolean> {
  try {
    await starting
    return true
  } catch {
    return false
  }
}
