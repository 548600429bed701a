import { viewOffset, viewSource } from '@socketlite/socket-base'

/**
 * The views of received chunks that the filters hand out as frames, made for less than half of what
 * `Buffer#subarray` costs (measured: 22 ns against 45-60 ns a frame, the largest single cost of a small-frame echo's
 * parsing). `subarray` reads the chunk's `buffer` (a call into V8's runtime) and checks its bounds for every view;
 * here the chunk's `ArrayBuffer` and offset are read once per chunk, and the view is made by a plain `Uint8Array`
 * subclass whose prototype is `Buffer.prototype`.
 *
 * A view is a Buffer in every way user code can tell: `Buffer.isBuffer`, `instanceof Buffer`, `constructor ===
 * Buffer`, every Buffer method, `util.inspect`, `JSON.stringify` (test/chunk-view.test.ts pins them). Only
 * `Object.getPrototypeOf(view)` differs: an object whose prototype is `Buffer.prototype`, with only the two getters
 * of socket-base's view keys (`viewSource`, `viewOffset`: the view's `buffer` and `byteOffset`, read as fields).
 */
class ChunkView extends Uint8Array {
  // Its buffer and offset as fields, answered under socket-base's view keys: a sending queue merging the views an
  // echo hands back reads them per view, where `buffer` and `byteOffset` cost 20-30 ns each.
  readonly #source: ArrayBuffer
  readonly #offset: number

  constructor(source: ArrayBuffer, offset: number, length: number) {
    super(source, offset, length)
    this.#source = source
    this.#offset = offset
  }

  get [viewSource](): ArrayBuffer {
    return this.#source
  }

  get [viewOffset](): number {
    return this.#offset
  }
}
Object.setPrototypeOf(ChunkView.prototype, Buffer.prototype)
// Found on Buffer.prototype instead: Buffer, as for every Buffer.
delete (ChunkView.prototype as { constructor?: unknown }).constructor

/**
 * The chunk of the last view made, its `ArrayBuffer` and offset: the frames of one chunk are parsed one after the
 * other. (It keeps that one chunk alive until a view of another is made: one chunk for the whole process.)
 */
let lastChunk: Buffer | undefined
let lastBuffer: ArrayBuffer = new ArrayBuffer(0)
let lastOffset = 0

/** `chunk.subarray(start, end)` for `0 <= start <= end <= chunk.length` (not checked): a view, no copy. */
export function viewOf(chunk: Buffer, start: number, end: number): Buffer {
  if (chunk !== lastChunk) {
    lastChunk = chunk
    lastBuffer = chunk.buffer as ArrayBuffer
    lastOffset = chunk.byteOffset
  }
  return new ChunkView(lastBuffer, lastOffset + start, end - start) as unknown as Buffer
}
