import { viewOf } from './chunk-view.js'
import { emptyBuffer } from './internal.js'

/**
 * Size of the small buffer each accumulator keeps for short partial frames (a line that straddles two reads), and the
 * smallest buffer it grows into.
 */
const scratchSize = 256

/**
 * The bytes of one incomplete frame, copied into one buffer of the accumulator's own as they arrive, so a partial
 * frame costs about its size however it was chunked: a frame dripped one byte per read holds one buffer, not one
 * chunk (and its Buffer objects and backing store) per byte. Nothing it holds is a view of a chunk, so it keeps no
 * chunk alive.
 *
 * - A frame that lies whole in one chunk is handed out as a view of the chunk, without any copy.
 * - A short partial frame (up to {@link scratchSize} bytes) is held in a small buffer the accumulator keeps and
 *   reuses: when the frame completes it is copied out, with the rest of it, into a buffer of its own (from Node's
 *   pool when small), which costs less than allocating a buffer per frame.
 * - A longer one is held in a buffer that grows geometrically (to twice the bytes it must hold), never past the
 *   frame's known bound, and is sized exactly when the frame completes and does not fit. The completed frame is
 *   handed out as a view of that buffer: no second copy.
 *
 * Bytes handed out are never written again: a grown buffer is given up with the frame, and the small buffer's bytes
 * are only ever handed out as copies. So every frame and header handed out stays valid.
 * @internal
 */
export class FrameAccumulator {
  #buffer: Buffer = emptyBuffer
  #length = 0
  /** The small buffer for short frames, allocated on first use. */
  #scratch: Buffer | undefined

  /** Bytes held. */
  get length(): number {
    return this.#length
  }

  /** The buffer the held bytes are in, at `[0, length)`: to read them in place, never to keep or hand out. */
  get bytes(): Buffer {
    return this.#buffer
  }

  /** Bytes the buffer can hold before it grows (for tests). */
  get capacity(): number {
    return this.#buffer.length
  }

  /**
   * Copies `data[start, end)` after the held bytes. `limit` is the most bytes the frame can have (at least
   * `length + end - start`): a buffer grown for this frame is never larger.
   */
  append(data: Buffer, start: number, end: number, limit: number): void {
    const length = this.#length
    const total = length + end - start
    if (total <= length) return
    if (total > this.#buffer.length) FrameAccumulator.#grow(this, total, limit)
    data.copy(this.#buffer, length, start, end)
    this.#length = total
  }

  /**
   * The held bytes followed by `data[start, end)`, as one buffer; then holds nothing. With nothing held it is a view
   * of `data`; otherwise the frame's own buffer (see the class).
   */
  takeWith(data: Buffer, start: number, end: number): Buffer {
    // Small, so that it inlines into the filters' hot path; gathering is the rare case.
    return this.#length === 0 ? viewOf(data, start, end) : FrameAccumulator.#gather(this, data, start, end)
  }

  /** {@link FrameAccumulator.takeWith} with bytes held. */
  static #gather(accumulator: FrameAccumulator, data: Buffer, start: number, end: number): Buffer {
    const length = accumulator.#length
    const total = length + end - start
    const buffer = accumulator.#buffer
    if (buffer === accumulator.#scratch) {
      const frame = Buffer.allocUnsafe(total)
      buffer.copy(frame, 0, 0, length)
      data.copy(frame, length, start, end)
      accumulator.#length = 0
      return frame
    }
    if (total > buffer.length) FrameAccumulator.#grow(accumulator, total, total)
    data.copy(accumulator.#buffer, length, start, end)
    return FrameAccumulator.#handOut(accumulator, total)
  }

  /** The first `size` held bytes (`size <= length`) as one buffer; then holds nothing. */
  take(size: number): Buffer {
    if (size === 0) {
      this.clear()
      return emptyBuffer
    }
    if (this.#buffer === this.#scratch) {
      this.#length = 0
      return Buffer.from(this.#buffer.subarray(0, size))
    }
    return FrameAccumulator.#handOut(this, size)
  }

  /** The first `size` held bytes (`size <= length`), kept held: a view, or a copy of the small buffer's bytes. */
  peek(size: number): Buffer {
    const view = this.#buffer.subarray(0, size)
    return this.#buffer === this.#scratch ? Buffer.from(view) : view
  }

  /**
   * Where `mark` first occurs across the boundary: the index, in the held bytes, of the first occurrence that
   * starts in the held bytes (only the last `mark.length - 1` can start one) and ends in `data[offset, end)`; -1 if
   * none does. Allocates nothing.
   */
  indexOfMarkAcross(mark: Buffer, data: Buffer, offset: number, end: number): number {
    const length = this.#length
    const size = mark.length
    const buffer = this.#buffer
    const available = end - offset
    next: for (let start = Math.max(length - size + 1, 0); start < length; start++) {
      const inHeld = length - start
      if (size - inHeld > available) continue
      for (let index = 0; index < inHeld; index++) if (buffer[start + index] !== mark[index]) continue next
      for (let index = inHeld; index < size; index++) if (data[offset + index - inHeld] !== mark[index]) continue next
      return start
    }
    return -1
  }

  /** Drops everything held (the small buffer is kept for the next frame). */
  clear(): void {
    this.#buffer = this.#scratch ?? emptyBuffer
    this.#length = 0
  }

  /** A buffer for at least `total` bytes, at most `limit` (unless `total` is more), holding the held bytes. */
  static #grow(accumulator: FrameAccumulator, total: number, limit: number): void {
    let buffer: Buffer
    if (accumulator.#length === 0 && total <= scratchSize) {
      // Not from Node's shared pool: a partial frame may live long, and a pool slice keeps the whole pool alive.
      buffer = accumulator.#scratch ??= Buffer.allocUnsafeSlow(scratchSize)
    } else {
      let capacity = total * 2
      if (capacity < scratchSize) capacity = scratchSize
      if (capacity > limit) capacity = limit
      if (capacity < total) capacity = total
      buffer = Buffer.allocUnsafeSlow(capacity)
      if (accumulator.#length > 0) accumulator.#buffer.copy(buffer, 0, 0, accumulator.#length)
    }
    accumulator.#buffer = buffer
  }

  /** The first `size` bytes as a view of the grown buffer, which is then given up (the view owns it). */
  static #handOut(accumulator: FrameAccumulator, size: number): Buffer {
    const frame = accumulator.#buffer.subarray(0, size)
    accumulator.#buffer = accumulator.#scratch ?? emptyBuffer
    accumulator.#length = 0
    return frame
  }
}
