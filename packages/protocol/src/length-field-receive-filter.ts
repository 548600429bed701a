import {
  InvalidArgumentError,
  ProtocolError,
  type ReceiveFilterContext,
  type ReceiveFilterFactory,
} from '@socketlite/socket-base'
import { BinaryRequestInfo } from './binary-request-info.js'
import { viewOf } from './chunk-view.js'
import { checkBodyLength, FixedHeaderReceiveFilter } from './fixed-header-receive-filter.js'
import { checkInteger, emptyBuffer, requestTooLarge } from './internal.js'

/** Width in bytes of a length field. */
export type LengthFieldLength = 1 | 2 | 3 | 4 | 8

/** Options of {@link LengthFieldReceiveFilter} and its factory: Netty's `LengthFieldBasedFrameDecoder` option set. */
export interface LengthFieldReceiveFilterInit {
  /**
   * Bytes before the length field.
   * @default 0
   */
  lengthFieldOffset?: number | undefined
  /**
   * Width of the unsigned length field (an 8-byte field is read as a signed 64-bit value, as Netty does).
   * @default 4
   */
  lengthFieldLength?: LengthFieldLength | undefined
  /**
   * Byte order of the length field: big endian (`'be'`, network order) or little endian (`'le'`).
   * @default 'be'
   */
  byteOrder?: 'be' | 'le' | undefined
  /**
   * Added to the field's value to get the number of bytes that follow the length field (negative when the value
   * also counts the header).
   * @default 0
   */
  lengthAdjustment?: number | undefined
  /**
   * Bytes removed from the start of every frame before it is handed out.
   * @default 0
   */
  initialBytesToStrip?: number | undefined
}

const widths: readonly number[] = [1, 2, 3, 4, 8]

/**
 * Frames with a binary length field (Netty's `LengthFieldBasedFrameDecoder`, tokio's `LengthDelimitedCodec`).
 *
 * A frame is `lengthFieldOffset + lengthFieldLength + value + lengthAdjustment` bytes. Each frame gives a
 * {@link BinaryRequestInfo} with key `''` where `header ++ body` is exactly the frame Netty would emit (the frame less
 * its first `initialBytesToStrip` bytes): `body` = the `value + lengthAdjustment` bytes after the length field (less
 * any stripped), `header` = what remains before them (possibly empty).
 *
 * The whole frame, stripped bytes included, counts against `maxRequestLength`, checked as soon as the length field
 * is read. A negative 8-byte value, a value above 2^53, an adjusted length that ends before the length field, or
 * `initialBytesToStrip` beyond the frame is a `ProtocolError` (`ERR_PROTOCOL`).
 *
 * @example
 * ```ts
 * // 2-byte big-endian length, then that many bytes: 00 0C 'HELLO, WORLD'
 * new LengthFieldReceiveFilter({ lengthFieldLength: 2 }) // → { header: <00 0C>, body: 'HELLO, WORLD' }
 * ```
 */
export class LengthFieldReceiveFilter extends FixedHeaderReceiveFilter<BinaryRequestInfo> {
  /** Bytes before the length field. */
  readonly lengthFieldOffset: number
  /** Width of the length field. */
  readonly lengthFieldLength: LengthFieldLength
  /** Byte order of the length field. */
  readonly byteOrder: 'be' | 'le'
  /** Added to the field's value. */
  readonly lengthAdjustment: number
  /** Bytes removed from the start of every frame. */
  readonly initialBytesToStrip: number
  /** Frames that lie whole in one chunk are cut from it directly (the hooks are this class's own). */
  readonly #inPlace: boolean

  /** @throws {InvalidArgumentError} an option out of range. */
  constructor(init: LengthFieldReceiveFilterInit = {}) {
    const lengthFieldOffset = checkInteger('lengthFieldOffset', init.lengthFieldOffset ?? 0, 0)
    const lengthFieldLength = init.lengthFieldLength ?? 4
    if (!widths.includes(lengthFieldLength)) {
      throw new InvalidArgumentError(`lengthFieldLength must be 1, 2, 3, 4 or 8, got ${String(lengthFieldLength)}`)
    }
    const byteOrder = init.byteOrder ?? 'be'
    if (byteOrder !== 'be' && byteOrder !== 'le') {
      throw new InvalidArgumentError(`byteOrder must be 'be' or 'le', got ${String(byteOrder)}`)
    }
    const lengthAdjustment = checkInteger('lengthAdjustment', init.lengthAdjustment ?? 0, Number.MIN_SAFE_INTEGER)
    const initialBytesToStrip = checkInteger('initialBytesToStrip', init.initialBytesToStrip ?? 0, 0)
    super(lengthFieldOffset + lengthFieldLength)
    this.lengthFieldOffset = lengthFieldOffset
    this.lengthFieldLength = lengthFieldLength
    this.byteOrder = byteOrder
    this.lengthAdjustment = lengthAdjustment
    this.initialBytesToStrip = initialBytesToStrip
    // A subclass that overrides a hook gets every frame through the hooks, as FixedHeaderReceiveFilter calls them.
    const own = LengthFieldReceiveFilter.prototype
    this.#inPlace =
      this.getBodyLengthFromHeader === own.getBodyLengthFromHeader && this.resolveRequestInfo === own.resolveRequestInfo
  }

  /**
   * A frame that lies whole in `data` (and nothing held from earlier chunks) is cut from it directly: the length is
   * read where it lies and only the views the request holds are made. Anything else goes the general way.
   */
  protected override doFilter(
    data: Buffer,
    offset: number,
    length: number,
    context: ReceiveFilterContext<BinaryRequestInfo>,
  ): number {
    const headerSize = this.headerSize
    const max = context.maxRequestLength
    if (!this.#inPlace || length < headerSize || headerSize > max || this.leftBufferSize !== 0) {
      return super.doFilter(data, offset, length, context)
    }
    const frameLength = headerSize + checkBodyLength(this.#bodyLengthAt(data, offset))
    if (frameLength > max) throw requestTooLarge(frameLength, max)
    if (frameLength > length) return super.doFilter(data, offset, length, context)
    const end = offset + frameLength
    const strip = this.initialBytesToStrip
    if (strip < headerSize) {
      const body = frameLength === headerSize ? emptyBuffer : viewOf(data, offset + headerSize, end)
      context.request = new BinaryRequestInfo('', body, viewOf(data, offset + strip, offset + headerSize))
    } else {
      const body = strip === frameLength ? emptyBuffer : viewOf(data, offset + strip, end)
      context.request = new BinaryRequestInfo('', body, emptyBuffer)
    }
    return frameLength
  }

  protected getBodyLengthFromHeader(header: Buffer): number {
    return this.#bodyLengthAt(header, 0)
  }

  /** The body length declared by the header at `data[at, at + headerSize)`. */
  #bodyLengthAt(data: Buffer, at: number): number {
    const value = this.#readLengthField(data, at)
    const bodyLength = value + this.lengthAdjustment
    if (bodyLength < 0) {
      throw new ProtocolError(`Adjusted frame length ends before the length field (value ${value})`)
    }
    if (this.initialBytesToStrip > this.headerSize + bodyLength) {
      throw new ProtocolError(
        `initialBytesToStrip (${this.initialBytesToStrip}) is beyond the frame (${this.headerSize + bodyLength})`,
      )
    }
    return bodyLength
  }

  protected resolveRequestInfo(header: Buffer, body: Buffer): BinaryRequestInfo {
    const strip = this.initialBytesToStrip
    if (strip === 0) return new BinaryRequestInfo('', body, header)
    if (strip < header.length) return new BinaryRequestInfo('', body, header.subarray(strip))
    const rest = strip === header.length ? body : body.subarray(strip - header.length)
    return new BinaryRequestInfo('', rest, emptyBuffer)
  }

  #readLengthField(header: Buffer, headerAt: number): number {
    const at = headerAt + this.lengthFieldOffset
    const bigEndian = this.byteOrder === 'be'
    switch (this.lengthFieldLength) {
      case 1:
        return header.readUInt8(at)
      case 2:
        return bigEndian ? header.readUInt16BE(at) : header.readUInt16LE(at)
      case 3:
        return bigEndian ? header.readUIntBE(at, 3) : header.readUIntLE(at, 3)
      case 4:
        return bigEndian ? header.readUInt32BE(at) : header.readUInt32LE(at)
      default: {
        const value = bigEndian ? header.readBigInt64BE(at) : header.readBigInt64LE(at)
        if (value < 0n) throw new ProtocolError(`Negative length field (${value})`)
        if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`Length field too large (${value})`)
        return Number(value)
      }
    }
  }
}

/** Makes a {@link LengthFieldReceiveFilter} per session. */
export class LengthFieldReceiveFilterFactory implements ReceiveFilterFactory<BinaryRequestInfo> {
  readonly #init: LengthFieldReceiveFilterInit

  /** @throws {InvalidArgumentError} an option out of range. */
  constructor(init: LengthFieldReceiveFilterInit = {}) {
    new LengthFieldReceiveFilter(init)
    this.#init = { ...init }
  }

  /** A new filter with this factory's options. */
  createFilter(): LengthFieldReceiveFilter {
    return new LengthFieldReceiveFilter(this.#init)
  }
}
