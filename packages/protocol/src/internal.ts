import { InvalidArgumentError, ProtocolError, type TextEncoding } from '@socketlite/socket-base'

/** A zero-length buffer; safe to share because nothing can be written into it. */
export const emptyBuffer: Buffer = Buffer.alloc(0)

/** Checks that `value` is a known text encoding and returns it. */
export function checkEncoding(name: string, value: unknown): TextEncoding {
  if (typeof value !== 'string' || !Buffer.isEncoding(value)) {
    throw new InvalidArgumentError(`${name} must be a Buffer text encoding, got ${String(value)}`)
  }
  return value as TextEncoding
}

/** Checks that `value` is an integer in `[min, max]` and returns it. */
export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`)
  }
  return value
}

/**
 * Marks made private by a factory (or for a fixed mark) and shared, read-only, by every filter made with them: a
 * session's filter then costs no buffer of its own for its marks.
 */
const sharedMarks = new WeakSet<Uint8Array>()

/**
 * Small marks by content (each byte one latin1 character), shared by every filter made with an equal mark: a filter
 * subclass that passes its own terminator to `super` on every session costs no buffer per session either. Bounded:
 * at most {@link maxInternedMarks} marks of at most {@link maxInternedMarkLength} bytes are kept (for the life of
 * the process); other marks get a private copy per filter, as before.
 */
const internedMarks = new Map<string, Buffer>()
const maxInternedMarks = 256
const maxInternedMarkLength = 64

/**
 * The interned mark last found for a caller's own array or string (by encoding), so that a subclass passing the same
 * terminator on every session finds it without making the content key again (a buffer and a string per filter: the
 * garbage of a burst of accepts). An array's entry is used only while its bytes still equal the mark.
 */
const marksOfArrays = new WeakMap<Uint8Array, Buffer>()
const marksOfStrings = new Map<TextEncoding, Map<string, Buffer>>()

/**
 * A private, read-only mark with the bytes of `value` (a string encoded with `encoding`): the one already shared for
 * these bytes (a mark made by {@link sharedMark} is taken as it is; small marks are shared by content), else a copy.
 * Filters never change their marks; the buffer may be shared by many filters, so nobody may write into it.
 * @throws {InvalidArgumentError} not a string or byte array, or empty once encoded.
 */
export function markBytes(name: string, value: unknown, encoding: TextEncoding): Buffer {
  let key: string
  if (value instanceof Uint8Array) {
    if (sharedMarks.has(value)) return value as Buffer
    const known = marksOfArrays.get(value)
    if (known?.equals(value)) return known
    if (value.length > maxInternedMarkLength) return checkedMark(name, Buffer.from(value))
    key = Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1')
  } else if (typeof value === 'string') {
    const known = marksOfStrings.get(encoding)?.get(value)
    if (known !== undefined) return known
    if (value.length > maxInternedMarkLength) return checkedMark(name, Buffer.from(value, encoding))
    key = Buffer.from(value, encoding).toString('latin1')
  } else throw new InvalidArgumentError(`${name} must be a string or a Uint8Array`)
  let bytes = internedMarks.get(key)
  if (bytes === undefined) {
    // An exact buffer of its own (not a slice of Node's shared pool, which it would keep alive for good).
    bytes = checkedMark(name, Buffer.alloc(key.length, key, 'latin1'))
    if (bytes.length > maxInternedMarkLength || internedMarks.size >= maxInternedMarks) return bytes
    internedMarks.set(key, bytes)
    sharedMarks.add(bytes)
  }
  if (typeof value !== 'string') marksOfArrays.set(value as Uint8Array, bytes)
  else {
    let byString = marksOfStrings.get(encoding)
    if (byString === undefined) {
      byString = new Map()
      marksOfStrings.set(encoding, byString)
    }
    if (byString.size < maxInternedMarks) byString.set(value, bytes)
  }
  return bytes
}

function checkedMark(name: string, bytes: Buffer): Buffer {
  if (bytes.length === 0) throw new InvalidArgumentError(`${name} must not be empty`)
  return bytes
}

/**
 * {@link markBytes}, registered as shared: the filters given this buffer use it as is (a factory's filters, which
 * never change their marks).
 * @throws {InvalidArgumentError} as `markBytes`.
 */
export function sharedMark(name: string, value: unknown, encoding: TextEncoding): Buffer {
  const bytes = markBytes(name, value, encoding)
  sharedMarks.add(bytes)
  return bytes
}

/** The error for a frame over `maxRequestLength` (code `ERR_REQUEST_TOO_LARGE`). */
export function requestTooLarge(size: number | string, maxRequestLength: number): ProtocolError {
  return new ProtocolError(`Request of ${size} bytes is over maxRequestLength (${maxRequestLength})`, {
    code: 'ERR_REQUEST_TOO_LARGE',
  })
}

/**
 * First index of `needle` in `data[start, end)` that lies wholly inside that range, or -1.
 * Uses `Buffer.indexOf` (native search) and never scans past `end` when `end < data.length`.
 */
export function indexOfWithin(data: Buffer, needle: Buffer | number, start: number, end: number): number {
  if (typeof needle === 'number') return indexOfByte(data, needle, start, end)
  const size = needle.length
  if (size === 1) return indexOfByte(data, needle[0] as number, start, end)
  if (end !== data.length) return indexOfSlow(data, needle, start, end)
  return indexOfMark(data, needle, start)
}

/** First index of the byte `value` in `data[start, end)`, or -1. */
function indexOfByte(data: Buffer, value: number, start: number, end: number): number {
  const index = end === data.length ? data.indexOf(value, start) : data.subarray(0, end).indexOf(value, start)
  return index < end ? index : -1
}

/** `Buffer.indexOf` bounded to `end` by searching a view that ends there. */
function indexOfSlow(data: Buffer, needle: Buffer, start: number, end: number): number {
  const index = end === data.length ? data.indexOf(needle, start) : data.subarray(0, end).indexOf(needle, start)
  return index >= 0 && index + needle.length <= end ? index : -1
}

/** Byte matches of a mark's last byte that may fail to verify before {@link indexOfMark} lets the native search on. */
const maxFalseHits = 8

/**
 * First index of `mark` (2 bytes or more) in `data` at or after `start`, or -1. A mark's last byte is usually rare
 * in the data (the LF of CRLF): search it with the one-byte native search, which costs far less per call than the
 * substring search, and check the bytes before it. Matches are tried in order of their end, so the first one that
 * verifies is the first occurrence, even for self-overlapping marks. Data full of false hits (many LFs without a
 * CR) falls back to the substring search after a few, so the cost stays linear.
 */
function indexOfMark(data: Buffer, mark: Buffer, start: number): number {
  const last = mark.length - 1
  const lastByte = mark[last] as number
  let falseHits = 0
  for (let at = data.indexOf(lastByte, start + last); at >= 0; at = data.indexOf(lastByte, at + 1)) {
    const from = at - last
    if (matchesAt(data, mark, from, last)) return from
    if (++falseHits > maxFalseHits) return data.indexOf(mark, from + 1)
  }
  return -1
}

/** Whether `data[from, from + count)` equals `mark[0, count)`. */
function matchesAt(data: Buffer, mark: Buffer, from: number, count: number): boolean {
  for (let index = 0; index < count; index++) if (data[from + index] !== mark[index]) return false
  return true
}

/** Buffer's per-encoding decoders, which `toString(encoding, start, end)` calls after checking its arguments. */
interface Slicing {
  utf8Slice(start: number, end: number): string
  latin1Slice(start: number, end: number): string
  asciiSlice(start: number, end: number): string
}

const slicing: boolean = ['utf8Slice', 'latin1Slice', 'asciiSlice'].every(
  (name) => typeof (Buffer.prototype as unknown as Record<string, unknown>)[name] === 'function',
)

/**
 * `data.toString(encoding, start, end)` for a range inside `data` (`0 <= start <= end <= data.length`), without
 * a view: the common encodings go straight to Buffer's decoder.
 */
export function decodeRange(data: Buffer, encoding: TextEncoding, start: number, end: number): string {
  if (slicing) {
    switch (encoding) {
      case 'utf8':
        return (data as unknown as Slicing).utf8Slice(start, end)
      case 'latin1':
        return (data as unknown as Slicing).latin1Slice(start, end)
      case 'ascii':
        return (data as unknown as Slicing).asciiSlice(start, end)
    }
  }
  return data.toString(encoding, start, end)
}

/** A copy of an options object whose byte-array values are copied too, so later changes by the caller do not leak. */
export function snapshot<T extends object>(init: T): T {
  const copy = { ...init } as Record<string, unknown>
  for (const [key, value] of Object.entries(copy)) if (value instanceof Uint8Array) copy[key] = Uint8Array.from(value)
  return copy as T
}
