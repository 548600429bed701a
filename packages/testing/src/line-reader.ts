import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

/** Reads a stream line by line; made by {@link lineReader}. */
export interface LineReader {
  /**
   * The next line (without its `\r\n` or `\n`), or `undefined` once the peer has ended the stream.
   * @default timeoutMs 2000
   * @throws Error when no line arrives within `timeoutMs`.
   */
  next(timeoutMs?: number): Promise<string | undefined>
}

/**
 * Read `stream` (a socket) line by line; `\r\n` and `\n` both end a line and are stripped. Lines that arrive before
 * `next()` is called are kept for it, and a line that arrives after a `next()` timed out goes to the following call.
 * Do not mix it with another reader of the same stream.
 *
 * @example
 * ```ts
 * const lines = lineReader(socket)
 * socket.write('ECHO hi\r\n')
 * expect(await lines.next()).toBe('hi')
 * ```
 */
export function lineReader(stream: Readable): LineReader {
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]()
  // A read that timed out is still waiting for its line: the next call takes it over, so no line is lost.
  let waiting: Promise<IteratorResult<string>> | undefined
  return {
    async next(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`lineReader: no line within ${timeoutMs} ms`)), timeoutMs)
      })
      if (waiting === undefined) {
        waiting = lines.next()
        waiting.catch(() => {}) // awaited below; never unhandled if the race is lost
      }
      try {
        const result = await Promise.race([waiting, timeout])
        waiting = undefined
        return result.done ? undefined : result.value
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
