/**
 * A view of a received chunk that says where it lies without the typed-array getters. On Node 20, reading a view's
 * `buffer` and `byteOffset` costs 20-30 ns per view (they are calls into V8's builtins, not field loads), and a
 * sending queue that merges the views an echo hands back, one after the other, reads both for every view. The
 * receive filters' frames (made by `@socketlite/protocol`) answer these two keys with fields; the sending queue
 * (`@socketlite/sending-queue`) reads them first and falls back to `buffer` / `byteOffset` for any other `Uint8Array`.
 *
 * The keys are registered symbols (`Symbol.for`), so every copy of the package agrees on them. A view that answers
 * them must answer both, with exactly its `buffer` and `byteOffset`.
 */

/** The `ArrayBuffer` a {@link ReceivedView} views (its `buffer`). */
export const viewSource: unique symbol = Symbol.for('socketlite.viewSource')

/** Where a {@link ReceivedView} starts in its `ArrayBuffer` (its `byteOffset`). */
export const viewOffset: unique symbol = Symbol.for('socketlite.viewOffset')

/** A `Uint8Array` that may tell its `buffer` and `byteOffset` cheaply (see {@link viewSource}). */
export interface ReceivedView extends Uint8Array {
  readonly [viewSource]?: ArrayBufferLike
  readonly [viewOffset]?: number
}

/** `view.buffer`, read through {@link viewSource} when the view answers it. */
export function viewSourceOf(view: Uint8Array): ArrayBufferLike {
  return (view as ReceivedView)[viewSource] ?? view.buffer
}

/** `view.byteOffset`, read through {@link viewOffset} when the view answers it. */
export function viewOffsetOf(view: Uint8Array): number {
  return (view as ReceivedView)[viewOffset] ?? view.byteOffset
}
