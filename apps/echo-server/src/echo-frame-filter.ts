import { ProtocolError, type ReceiveFilter, type ReceiveFilterContext } from '@socketlite/app-server'
import { EchoFrame } from './echo-frame.js'

/** Options of {@link EchoFrameFilter}. */
export interface EchoFrameFilterInit {
  /**
   * UDP: one request per datagram, holding every frame of it (the inner filter still checks each frame, and a
   * datagram that ends inside a frame is a `ProtocolError` for that datagram). The echo is then the same datagram.
   * @default false
   */
  datagram?: boolean
}

/** The inner filter's context: the same slots as the pipeline's, with a limit that follows the pipeline's. */
interface InnerContext {
  maxRequestLength: number
  request: unknown
  nextFilter: ReceiveFilter<unknown> | undefined
}

/**
 * Wraps any receive filter and turns each frame it finds into an {@link EchoFrame} holding the frame's bytes as
 * they came in, framing included: the bytes the inner filter consumed from the first byte of the frame to its
 * last. The inner filter does the framing (and enforces `maxRequestLength` and the protocol errors); its own
 * request object is ignored. This is what makes the echo byte-identical for every protocol, whatever the options
 * (an `initialBytesToStrip` that removes header bytes from the request does not remove them from the echo).
 *
 * Frames that arrive whole in one chunk are handed out as views of that chunk (no copy); frames spread over several
 * chunks are gathered into one fresh buffer. The pipeline never reuses chunk memory, so the views stay valid.
 *
 * @example
 * ```ts
 * const filter = new EchoFrameFilter(new BinaryTerminatorReceiveFilter({ terminator: '\r\n' }))
 * // 'PING\r\n' → EchoFrame { frame: <'PING\r\n'> }
 * ```
 */
export class EchoFrameFilter implements ReceiveFilter<EchoFrame> {
  readonly #inner: ReceiveFilter<unknown>
  readonly #datagram: boolean
  readonly #context: InnerContext = { maxRequestLength: 1, request: undefined, nextFilter: undefined }
  /** Pieces of the unfinished frame (views of earlier chunks). */
  #parts: Buffer[] = []
  #partBytes = 0
  /** Datagram mode: the chunk being parsed and where its first frame starts. */
  #runData: Buffer | undefined
  #runStart = 0

  /**
   * @param inner - the filter that finds the frames (one per session: it keeps state)
   * @param init - options
   */
  constructor(inner: ReceiveFilter<unknown>, init: EchoFrameFilterInit = {}) {
    this.#inner = inner
    this.#datagram = init.datagram ?? false
  }

  /** The inner filter's state: `FilterState.Error` once it has thrown. */
  get state(): ReceiveFilter<EchoFrame>['state'] {
    return this.#inner.state
  }

  /** Bytes of the unfinished frame (datagram mode: of the unfinished datagram). */
  get leftBufferSize(): number {
    return this.#partBytes
  }

  /**
   * Runs the inner filter over `data[offset, offset + length)` and keeps the bytes it consumed; when they complete
   * a frame, `context.request` is the {@link EchoFrame}.
   * @throws {ProtocolError} whatever the inner filter throws (malformed input, a frame over the limit), or
   *   `ERR_PROTOCOL` when the inner filter tries to switch filters (the echo server does not switch).
   */
  filter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<EchoFrame>): number {
    const inner = this.#context
    inner.maxRequestLength = context.maxRequestLength
    inner.request = undefined
    inner.nextFilter = undefined
    const consumed = this.#inner.filter(data, offset, length, inner as ReceiveFilterContext<unknown>)
    const complete = inner.request !== undefined
    inner.request = undefined
    if (inner.nextFilter !== undefined) {
      inner.nextFilter = undefined
      throw new ProtocolError('The echo filter does not support switching filters')
    }
    if (this.#datagram) return this.#datagramFrame(data, offset, consumed, complete, context)
    if (!complete) {
      if (consumed > 0) {
        this.#parts.push(data.subarray(offset, offset + consumed))
        this.#partBytes += consumed
      }
      return consumed
    }
    let frame = data.subarray(offset, offset + consumed)
    if (this.#parts.length > 0) {
      this.#parts.push(frame)
      frame = Buffer.concat(this.#parts, this.#partBytes + consumed)
      this.#parts = []
      this.#partBytes = 0
    }
    context.request = new EchoFrame(frame)
    return consumed
  }

  /** Forgets any partial frame and resets the inner filter. */
  reset(): void {
    this.#inner.reset()
    this.#parts = []
    this.#partBytes = 0
    this.#runData = undefined
  }

  /** Datagram mode: frames never span chunks, so the run is one range of `data`, handed out at its end. */
  #datagramFrame(
    data: Buffer,
    offset: number,
    consumed: number,
    complete: boolean,
    context: ReceiveFilterContext<EchoFrame>,
  ): number {
    if (this.#runData !== data) {
      this.#runData = data
      this.#runStart = offset
    }
    const end = offset + consumed
    if (complete && end === data.length) {
      context.request = new EchoFrame(data.subarray(this.#runStart, end))
      this.#runData = undefined
      this.#partBytes = 0
    } else {
      this.#partBytes = end - this.#runStart
    }
    return consumed
  }
}
