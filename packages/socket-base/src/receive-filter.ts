import type { FilterState } from './states.js'

/** What every request carries: a key to dispatch on (`''` for protocols without one). */
export interface RequestInfo {
  readonly key: string
}

/**
 * Per-call output slots of {@link ReceiveFilter.filter}. The caller (the filter pipeline) clears both
 * slots before each call and reuses one context object for the whole session, so filtering allocates nothing.
 */
export interface ReceiveFilterContext<TRequest> {
  /**
   * Largest frame in bytes, counted whole (header + body + terminator or marks), inclusive.
   * A filter throws `ProtocolError` with code `ERR_REQUEST_TOO_LARGE` as soon as it knows a frame is larger,
   * whatever the chunking (a length header that declares more is rejected before its body arrives).
   */
  readonly maxRequestLength: number
  /** Set by the filter when the consumed bytes completed a request. */
  request: TRequest | undefined
  /** Set by the filter to hand every byte after the consumed ones to another filter. */
  nextFilter: ReceiveFilter<TRequest> | undefined
}

/**
 * Turns one session's byte stream into requests (SuperSocket's `IReceiveFilter`).
 *
 * The pipeline calls {@link ReceiveFilter.filter} with the unread part of the current chunk; the filter consumes
 * some bytes and returns how many. When they complete a request it stores it in `context.request`; the pipeline
 * hands that request out and calls again with the rest of the chunk. A chunk may hold many requests, a request may
 * span many chunks, and a filter may switch the rest of the stream to another filter through `context.nextFilter`.
 *
 * Rules the pipeline enforces: a call must consume at least one byte or switch filters (no progress is a
 * `ProtocolError`), and may not consume more than it was given.
 *
 * Buffers handed to user code must stay valid after the call: a frame that lies whole inside `data` may be a
 * `subarray` of it (the pipeline never reuses chunk memory), a frame gathered from several chunks is a fresh copy.
 */
export interface ReceiveFilter<TRequest> {
  /** `FilterState.Error` once the filter has thrown; it then refuses further input. */
  readonly state: FilterState
  /** Bytes of an incomplete frame held inside the filter. */
  readonly leftBufferSize: number
  /**
   * Consume bytes of `data[offset, offset + length)`; return how many were consumed (1..length), or 0 only
   * when switching filters through `context.nextFilter` without consuming.
   * @throws {ProtocolError} malformed input (`ERR_PROTOCOL`) or a frame over the limit (`ERR_REQUEST_TOO_LARGE`).
   */
  filter(data: Buffer, offset: number, length: number, context: ReceiveFilterContext<TRequest>): number
  /** Forget any partial frame and return to the initial state. */
  reset(): void
}

/** What a filter factory learns about the session it makes a filter for. */
export interface FilterSessionInfo {
  readonly sessionId: string
  readonly remoteEndPoint: { readonly address: string; readonly port: number }
}

/** Makes one filter per session (SuperSocket's `IReceiveFilterFactory`). */
export interface ReceiveFilterFactory<TRequest> {
  /**
   * A new filter for `session`. In UDP "session id in the datagram" mode one filter parses every datagram of a
   * listener before any session is known, and `session` is `undefined`.
   */
  createFilter(session: FilterSessionInfo | undefined): ReceiveFilter<TRequest>
}

/** A factory object, or a plain function that makes the filter. */
export type ReceiveFilterFactoryLike<TRequest> =
  | ReceiveFilterFactory<TRequest>
  | ((session: FilterSessionInfo | undefined) => ReceiveFilter<TRequest>)
