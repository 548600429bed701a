import {
  InvalidArgumentError,
  ProtocolError,
  type ReceiveFilterContext,
  type ReceiveFilterFactory,
  type TextEncoding,
} from '@socketlite/socket-base'
import { FrameAccumulator } from './frame-accumulator.js'
import { checkEncoding, checkInteger, indexOfWithin, requestTooLarge } from './internal.js'
import { ReceiveFilterBase } from './receive-filter-base.js'
import { StringRequestInfo } from './string-request-info.js'

/** Options of {@link CountSpliterReceiveFilterBase}. */
export interface CountSpliterReceiveFilterBaseInit {
  /** The spliter: one byte, given as a number (0-255) or a string that encodes to one byte. */
  spliter: number | string
  /** Spliters in every frame, the first one included (at least 2). */
  count: number
  /**
   * Encoding of a string `spliter` (and of the fields, for the text filter).
   * @default 'utf8'
   */
  encoding?: TextEncoding | undefined
}

/**
 * Frames made of `count` spliter bytes (SuperSocket's `CountSpliterReceiveFilter<T>`): a frame starts with a spliter
 * and ends at its `count`-th spliter, e.g. `#a#b#c#` for `count` 4. Subclasses turn each whole frame (spliters
 * included) into a request in {@link CountSpliterReceiveFilterBase.resolveRequestInfo}.
 *
 * Junk policy: a frame that does not start with the spliter is a `ProtocolError` (`ERR_PROTOCOL`) (SuperSocket
 * assumed it without checking). The whole frame counts against `maxRequestLength`.
 */
export abstract class CountSpliterReceiveFilterBase<TRequest> extends ReceiveFilterBase<TRequest> {
  /** The spliter byte. */
  readonly spliter: number
  /** Spliters in every frame. */
  readonly count: number
  readonly #held = new FrameAccumulator()
  #found = 0

  /** @throws {InvalidArgumentError} a spliter that is not one byte, `count` below 2, or an unknown encoding. */
  constructor(init: CountSpliterReceiveFilterBaseInit) {
    super()
    const encoding = checkEncoding('encoding', init?.encoding ?? 'utf8')
    const spliter = init.spliter
    if (typeof spliter === 'string') {
      const bytes = Buffer.from(spliter, encoding)
      if (bytes.length !== 1) throw new InvalidArgumentError('spliter must encode to exactly one byte')
      this.spliter = bytes[0] as number
    } else {
      this.spliter = checkInteger('spliter', spliter, 0, 255)
    }
    this.count = checkInteger('count', init.count, 2)
  }

  /** Bytes of the unfinished frame. */
  get leftBufferSize(): number {
    return this.#held.length
  }

  /** The request for one frame, first and last spliter included (a view or a fresh copy; stays valid). */
  protected abstract resolveRequestInfo(frame: Buffer): TRequest

  protected doFilter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TRequest>): number {
    const max = context.maxRequestLength
    const held = this.#held
    const heldLength = held.length
    const end = offset + length
    const spliter = this.spliter
    let position = offset
    if (this.#found === 0) {
      if (this.count > max) throw requestTooLarge(this.count, max)
      if (data[offset] !== spliter) throw new ProtocolError('Bytes outside a frame: expected the spliter')
      this.#found = 1
      position++
    }
    while (this.#found < this.count) {
      const at = indexOfWithin(data, spliter, position, end)
      if (at < 0) {
        // The frame needs at least one more byte.
        if (heldLength + length >= max) throw requestTooLarge(`more than ${heldLength + length}`, max)
        held.append(data, offset, end, max)
        return length
      }
      this.#found++
      position = at + 1
    }
    if (heldLength + position - offset > max) throw requestTooLarge(heldLength + position - offset, max)
    this.#found = 0
    context.request = this.resolveRequestInfo(held.takeWith(data, offset, position))
    return position - offset
  }

  protected resetFrame(): void {
    this.#held.clear()
    this.#found = 0
  }
}

/** Options of {@link CountSpliterReceiveFilter} and its factory. */
export interface CountSpliterReceiveFilterInit extends CountSpliterReceiveFilterBaseInit {
  /**
   * Which parameter is the request's `key` (0 to `count - 2`).
   * @default 0
   */
  keyIndex?: number | undefined
}

/**
 * Text frames of `count` spliters: `parameters` are the `count - 1` fields between consecutive spliters (empty
 * fields kept, so positions are stable), `key` is `parameters[keyIndex]`, and `body` is the text between the first
 * and the last spliter. `'#LOGIN#bob#secret#'` with spliter `'#'` and count 4 →
 * `{ key: 'LOGIN', body: 'LOGIN#bob#secret', parameters: ['LOGIN', 'bob', 'secret'] }`.
 */
export class CountSpliterReceiveFilter extends CountSpliterReceiveFilterBase<StringRequestInfo> {
  /** Encoding of the fields. */
  readonly encoding: TextEncoding
  /** Index of the parameter used as key. */
  readonly keyIndex: number

  /** @throws {InvalidArgumentError} an invalid spliter, count, encoding or `keyIndex`. */
  constructor(init: CountSpliterReceiveFilterInit) {
    super(init)
    this.encoding = init.encoding ?? 'utf8'
    this.keyIndex = checkInteger('keyIndex', init.keyIndex ?? 0, 0, this.count - 2)
  }

  protected resolveRequestInfo(frame: Buffer): StringRequestInfo {
    const encoding = this.encoding
    const parameters: string[] = []
    for (
      let start = 1, at = frame.indexOf(this.spliter, 1);
      at >= 0;
      start = at + 1, at = frame.indexOf(this.spliter, start)
    ) {
      parameters.push(frame.toString(encoding, start, at))
    }
    return new StringRequestInfo(
      parameters[this.keyIndex] as string,
      frame.toString(encoding, 1, frame.length - 1),
      parameters,
    )
  }
}

/** Makes a {@link CountSpliterReceiveFilter} per session. */
export class CountSpliterReceiveFilterFactory implements ReceiveFilterFactory<StringRequestInfo> {
  readonly #init: CountSpliterReceiveFilterInit

  /** @throws {InvalidArgumentError} an invalid spliter, count, encoding or `keyIndex`. */
  constructor(init: CountSpliterReceiveFilterInit) {
    new CountSpliterReceiveFilter(init)
    this.#init = { ...init }
  }

  /** A new filter with this factory's options. */
  createFilter(): CountSpliterReceiveFilter {
    return new CountSpliterReceiveFilter(this.#init)
  }
}
