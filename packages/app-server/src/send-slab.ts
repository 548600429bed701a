/** Buffer's per-encoding encoders, which `write(string, offset, encoding)` calls after checking its arguments. */
interface Writing {
  utf8Write(text: string, offset: number): number
  latin1Write(text: string, offset: number): number
}

const writing: boolean = ['utf8Write', 'latin1Write'].every(
  (name) => typeof (Buffer.prototype as unknown as Record<string, unknown>)[name] === 'function',
)

/**
 * Write combining for the replies of one dispatch pass. While a session dispatches the requests of a chunk, what its
 * handlers send is copied (or encoded) back to back into one shared slab instead of into a buffer per payload; when
 * the pass ends, the staged bytes go to the sending queue as one buffer, a view of the slab. So a chunk of N
 * pipelined requests costs one queue entry and one plain write instead of N allocations and an N-buffer `writev`.
 *
 * Only one session stages at a time (dispatch passes never nest: JavaScript runs one at a time). A slab is never
 * written again where a view was handed out; a full slab is replaced by a fresh one and freed by the garbage
 * collector once the queues holding its views have written them (like Node's own `Buffer` pool).
 */
export class SendSlab {
  /** Largest payload that is staged; larger ones get a buffer of their own. */
  readonly maxStagedPayload: number
  readonly #size: number
  #buffer: Buffer
  #start = 0
  #offset = 0
  #owner: object | undefined

  constructor(size = 65_536) {
    this.#size = size
    this.maxStagedPayload = size >>> 2
    this.#buffer = Buffer.allocUnsafeSlow(size)
  }

  /** The session staging now, if any. */
  get owner(): object | undefined {
    return this.#owner
  }

  /** Bytes staged and not yet taken. */
  get staged(): number {
    return this.#offset - this.#start
  }

  /** Bytes free after the staged ones. */
  get free(): number {
    return this.#size - this.#offset
  }

  /** Start staging for `owner`; false when another owner stages. */
  acquire(owner: object): boolean {
    if (this.#owner !== undefined) return false
    this.#owner = owner
    this.#start = this.#offset
    return true
  }

  /** Stop staging; the staged bytes must have been taken. */
  release(): void {
    this.#owner = undefined
  }

  /** Replace a slab that has too little room left; staged bytes must have been taken. */
  renew(): void {
    this.#buffer = Buffer.allocUnsafeSlow(this.#size)
    this.#start = 0
    this.#offset = 0
  }

  /**
   * Encode `text` after the staged bytes, tentatively (see {@link SendSlab.commit}); returns its byte length. The
   * caller has made sure it fits. UTF-8 and Latin-1 go straight to Buffer's encoder (what `write` calls after
   * normalizing its arguments).
   */
  writeString(text: string, encoding: BufferEncoding): number {
    if (writing) {
      switch (encoding) {
        case 'utf8':
        case 'utf-8':
          return (this.#buffer as unknown as Writing).utf8Write(text, this.#offset)
        case 'latin1':
          return (this.#buffer as unknown as Writing).latin1Write(text, this.#offset)
      }
    }
    return this.#buffer.write(text, this.#offset, encoding)
  }

  /** Copy `data` after the staged bytes, tentatively; returns its byte length. */
  writeBytes(data: Uint8Array): number {
    this.#buffer.set(data, this.#offset)
    return data.byteLength
  }

  /** The `size` tentatively written bytes, as a view. */
  tentative(size: number): Buffer {
    return this.#buffer.subarray(this.#offset, this.#offset + size)
  }

  /** Keep the `size` tentatively written bytes: they are staged now. */
  commit(size: number): void {
    this.#offset += size
  }

  /** Keep the `size` tentatively written bytes as already taken (they were handed out by {@link tentative}). */
  commitTaken(size: number): void {
    this.#offset += size
    this.#start = this.#offset
  }

  /** The staged bytes as one buffer (a view that is never written again), or `undefined` when none. */
  take(): Buffer | undefined {
    if (this.#offset === this.#start) return undefined
    const view = this.#buffer.subarray(this.#start, this.#offset)
    this.#start = this.#offset
    return view
  }
}

/** Upper bound of the bytes one UTF-16 code unit takes in `encoding`. */
export function maxBytesPerCodeUnit(encoding: BufferEncoding): number {
  switch (encoding) {
    case 'utf8':
    case 'utf-8':
      return 3
    case 'utf16le':
    case 'ucs2':
    case 'ucs-2':
      return 2
    default:
      return 1
  }
}

/** The process-wide slab every session stages into. */
export const sendSlab = new SendSlab()
