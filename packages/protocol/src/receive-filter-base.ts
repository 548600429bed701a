import { FilterState, ProtocolError, type ReceiveFilter, type ReceiveFilterContext } from '@socketlite/socket-base'

/** The value of `ReceiveFilterBase.#next` in the error state. */
const failed: unique symbol = Symbol('failed')

/**
 * Base class of the built-in filters and a convenient start for custom ones (SuperSocket's `ReceiveFilterBase`).
 *
 * Subclasses implement {@link ReceiveFilterBase.doFilter} (consume bytes, store a finished request in
 * `context.request`) and {@link ReceiveFilterBase.resetFrame}. The base keeps {@link ReceiveFilter.state}: once
 * `doFilter` throws, the filter is in `FilterState.Error` and refuses input until {@link ReceiveFilterBase.reset}.
 * A subclass, or a request hook it calls, may hand the rest of the stream to another filter with
 * {@link ReceiveFilterBase.switchTo}.
 */
export abstract class ReceiveFilterBase<TRequest> implements ReceiveFilter<TRequest> {
  /**
   * The filter that takes over after the current `filter` call ({@link ReceiveFilterBase.switchTo}), or
   * {@link failed} in the error state (one field for both: a session's filter is one of many).
   */
  #next: ReceiveFilter<TRequest> | typeof failed | undefined

  /** `FilterState.Error` once the filter has thrown, until {@link ReceiveFilterBase.reset}. */
  get state(): FilterState {
    return this.#next === failed ? FilterState.Error : FilterState.Normal
  }

  /** Bytes of an incomplete frame held inside the filter. */
  abstract get leftBufferSize(): number

  /**
   * Runs {@link ReceiveFilterBase.doFilter} and applies a pending {@link ReceiveFilterBase.switchTo}.
   * @throws {ProtocolError} whatever `doFilter` throws, or `ERR_PROTOCOL` when called in the error state.
   */
  filter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TRequest>): number {
    if (this.#next === failed) throw new ProtocolError('The receive filter has failed; reset it before reuse')
    let consumed: number
    try {
      consumed = this.doFilter(data, offset, length, context)
    } catch (error) {
      this.#next = failed
      throw error
    }
    const next = this.#next
    if (next !== undefined) {
      // (never `failed` here: only a throw from doFilter sets it, and that leaves above)
      context.nextFilter = next as ReceiveFilter<TRequest>
      this.#next = undefined
    }
    return consumed
  }

  /** Forgets any partial frame and pending switch, and leaves the error state. */
  reset(): void {
    this.#next = undefined
    this.resetFrame()
  }

  /**
   * Consume bytes of `data[offset, offset + length)` (`length >= 1`) and return how many; store a completed request
   * in `context.request`. See {@link ReceiveFilter.filter} for the rules.
   * @throws {ProtocolError} malformed input (`ERR_PROTOCOL`) or a frame over `context.maxRequestLength`
   *   (`ERR_REQUEST_TOO_LARGE`).
   */
  protected abstract doFilter(
    data: Buffer,
    offset: number,
    length: number,
    context: ReceiveFilterContext<TRequest>,
  ): number

  /** Drop any partial frame (called by {@link ReceiveFilterBase.reset}). */
  protected abstract resetFrame(): void

  /**
   * Hand every byte after the current call to `next` (SuperSocket's `NextReceiveFilter`). Call it from `doFilter`
   * or from a request hook; the switch takes effect when the current `filter` call returns.
   */
  protected switchTo(next: ReceiveFilter<TRequest>): void {
    if (this.#next === failed) return
    this.#next = next
  }
}
