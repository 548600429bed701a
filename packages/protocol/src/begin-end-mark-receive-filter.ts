import {
  ProtocolError,
  type ReceiveFilterContext,
  type ReceiveFilterFactory,
  type TextEncoding,
} from '@socketlite/socket-base'
import { BasicRequestInfoParser, type RequestInfoParser } from './basic-request-info-parser.js'
import { BinaryRequestInfo } from './binary-request-info.js'
import { FrameAccumulator } from './frame-accumulator.js'
import { checkEncoding, indexOfWithin, markBytes, requestTooLarge, sharedMark, snapshot } from './internal.js'
import { ReceiveFilterBase } from './receive-filter-base.js'
import type { StringRequestInfo } from './string-request-info.js'

/** Options of {@link BeginEndMarkReceiveFilter} and its factory. */
export interface BeginEndMarkReceiveFilterInit {
  /** Starts every frame. A string is encoded with `encoding`. Must not be empty. */
  beginMark: string | Uint8Array
  /** Ends every frame: its first occurrence after the begin mark. A string is encoded with `encoding`. */
  endMark: string | Uint8Array
  /**
   * Encoding of string marks (and of the frames, for the text filter).
   * @default 'utf8'
   */
  encoding?: TextEncoding | undefined
}

/**
 * Frames enclosed in a begin mark and an end mark (SuperSocket's `BeginEndMarkReceiveFilter<T>`); subclasses turn
 * each body (marks removed) into a request in {@link BeginEndMarkReceiveFilterBase.resolveRequestInfo}.
 *
 * Marks may straddle chunks at any byte. Junk policy: every frame must start with the begin mark right where the
 * previous frame ended; any other byte there is a `ProtocolError` (`ERR_PROTOCOL`), however the stream is chunked
 * (SuperSocket silently dropped some junk and failed on other junk, B9). The frame size counted against
 * `maxRequestLength` includes both marks.
 */
export abstract class BeginEndMarkReceiveFilterBase<TRequest> extends ReceiveFilterBase<TRequest> {
  /** The begin mark bytes: a private copy, shared by filters with an equal mark (read-only: never write into it). */
  readonly beginMark: Buffer
  /** The end mark bytes: a private copy, shared by filters with an equal mark (read-only: never write into it). */
  readonly endMark: Buffer
  readonly #held = new FrameAccumulator()
  #beginMatched = 0

  /** @throws {InvalidArgumentError} an empty mark or an unknown encoding. */
  constructor(init: BeginEndMarkReceiveFilterInit) {
    super()
    const encoding = checkEncoding('encoding', init?.encoding ?? 'utf8')
    this.beginMark = markBytes('beginMark', init.beginMark, encoding)
    this.endMark = markBytes('endMark', init.endMark, encoding)
  }

  /** Bytes of the unfinished frame (begin mark and body so far). */
  get leftBufferSize(): number {
    return this.#beginMatched + this.#held.length
  }

  /**
   * The request for one frame body, marks removed (may be empty). `body` is a view of a received chunk or a fresh
   * copy, and stays valid. May throw to reject the frame, or call `switchTo` to change filters after it.
   */
  protected abstract resolveRequestInfo(body: Buffer): TRequest

  protected doFilter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TRequest>): number {
    const max = context.maxRequestLength
    const begin = this.beginMark
    const endMark = this.endMark
    const end = offset + length
    let position = offset
    if (this.#beginMatched < begin.length) {
      if (begin.length + endMark.length > max) throw requestTooLarge(begin.length + endMark.length, max)
      const matched = this.#beginMatched
      const count = Math.min(begin.length - matched, length)
      if (data.compare(begin, matched, matched + count, offset, offset + count) !== 0) {
        throw new ProtocolError('Bytes outside a frame: expected the begin mark')
      }
      this.#beginMatched += count
      position += count
      if (this.#beginMatched < begin.length || position === end) return count
    }
    const held = this.#held
    const heldLength = held.length
    const size = endMark.length
    const overhead = begin.length + size
    if (heldLength > 0 && size > 1) {
      // An end mark that starts in the held body ends within the first size - 1 bytes of this data.
      const bodyLength = held.indexOfMarkAcross(endMark, data, position, end)
      if (bodyLength >= 0) {
        if (bodyLength + overhead > max) throw requestTooLarge(bodyLength + overhead, max)
        this.#beginMatched = 0
        context.request = this.resolveRequestInfo(held.take(bodyLength))
        return position + bodyLength + size - heldLength - offset
      }
    }
    const found = indexOfWithin(data, endMark, position, end)
    if (found >= 0) {
      const bodyLength = heldLength + found - position
      if (bodyLength + overhead > max) throw requestTooLarge(bodyLength + overhead, max)
      this.#beginMatched = 0
      context.request = this.resolveRequestInfo(held.takeWith(data, position, found))
      return found + size - offset
    }
    // No end mark yet: the frame needs at least one more byte.
    const frameSoFar = begin.length + heldLength + end - position
    if (frameSoFar >= max) throw requestTooLarge(`more than ${frameSoFar}`, max)
    held.append(data, position, end, max - begin.length)
    return length
  }

  protected resetFrame(): void {
    this.#held.clear()
    this.#beginMatched = 0
  }
}

/** Frames between a begin and an end mark; each body, marks removed, is the `body` of a {@link BinaryRequestInfo}. */
export class BeginEndMarkReceiveFilter extends BeginEndMarkReceiveFilterBase<BinaryRequestInfo> {
  protected resolveRequestInfo(body: Buffer): BinaryRequestInfo {
    return new BinaryRequestInfo('', body)
  }
}

/** Makes a {@link BeginEndMarkReceiveFilter} per session. */
export class BeginEndMarkReceiveFilterFactory implements ReceiveFilterFactory<BinaryRequestInfo> {
  readonly #init: BeginEndMarkReceiveFilterInit

  /** @throws {InvalidArgumentError} an empty mark or an unknown encoding. */
  constructor(init: BeginEndMarkReceiveFilterInit) {
    new BeginEndMarkReceiveFilter(init)
    this.#init = withSharedMarks(snapshot(init))
  }

  /** A new filter with this factory's options. */
  createFilter(): BeginEndMarkReceiveFilter {
    return new BeginEndMarkReceiveFilter(this.#init)
  }
}

/** Options of {@link StringBeginEndMarkReceiveFilter} and its factory. */
export interface StringBeginEndMarkReceiveFilterInit extends BeginEndMarkReceiveFilterInit {
  /**
   * Turns each decoded body into a request.
   * @default new BasicRequestInfoParser()
   */
  parser?: RequestInfoParser<StringRequestInfo> | undefined
}

/**
 * Text frames between a begin and an end mark: each body, marks removed, is decoded with `encoding` and parsed into a
 * {@link StringRequestInfo} by `parser` (a command line by default).
 */
export class StringBeginEndMarkReceiveFilter extends BeginEndMarkReceiveFilterBase<StringRequestInfo> {
  /** Encoding of the bodies. */
  readonly encoding: TextEncoding
  /** The parser of decoded bodies. */
  readonly parser: RequestInfoParser<StringRequestInfo>

  /** @throws {InvalidArgumentError} an empty mark or an unknown encoding. */
  constructor(init: StringBeginEndMarkReceiveFilterInit) {
    super(init)
    this.encoding = init.encoding ?? 'utf8'
    this.parser = init.parser ?? new BasicRequestInfoParser()
  }

  protected resolveRequestInfo(body: Buffer): StringRequestInfo {
    return this.parser.parse(body.toString(this.encoding))
  }
}

/** Makes a {@link StringBeginEndMarkReceiveFilter} per session. */
export class StringBeginEndMarkReceiveFilterFactory implements ReceiveFilterFactory<StringRequestInfo> {
  readonly #init: StringBeginEndMarkReceiveFilterInit

  /** @throws {InvalidArgumentError} an empty mark or an unknown encoding. */
  constructor(init: StringBeginEndMarkReceiveFilterInit) {
    new StringBeginEndMarkReceiveFilter(init)
    this.#init = withSharedMarks(snapshot(init))
  }

  /** A new filter with this factory's options. */
  createFilter(): StringBeginEndMarkReceiveFilter {
    return new StringBeginEndMarkReceiveFilter(this.#init)
  }
}

/** A factory's options with the marks encoded once, shared by the filters it makes. */
function withSharedMarks<T extends BeginEndMarkReceiveFilterInit>(init: T): T {
  const encoding = init.encoding ?? 'utf8'
  return {
    ...init,
    beginMark: sharedMark('beginMark', init.beginMark, encoding),
    endMark: sharedMark('endMark', init.endMark, encoding),
  }
}
