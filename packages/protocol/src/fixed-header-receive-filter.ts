import { ProtocolError, type ReceiveFilterContext } from '@socketlite/socket-base'
import { viewOf } from './chunk-view.js'
import { FrameAccumulator } from './frame-accumulator.js'
import { checkInteger, emptyBuffer, requestTooLarge } from './internal.js'
import { ReceiveFilterBase } from './receive-filter-base.js'

/**
 * Frames made of a fixed-size header that gives the length of the body that follows (SuperSocket's
 * `FixedHeaderReceiveFilter<T>`): the extension point most binary protocols subclass.
 *
 * The frame size counted against `maxRequestLength` is `headerSize + bodyLength`; it is checked as soon as the header
 * is read, before any of the body is buffered. A body length of 0 gives an empty `body` (never `null`).
 *
 * @example
 * ```ts
 * // int16 size (whole packet, little endian), int16 packetId, int8 type, then the body
 * class GamePacketFilter extends FixedHeaderReceiveFilter<GamePacket> {
 *   constructor() { super(5) }
 *   protected getBodyLengthFromHeader(header: Buffer) { return header.readUInt16LE(0) - 5 }
 *   protected resolveRequestInfo(header: Buffer, body: Buffer) {
 *     return new GamePacket(header.readUInt16LE(2), header.readUInt8(4), body)
 *   }
 * }
 * ```
 */
export abstract class FixedHeaderReceiveFilter<TRequest> extends ReceiveFilterBase<TRequest> {
  /** Bytes in every header. */
  readonly headerSize: number
  /** The unfinished frame, header included: one buffer, so a header read in place never keeps its chunk alive. */
  readonly #held = new FrameAccumulator()
  /** Size of the unfinished frame (header + body), or 0 while its header is incomplete. */
  #frameLength = 0

  /** @throws {InvalidArgumentError} `headerSize` is not a positive integer. */
  constructor(headerSize: number) {
    super()
    this.headerSize = checkInteger('headerSize', headerSize, 1)
  }

  /** Bytes of the unfinished frame (header and body so far). */
  get leftBufferSize(): number {
    return this.#held.length
  }

  /**
   * The body length declared by `header` (exactly `headerSize` bytes).
   * A negative, fractional or non-finite result is a `ProtocolError`; throwing rejects the frame.
   */
  protected abstract getBodyLengthFromHeader(header: Buffer): number

  /**
   * The request for one frame. `header` and `body` are views of a received chunk (a frame that lies in one chunk)
   * or of one fresh copy of the frame (a frame gathered from several), and stay valid; `body` is empty when the
   * declared length is 0.
   */
  protected abstract resolveRequestInfo(header: Buffer, body: Buffer): TRequest

  protected doFilter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TRequest>): number {
    const held = this.#held
    const headerSize = this.headerSize
    const end = offset + length
    let frameLength = this.#frameLength
    let position = offset
    if (frameLength === 0) {
      const max = context.maxRequestLength
      if (headerSize > max) throw requestTooLarge(headerSize, max)
      let header: Buffer
      if (held.length === 0) {
        if (length < headerSize) {
          held.append(data, offset, end, max)
          return length
        }
        header = viewOf(data, offset, offset + headerSize)
      } else {
        const missing = headerSize - held.length
        if (length < missing) {
          held.append(data, offset, end, max)
          return length
        }
        held.append(data, offset, offset + missing, max)
        header = held.peek(headerSize)
        position += missing
      }
      const bodyLength = this.#readBodyLength(header)
      frameLength = headerSize + bodyLength
      if (frameLength > max) throw requestTooLarge(frameLength, max)
      if (held.length === 0) {
        if (length >= frameLength) {
          // The whole frame lies in this chunk: views of it.
          const body = bodyLength === 0 ? emptyBuffer : viewOf(data, offset + headerSize, offset + frameLength)
          context.request = this.resolveRequestInfo(header, body)
          return frameLength
        }
        // The body goes on in later chunks: gather the frame, header included, in one buffer.
        held.append(data, offset, end, frameLength)
        this.#frameLength = frameLength
        return length
      }
      this.#frameLength = frameLength
    }
    const missing = frameLength - held.length
    if (end - position < missing) {
      held.append(data, position, end, frameLength)
      return length
    }
    const frame = held.takeWith(data, position, position + missing)
    this.#frameLength = 0
    const body = frame.length === headerSize ? emptyBuffer : frame.subarray(headerSize)
    context.request = this.resolveRequestInfo(frame.subarray(0, headerSize), body)
    return position + missing - offset
  }

  protected resetFrame(): void {
    this.#held.clear()
    this.#frameLength = 0
  }

  #readBodyLength(header: Buffer): number {
    return checkBodyLength(this.getBodyLengthFromHeader(header))
  }
}

/**
 * `bodyLength` when it is a non-negative safe integer.
 * @throws {ProtocolError} otherwise (`ERR_PROTOCOL`).
 * @internal
 */
export function checkBodyLength(bodyLength: unknown): number {
  if (typeof bodyLength !== 'number' || !Number.isSafeInteger(bodyLength) || bodyLength < 0) {
    throw new ProtocolError(`The header declares an invalid body length (${String(bodyLength)})`)
  }
  return bodyLength
}
