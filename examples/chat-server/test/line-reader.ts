import type { Socket } from 'node:net'
import { createInterface } from 'node:readline'

/**
 * Reads a socket line by line (`\r\n` or `\n`, stripped). `next()` resolves with the next line, or `undefined` once
 * the peer has ended the connection; it rejects after `timeoutMs`.
 */
export function lineReader(socket: Socket): { next(timeoutMs?: number): Promise<string | undefined> } {
  const lines = createInterface({ input: socket, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]()
  return {
    async next(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no line within ${timeoutMs} ms`)), timeoutMs)
      })
      try {
        const result = await Promise.race([lines.next(), timeout])
        return result.done ? undefined : result.value
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
