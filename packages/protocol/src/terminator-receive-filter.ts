import type { ReceiveFilterContext, ReceiveFilterFactory, TextEncoding } from '@socketlite/socket-base'
import { BasicRequestInfoParser, type RequestInfoParser } from './basic-request-info-parser.js'
import { BinaryRequestInfo } from './binary-request-info.js'
import { viewOf } from './chunk-view.js'
import { FrameAccumulator } from './frame-accumulator.js'
import {
  checkEncoding,
  decodeRange,
  indexOfWithin,
  markBytes,
  requestTooLarge,
  sharedMark,
  snapshot,
} from './internal.js'
import { ReceiveFilterBase } from './receive-filter-base.js'
import type { StringRequestInfo } from './string-request-info.js'

/** The parser of filters given none: it keeps no state, so every filter shares it. */
const defaultParser = new BasicRequestInfoParser()

/**
 * Lets a {@link TerminatorReceiveFilter} whose `resolveRequestInfo` is its own (`parser.parse` of the frame decoded
 * with `encoding`) decode a frame that lies in one chunk straight from the chunk, skipping the view of it. Set by a
 * static block of {@link TerminatorReceiveFilterBase}.
 */
let decodeInPlace: <TRequest>(filter: TerminatorReceiveFilterBase<TRequest> & InPlaceText<TRequest>) => void

/** What a filter that decodes in place (see {@link decodeInPlace}) reads from itself: a text filter's own fields. */
interface InPlaceText<TRequest> {
  readonly parser: RequestInfoParser<TRequest>
  readonly encoding: TextEncoding
}

// Bits of `TerminatorReceiveFilterBase.#mode` (one field: a session's filter is one of many).
/** Frames are handed to `resolveRequestInfo` with their terminator. */
const keepTerminator = 1
/** A text filter that decodes frames in place (see {@link decodeInPlace}). */
const decodesInPlace = 2

/** Options of {@link TerminatorReceiveFilterBase} and {@link BinaryTerminatorReceiveFilter}. */
export interface TerminatorReceiveFilterBaseInit {
  /** Ends every frame; stripped from it. A string is encoded with `encoding`. Must not be empty. */
  terminator: string | Uint8Array
  /**
   * Encoding of a string `terminator` (and of the frames, for the text filters).
   * @default 'utf8'
   */
  encoding?: TextEncoding | undefined
}

/** Options of a {@link TerminatorReceiveFilterBase} subclass that wants the terminator in its frames. */
export interface TerminatorFrameInit extends TerminatorReceiveFilterBaseInit {
  /**
   * Hand each frame to `resolveRequestInfo` with its terminator (an echo or a proxy forwards frames as they came);
   * the built-in filters strip it.
   * @default false
   */
  keepTerminator?: boolean | undefined
}

/**
 * Frames end at a terminator (SuperSocket's `TerminatorReceiveFilter<T>`); subclasses turn each frame, without its
 * terminator, into a request in {@link TerminatorReceiveFilterBase.resolveRequestInfo}.
 *
 * The search is correct for any chunking: a terminator that straddles chunks is found, including self-overlapping
 * ones such as `'\r\n\r\n'` or `'aab'` (fixes SuperSocket's B6 mis-splits). The frame size counted against
 * `maxRequestLength` includes the terminator; bytes held without a terminator are rejected as soon as they reach
 * the limit (the frame could only be longer).
 */
export abstract class TerminatorReceiveFilterBase<TRequest> extends ReceiveFilterBase<TRequest> {
  /**
   * The terminator bytes: a private copy, shared by the filters of one factory and by filters with an equal terminator
   * (read-only: never write into it).
   */
  readonly terminator: Buffer
  /** `keepTerminator` and `decodesInPlace` bits. */
  #mode: number
  /** The unfinished frame; made when the first one is (an idle session's filter holds none). */
  #held: FrameAccumulator | undefined

  static {
    decodeInPlace = (filter) => {
      filter.#mode |= decodesInPlace
    }
  }

  /** @throws {InvalidArgumentError} an empty terminator or an unknown encoding. */
  constructor(init: TerminatorFrameInit) {
    super()
    this.terminator = markBytes('terminator', init?.terminator, checkEncoding('encoding', init?.encoding ?? 'utf8'))
    this.#mode = init?.keepTerminator === true ? keepTerminator : 0
  }

  /** Bytes of the unfinished frame. */
  get leftBufferSize(): number {
    return this.#held === undefined ? 0 : this.#held.length
  }

  /**
   * The request for one frame (terminator stripped, unless the subclass passed `keepTerminator`; may be empty).
   * `frame` is a view of a received chunk or a fresh copy, and stays valid. May throw to reject the frame, or call
   * `switchTo` to change filters after it.
   */
  protected abstract resolveRequestInfo(frame: Buffer): TRequest

  protected doFilter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TRequest>): number {
    const max = context.maxRequestLength
    const terminator = this.terminator
    const size = terminator.length
    const held = this.#held
    const heldLength = held === undefined ? 0 : held.length
    const end = offset + length
    if (held !== undefined && heldLength > 0 && size > 1) {
      // A terminator that starts in the held bytes ends within the first size - 1 bytes of this data: the first one
      // that does, tried from the earliest start. (The search is written out here rather than called: with it,
      // doFilter stays out of the pipeline's next(), which then inlines into its caller; measured faster for frames
      // that lie in one chunk.)
      const bytes = held.bytes
      let frameLength = -1
      next: for (let start = Math.max(heldLength - size + 1, 0); start < heldLength; start++) {
        const inHeld = heldLength - start
        if (size - inHeld > length) continue
        for (let index = 0; index < inHeld; index++) if (bytes[start + index] !== terminator[index]) continue next
        for (let index = inHeld; index < size; index++) {
          if (data[offset + index - inHeld] !== terminator[index]) continue next
        }
        frameLength = start
        break
      }
      if (frameLength >= 0) {
        if (frameLength + size > max) throw requestTooLarge(frameLength + size, max)
        const consumed = frameLength + size - heldLength
        context.request = this.resolveRequestInfo(
          (this.#mode & keepTerminator) !== 0 ? held.takeWith(data, offset, offset + consumed) : held.take(frameLength),
        )
        return consumed
      }
    }
    const found = indexOfWithin(data, terminator, offset, end)
    if (found >= 0) {
      const frameLength = heldLength + found - offset
      if (frameLength + size > max) throw requestTooLarge(frameLength + size, max)
      const mode = this.#mode
      const frameEnd = (mode & keepTerminator) !== 0 ? found + size : found
      if (heldLength === 0) {
        // A whole frame in this chunk: decoded where it lies (text), or a view of it.
        if ((mode & decodesInPlace) !== 0) {
          const text = this as unknown as InPlaceText<TRequest>
          context.request = text.parser.parse(decodeRange(data, text.encoding, offset, found))
        } else context.request = this.resolveRequestInfo(viewOf(data, offset, frameEnd))
      } else {
        context.request = this.resolveRequestInfo((held as FrameAccumulator).takeWith(data, offset, frameEnd))
      }
      return found + size - offset
    }
    // No terminator yet: the frame needs at least one more byte.
    if (heldLength + length >= max) throw requestTooLarge(`more than ${heldLength + length}`, max)
    if (held === undefined) this.#held = new FrameAccumulator()
    ;(this.#held as FrameAccumulator).append(data, offset, end, max)
    return length
  }

  protected resetFrame(): void {
    this.#held?.clear()
  }
}

/** Options of {@link TerminatorReceiveFilter} and its factory. */
export interface TerminatorReceiveFilterInit extends TerminatorReceiveFilterBaseInit {
  /**
   * Turns each decoded frame into a request.
   * @default new BasicRequestInfoParser()
   */
  parser?: RequestInfoParser<StringRequestInfo> | undefined
}

/**
 * Text frames ended by a terminator, decoded with `encoding` and parsed into {@link StringRequestInfo} by `parser`.
 * An empty line is a request with key `''`.
 *
 * @example
 * ```ts
 * new TerminatorReceiveFilter({ terminator: '##' }) // 'ECHO hi##' → { key: 'ECHO', body: 'hi', parameters: ['hi'] }
 * ```
 */
export class TerminatorReceiveFilter extends TerminatorReceiveFilterBase<StringRequestInfo> {
  /** Encoding of the frames. */
  readonly encoding: TextEncoding
  /** The parser of decoded frames. */
  readonly parser: RequestInfoParser<StringRequestInfo>

  /** @throws {InvalidArgumentError} an empty terminator or an unknown encoding. */
  constructor(init: TerminatorReceiveFilterInit) {
    // (Text frames never keep their terminator: the request is the decoded line. `init` is taken as it is when it
    // asks for nothing else: no object per filter.)
    super(
      init !== undefined && init !== null && (init as TerminatorFrameInit).keepTerminator === undefined
        ? init
        : { terminator: init?.terminator, encoding: init?.encoding },
    )
    this.encoding = init.encoding ?? 'utf8'
    this.parser = init.parser ?? defaultParser
    // A subclass that overrides resolveRequestInfo gets every frame through it, as before.
    if (this.resolveRequestInfo === TerminatorReceiveFilter.prototype.resolveRequestInfo) {
      decodeInPlace(this)
    }
  }

  protected resolveRequestInfo(frame: Buffer): StringRequestInfo {
    return this.parser.parse(frame.toString(this.encoding))
  }
}

/** Makes a {@link TerminatorReceiveFilter} per session. */
export class TerminatorReceiveFilterFactory implements ReceiveFilterFactory<StringRequestInfo> {
  readonly #init: TerminatorReceiveFilterInit

  /** @throws {InvalidArgumentError} invalid options (checked here, not per session). */
  constructor(init: TerminatorReceiveFilterInit) {
    new TerminatorReceiveFilter(init)
    this.#init = withSharedTerminator(snapshot(init))
  }

  /** A new filter with this factory's options. */
  createFilter(): TerminatorReceiveFilter {
    return new TerminatorReceiveFilter(this.#init)
  }
}

/**
 * Binary frames ended by a terminator: each frame, terminator stripped, is the `body` of a
 * {@link BinaryRequestInfo} with key `''`.
 */
export class BinaryTerminatorReceiveFilter extends TerminatorReceiveFilterBase<BinaryRequestInfo> {
  protected resolveRequestInfo(frame: Buffer): BinaryRequestInfo {
    return new BinaryRequestInfo('', frame)
  }
}

/** Makes a {@link BinaryTerminatorReceiveFilter} per session. */
export class BinaryTerminatorReceiveFilterFactory implements ReceiveFilterFactory<BinaryRequestInfo> {
  readonly #init: TerminatorReceiveFilterBaseInit

  /** @throws {InvalidArgumentError} invalid options. */
  constructor(init: TerminatorReceiveFilterBaseInit) {
    new BinaryTerminatorReceiveFilter(init)
    this.#init = withSharedTerminator(snapshot(init))
  }

  /** A new filter with this factory's options. */
  createFilter(): BinaryTerminatorReceiveFilter {
    return new BinaryTerminatorReceiveFilter(this.#init)
  }
}

/** A factory's options with the terminator encoded once, shared by the filters it makes. */
function withSharedTerminator<T extends TerminatorReceiveFilterBaseInit>(init: T): T {
  return { ...init, terminator: sharedMark('terminator', init.terminator, init.encoding ?? 'utf8') }
}
