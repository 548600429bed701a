import type net from 'node:net'
import { onTestFinished } from 'vitest'
import { type LineReader, lineReader } from './line-reader.js'
import { connectTcp } from './tcp.js'

/** A client of a line protocol (`\r\n`-terminated lines), made by {@link connectLineClient}. */
export interface LineClient extends LineReader {
  /** The connected socket (e.g. to destroy it, or to write raw bytes). */
  readonly socket: net.Socket
  /** Write `line` and its `\r\n`; returns what `socket.write` returned. */
  say(line: string): boolean
  /**
   * Write `line` and its `\r\n`, then read the next line (`undefined` once the peer ended the connection).
   * @throws Error when no line arrives within 2 s.
   */
  ask(line: string): Promise<string | undefined>
}

/**
 * Connect to a line-protocol server on `127.0.0.1:port` (at most 2 s) and read its answers with a
 * {@link lineReader}. The socket is destroyed when the test finishes.
 *
 * @example
 * ```ts
 * const alice = await connectLineClient(port)
 * expect(await alice.ask('LOGIN alice')).toBe('LOGIN OK alice')
 * ```
 * @throws Error (an `AbortError`) when the connection is not made within 2 s.
 */
export async function connectLineClient(port: number): Promise<LineClient> {
  const socket = await connectTcp(port)
  onTestFinished(() => {
    socket.destroy()
  })
  const lines = lineReader(socket)
  return {
    socket,
    next: (timeoutMs) => lines.next(timeoutMs),
    say: (line) => socket.write(`${line}\r\n`),
    ask(line) {
      socket.write(`${line}\r\n`)
      return lines.next()
    },
  }
}
