import type { ReceiveFilterContext, ReceiveFilterFactory } from '@socketlite/socket-base'
import { BinaryRequestInfo } from './binary-request-info.js'
import { FrameAccumulator } from './frame-accumulator.js'
import { checkInteger, requestTooLarge } from './internal.js'
import { ReceiveFilterBase } from './receive-filter-base.js'

/** Options of {@link FixedSizeReceiveFilter} and its factory. */
export interface FixedSizeReceiveFilterInit {
  /** Bytes in every frame; a positive integer. A size over `maxRequestLength` rejects the first frame. */
  size: number
}

/**
 * Every frame is exactly `size` bytes (SuperSocket's `FixedSizeReceiveFilter<T>`); subclasses turn each frame into
 * a request in {@link FixedSizeReceiveFilterBase.resolveRequestInfo}.
 */
export abstract class FixedSizeReceiveFilterBase<TRequest> extends ReceiveFilterBase<TRequest> {
  /** Bytes in every frame. */
  readonly size: number
  readonly #held = new FrameAccumulator()

  /** @throws {InvalidArgumentError} `size` is not a positive integer. */
  constructor(init: FixedSizeReceiveFilterInit) {
    super()
    this.size = checkInteger('size', init?.size, 1)
  }

  /** Bytes of the unfinished frame. */
  get leftBufferSize(): number {
    return this.#held.length
  }

  /** The request for one frame of `size` bytes (a view of a received chunk or a fresh copy; stays valid). */
  protected abstract resolveRequestInfo(frame: Buffer): TRequest

  protected doFilter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TRequest>): number {
    const size = this.size
    if (size > context.maxRequestLength) throw requestTooLarge(size, context.maxRequestLength)
    const held = this.#held
    const missing = size - held.length
    if (length < missing) {
      held.append(data, offset, offset + length, size)
      return length
    }
    context.request = this.resolveRequestInfo(held.takeWith(data, offset, offset + missing))
    return missing
  }

  protected resetFrame(): void {
    this.#held.clear()
  }
}

/** Frames of `size` bytes, each the `body` of a {@link BinaryRequestInfo} with key `''`. */
export class FixedSizeReceiveFilter extends FixedSizeReceiveFilterBase<BinaryRequestInfo> {
  protected resolveRequestInfo(frame: Buffer): BinaryRequestInfo {
    return new BinaryRequestInfo('', frame)
  }
}

/** Makes a {@link FixedSizeReceiveFilter} per session. */
export class FixedSizeReceiveFilterFactory implements ReceiveFilterFactory<BinaryRequestInfo> {
  readonly #init: FixedSizeReceiveFilterInit

  /** @throws {InvalidArgumentError} `size` is not a positive integer. */
  constructor(init: FixedSizeReceiveFilterInit) {
    new FixedSizeReceiveFilter(init)
    this.#init = { ...init }
  }

  /** A new filter with this factory's options. */
  createFilter(): FixedSizeReceiveFilter {
    return new FixedSizeReceiveFilter(this.#init)
  }
}
