import type { ListenerInfo, Logger } from '@socketlite/socket-base'

/** Errors of one burst of listener errors (e.g. an `EMFILE` storm) closer together than this are logged once. */
const burstMilliseconds = 1_000
/** Even within a long burst, one line at least this often. */
const repeatMilliseconds = 60_000

/**
 * Logs listener-level errors (`accept` failing with `EMFILE`, ...) without flooding: the first error of a burst is
 * logged at error level with the number of errors suppressed since the last line; the rest of the burst is counted.
 */
export class ListenerErrorLog {
  readonly #logger: Logger
  #lastError = 0
  #lastLine = 0
  #suppressed = 0

  constructor(logger: Logger) {
    this.#logger = logger
  }

  report(error: Error, listener: ListenerInfo | undefined): void {
    const now = Date.now()
    const newBurst = now - this.#lastError > burstMilliseconds
    this.#lastError = now
    if (!newBurst && now - this.#lastLine <= repeatMilliseconds) {
      this.#suppressed++
      return
    }
    this.#logger.error('Listener error; accepting goes on', {
      err: error,
      listener: listener === undefined ? undefined : `${listener.mode}://${host(listener.ip)}:${listener.port}`,
      suppressed: this.#suppressed,
    })
    this.#lastLine = now
    this.#suppressed = 0
  }
}

function host(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip
}
