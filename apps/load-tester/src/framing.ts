import { LoadOptionError } from './load-option-error.js'

/** The framings the load tester can send; the same names and defaults as `socketlite-echo --protocol`. */
export type ProtocolName = 'line' | 'terminator' | 'fixed-size' | 'length-field' | 'begin-end' | 'count-spliter' | 'raw'

/** Every protocol name, in the order the help lists them. */
export const protocolNames: readonly ProtocolName[] = [
  'line',
  'terminator',
  'fixed-size',
  'length-field',
  'begin-end',
  'count-spliter',
  'raw',
]

/** Width of a length field, in bytes. */
export type LengthFieldLength = 1 | 2 | 3 | 4 | 8

/** How each message is framed on the wire. The echo is expected to be these exact bytes. */
export interface Framing {
  /**
   * - `line`: payload + `\r\n`;
   * - `terminator`: payload + {@link Framing.terminator};
   * - `fixed-size`: the payload as is (every message has the same size);
   * - `length-field`: {@link Framing.lengthFieldOffset} zero bytes, the length field, then the payload (Netty's
   *   LengthFieldBasedFrameDecoder layout);
   * - `begin-end`: {@link Framing.beginMark} + payload + {@link Framing.endMark};
   * - `count-spliter`: the payload cut into `count − 1` fields, framed as `#f1#f2#…#` (`count` spliters, the first
   *   byte being one, as SuperSocket's CountSpliterReceiveFilter expects);
   * - `raw`: the payload as is, no framing.
   * @default 'line'
   */
  readonly protocol: ProtocolName
  /** Terminator of the `terminator` protocol. @default `\r\n` */
  readonly terminator: Uint8Array
  /** Bytes before the length field (sent as zeros). @default 0 */
  readonly lengthFieldOffset: number
  /** Width of the length field. @default 4 */
  readonly lengthFieldLength: LengthFieldLength
  /** Byte order of the length field. @default 'be' */
  readonly byteOrder: 'be' | 'le'
  /** Added to the field value to get the number of bytes after the field (Netty's lengthAdjustment). @default 0 */
  readonly lengthAdjustment: number
  /** Begin mark of `begin-end`. @default `!` */
  readonly beginMark: Uint8Array
  /** End mark of `begin-end`. @default `$` */
  readonly endMark: Uint8Array
  /** Spliter byte of `count-spliter`. @default `#` (0x23) */
  readonly spliter: number
  /** Spliters per `count-spliter` frame (at least 2). @default 8 */
  readonly count: number
}

const crlf = Uint8Array.of(0x0d, 0x0a)

/** The default framing (the defaults of `socketlite-echo` too). */
export const defaultFraming: Framing = Object.freeze({
  protocol: 'line',
  terminator: crlf,
  lengthFieldOffset: 0,
  lengthFieldLength: 4,
  byteOrder: 'be',
  lengthAdjustment: 0,
  beginMark: Uint8Array.of(0x21),
  endMark: Uint8Array.of(0x24),
  spliter: 0x23,
  count: 8,
})

/**
 * The bytes a random payload must avoid so that it cannot end its own frame early (terminator bytes, marks,
 * spliter).
 *
 * @param framing - the framing
 */
export function reservedBytes(framing: Framing): Set<number> {
  switch (framing.protocol) {
    case 'line':
      return new Set(crlf)
    case 'terminator':
      return new Set(framing.terminator)
    case 'begin-end':
      return new Set([...framing.beginMark, ...framing.endMark])
    case 'count-spliter':
      return new Set([framing.spliter])
    default:
      return new Set()
  }
}

/**
 * Checks the framing options themselves (non-empty terminator and marks, count ≥ 2, sane length field).
 *
 * @param framing - the framing
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` naming the bad option
 */
export function validateFraming(framing: Framing): void {
  if (!protocolNames.includes(framing.protocol)) {
    throw new LoadOptionError('protocol', `--protocol must be one of ${protocolNames.join(', ')}`)
  }
  if (framing.terminator.length === 0) throw new LoadOptionError('terminator', '--terminator must not be empty')
  if (framing.beginMark.length === 0) throw new LoadOptionError('begin-mark', '--begin-mark must not be empty')
  if (framing.endMark.length === 0) throw new LoadOptionError('end-mark', '--end-mark must not be empty')
  if (!Number.isInteger(framing.spliter) || framing.spliter < 0 || framing.spliter > 255) {
    throw new LoadOptionError('spliter', '--spliter must be exactly one byte')
  }
  if (!Number.isSafeInteger(framing.count) || framing.count < 2) {
    throw new LoadOptionError('count', '--count must be an integer of at least 2')
  }
  if (![1, 2, 3, 4, 8].includes(framing.lengthFieldLength)) {
    throw new LoadOptionError('length-field-length', '--length-field-length must be 1, 2, 3, 4 or 8')
  }
  if (!Number.isSafeInteger(framing.lengthFieldOffset) || framing.lengthFieldOffset < 0) {
    throw new LoadOptionError('length-field-offset', '--length-field-offset must be a non-negative integer')
  }
  if (framing.byteOrder !== 'be' && framing.byteOrder !== 'le') {
    throw new LoadOptionError('byte-order', '--byte-order must be be or le')
  }
  if (!Number.isSafeInteger(framing.lengthAdjustment)) {
    throw new LoadOptionError('length-adjustment', '--length-adjustment must be an integer')
  }
}

/**
 * Frames one payload. The result is what is sent, and what the echo must return byte for byte.
 *
 * @param payload - the message body
 * @param framing - the framing
 * @returns a fresh array holding the whole frame
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` when the payload cannot be framed so that a server would
 * find the same frame again (it contains the terminator, the end mark or the spliter; its length does not fit the
 * length field; an empty fixed-size block)
 */
export function encodeFrame(payload: Uint8Array, framing: Framing): Uint8Array {
  switch (framing.protocol) {
    case 'raw':
      if (payload.length === 0) throw new LoadOptionError('message', 'the message must not be empty')
      return Uint8Array.from(payload)
    case 'fixed-size':
      if (payload.length === 0) throw new LoadOptionError('size', 'a fixed-size message must not be empty')
      return Uint8Array.from(payload)
    case 'line':
    case 'terminator': {
      const terminator = framing.protocol === 'line' ? crlf : framing.terminator
      const frame = concat(payload, terminator)
      if (indexOf(frame, terminator, 0) !== payload.length) {
        throw new LoadOptionError('message', 'the message contains the terminator, so the server would split it')
      }
      return frame
    }
    case 'begin-end': {
      const frame = concat(framing.beginMark, payload, framing.endMark)
      if (indexOf(frame, framing.endMark, framing.beginMark.length) !== framing.beginMark.length + payload.length) {
        throw new LoadOptionError('message', 'the message contains the end mark, so the server would cut it short')
      }
      return frame
    }
    case 'count-spliter':
      return encodeCountSpliter(payload, framing)
    case 'length-field':
      return encodeLengthField(payload, framing)
  }
}

function encodeCountSpliter(payload: Uint8Array, framing: Framing): Uint8Array {
  if (payload.includes(framing.spliter)) {
    throw new LoadOptionError('message', 'the message contains the spliter byte, so the server would miscount fields')
  }
  const fields = framing.count - 1
  const frame = new Uint8Array(payload.length + framing.count)
  const base = Math.floor(payload.length / fields)
  const extra = payload.length % fields
  let read = 0
  let write = 0
  frame[write++] = framing.spliter
  for (let field = 0; field < fields; field++) {
    const size = base + (field < extra ? 1 : 0)
    frame.set(payload.subarray(read, read + size), write)
    read += size
    write += size
    frame[write++] = framing.spliter
  }
  return frame
}

function encodeLengthField(payload: Uint8Array, framing: Framing): Uint8Array {
  const width = framing.lengthFieldLength
  const value = payload.length - framing.lengthAdjustment
  const max = width === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * width) - 1
  if (value < 0 || value > max) {
    throw new LoadOptionError(
      'length-adjustment',
      `a ${payload.length}-byte message needs a length field value of ${value}, which a ${width}-byte field cannot hold`,
    )
  }
  const frame = new Uint8Array(framing.lengthFieldOffset + width + payload.length)
  const view = new DataView(frame.buffer)
  const at = framing.lengthFieldOffset
  const littleEndian = framing.byteOrder === 'le'
  if (width === 1) view.setUint8(at, value)
  else if (width === 2) view.setUint16(at, value, littleEndian)
  else if (width === 4) view.setUint32(at, value, littleEndian)
  else if (width === 8) view.setBigUint64(at, BigInt(value), littleEndian)
  else {
    for (let index = 0; index < 3; index++) {
      const shift = littleEndian ? 8 * index : 8 * (2 - index)
      view.setUint8(at + index, (value >>> shift) & 0xff)
    }
  }
  frame.set(payload, at + width)
  return frame
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0)
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let start = from; start + needle.length <= haystack.length; start++) {
    for (let index = 0; index < needle.length; index++) {
      if (haystack[start + index] !== needle[index]) continue outer
    }
    return start
  }
  return -1
}
