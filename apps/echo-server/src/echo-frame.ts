import type { RequestInfo } from '@socketlite/app-server'

/**
 * One request of the echo server: the frame exactly as it came in, framing included (a line with its terminator, a
 * length-field frame with its header, a begin/end frame with its marks, a fixed-size block as it is). Sending
 * `frame` back is the echo.
 *
 * `frame` is a view of the received chunk when the frame arrived in one piece (no copy), or a fresh buffer when it
 * was gathered from several chunks. Either way it stays valid as long as it is held.
 */
export class EchoFrame implements RequestInfo {
  /** Always `''`: an echo server does not dispatch on keys. */
  readonly key = ''
  /** The whole frame, byte for byte as received. */
  readonly frame: Buffer

  constructor(frame: Buffer) {
    this.frame = frame
  }
}
