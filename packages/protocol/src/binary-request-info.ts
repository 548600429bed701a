import type { RequestInfo } from '@socketlite/socket-base'

/**
 * A binary request: a `key` (`''` for the built-in filters), the frame's `body` and, for filters with a header
 * (such as {@link LengthFieldReceiveFilter}), the `header`. Subclass it to add decoded header fields.
 *
 * The buffers belong to the receiver and stay valid: they are views of received chunks that are never reused, or
 * fresh copies for frames gathered from several chunks. Copy them only to detach them from the chunk's memory.
 */
export class BinaryRequestInfo implements RequestInfo {
  /** Dispatch key; `''` for the built-in filters. */
  readonly key: string
  /** The frame's payload; an empty buffer (never missing) when the frame has none. */
  readonly body: Buffer
  /** The frame's header, for filters that keep one. */
  declare readonly header?: Buffer

  constructor(key: string, body: Buffer, header?: Buffer) {
    this.key = key
    this.body = body
    if (header !== undefined) this.header = header
  }
}
