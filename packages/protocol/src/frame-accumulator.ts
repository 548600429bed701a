import { emptyBuffer } from './internal.js'

/**
 * The bytes of one incomplete frame, kept as views of the chunks they arrived in (chunks are never reused, so the
 * views stay valid) and copied once, into a fresh buffer, when the frame completes. A frame that lies in one chunk is
 * handed out as a view of it, without any copy.
 * @internal
 */
export class FrameAccumulator {
  #pieces: Buffer[] = []
  #length = 0

  /** Bytes held. */
  get length(): number {
    return this.#length
  }

  /** Holds `data[start, end)`. */
  append(data: Buffer, start: number, end: number): void {
    if (end <= start) return
    this.#pieces.push(data.subarray(start, end))
    this.#length += end - start
  }

  /** The held bytes followed by `data[start, end)`, as one buffer; then holds nothing. */
  takeWith(data: Buffer, start: number, end: number): Buffer {
    if (this.#length === 0) return data.subarray(start, end)
    this.append(data, start, end)
    return this.take(this.#length)
  }

  /** The first `size` held bytes as one buffer (a view when they lie in one piece); then holds nothing. */
  take(size: number): Buffer {
    const pieces = this.#pieces
    const first = pieces[0]
    let frame: Buffer
    if (size === 0 || first === undefined) frame = emptyBuffer
    else if (first.length >= size) frame = first.subarray(0, size)
    else frame = Buffer.concat(pieces, size)
    this.clear()
    return frame
  }

  /** The last `size` held bytes (`size <= length`), as a view or a small copy. */
  tail(size: number): Buffer {
    const pieces = this.#pieces
    let index = pieces.length - 1
    const last = pieces[index]
    if (last === undefined || size === 0) return emptyBuffer
    if (last.length >= size) return last.subarray(last.length - size)
    let gathered = 0
    while (index >= 0 && gathered < size) gathered += (pieces[index--] as Buffer).length
    const joined = Buffer.concat(pieces.slice(index + 1))
    return joined.subarray(joined.length - size)
  }

  /** Drops everything held. */
  clear(): void {
    if (this.#length === 0 && this.#pieces.length === 0) return
    this.#pieces = []
    this.#length = 0
  }
}
