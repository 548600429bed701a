/** Exit code of a second SIGINT (128 + 2) or SIGTERM (128 + 15), which ends the process at once. */
const forcedExitCodes: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 }

/**
 * Resolves with the reason to stop: the first SIGINT or SIGTERM of the process (`'SIGINT'`, `'SIGTERM'`), or
 * `'abort'` when `signal` is given and aborts (the process's signals are then left alone). After the first process
 * signal, a second one exits the process at once (code 130 or 143), for a stop that hangs.
 *
 * @param signal - stops instead of the process's signals
 */
export function waitForStopSignal(signal?: AbortSignal): Promise<string> {
  if (signal !== undefined) {
    if (signal.aborted) return Promise.resolve('abort')
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve('abort'), { once: true }))
  }
  return new Promise((resolve) => {
    const onSignal = (name: 'SIGINT' | 'SIGTERM'): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.once('SIGINT', () => process.exit(forcedExitCodes.SIGINT))
      process.once('SIGTERM', () => process.exit(forcedExitCodes.SIGTERM))
      resolve(name)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
