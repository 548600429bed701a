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
 * Copies a mark or terminator into a private buffer; a string is encoded with `encoding`.
 * @throws {InvalidArgumentError} not a string or byte array, or empty once encoded.
 */
export function markBytes(name: string, value: unknown, encoding: TextEncoding): Buffer {
  let bytes: Buffer
  if (typeof value === 'string') bytes = Buffer.from(value, encoding)
  else if (value instanceof Uint8Array) bytes = Buffer.from(value)
  else throw new InvalidArgumentError(`${name} must be a string or a Uint8Array`)
  if (bytes.length === 0) throw new InvalidArgumentError(`${name} must not be empty`)
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
  const index = end === data.length ? data.indexOf(needle, start) : data.subarray(0, end).indexOf(needle, start)
  if (index < 0) return -1
  const size = typeof needle === 'number' ? 1 : needle.length
  return index + size <= end ? index : -1
}

/** A copy of an options object whose byte-array values are copied too, so later changes by the caller do not leak. */
export function snapshot<T extends object>(init: T): T {
  const copy = { ...init } as Record<string, unknown>
  for (const [key, value] of Object.entries(copy)) if (value instanceof Uint8Array) copy[key] = Uint8Array.from(value)
  return copy as T
}
