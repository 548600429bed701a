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
 * Copies a mark or terminator into a private buffer; a string is encoded with `encoding`. A mark made by
 * {@link sharedMark} is taken as it is.
 * @throws {InvalidArgumentError} not a string or byte array, or empty once encoded.
 */
export function markBytes(name: string, value: unknown, encoding: TextEncoding): Buffer {
  if (value instanceof Uint8Array && sharedMarks.has(value)) return value as Buffer
  let bytes: Buffer
  if (typeof value === 'string') bytes = Buffer.from(value, encoding)
  else if (value instanceof Uint8Array) bytes = Buffer.from(value)
  else throw new InvalidArgumentError(`${name} must be a string or a Uint8Array`)
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
