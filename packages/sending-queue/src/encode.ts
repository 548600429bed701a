/**
 * Encoding strings straight into a buffer: the one place that may use Buffer's undocumented per-encoding encoders
 * (`utf8Write`, `latin1Write`, `asciiWrite`). `Buffer#write(string, offset, encoding)` normalises its arguments and
 * then calls exactly these; the bench (`pnpm --filter @socketlite/sending-queue bench`, "encode") shows what calling
 * them directly saves. When a Node version lacks them, `Buffer#write` is used: the result is the same
 * (test/encode.test.ts pins it for both paths).
 */

/** The encoders Buffer's `write` dispatches to after checking its arguments. */
interface Encoders {
  utf8Write(text: string, offset: number): number
  latin1Write(text: string, offset: number): number
  asciiWrite(text: string, offset: number): number
}

/** Whether this Node has the per-encoding encoders (every version from 12 to 24 does). */
export const hasNodeEncoders: boolean = ['utf8Write', 'latin1Write', 'asciiWrite'].every(
  (name) => typeof (Buffer.prototype as unknown as Record<string, unknown>)[name] === 'function',
)

/** Encodes `text` into `target` at `offset`; returns the bytes written. The caller guarantees the room. */
export type EncodeInto = (target: Buffer, text: string, offset: number, encoding: BufferEncoding) => number

/** `Buffer#write`: the documented path. */
export const encodeWithWrite: EncodeInto = (target, text, offset, encoding) => target.write(text, offset, encoding)

/** The common encodings straight to Buffer's encoder, the rest through `Buffer#write`. */
export const encodeWithEncoders: EncodeInto = (target, text, offset, encoding) => {
  switch (encoding) {
    case 'utf8':
    case 'utf-8':
      return (target as unknown as Encoders).utf8Write(text, offset)
    case 'latin1':
    case 'binary':
      return (target as unknown as Encoders).latin1Write(text, offset)
    case 'ascii':
      return (target as unknown as Encoders).asciiWrite(text, offset)
    default:
      return target.write(text, offset, encoding)
  }
}

/**
 * Encode `text` in `encoding` into `target` from `offset` on and return the number of bytes written. The caller
 * makes sure it fits: at least {@link maxEncodedLength} bytes of room, or the exact `Buffer.byteLength`.
 */
export const encodeInto: EncodeInto = hasNodeEncoders ? encodeWithEncoders : encodeWithWrite

/** Encodes `text` as UTF-8 into `target` at `offset`; returns the bytes written. The caller guarantees the room. */
export type EncodeUtf8Into = (target: Buffer, text: string, offset: number) => number

/** UTF-8 through `Buffer#write`. */
export const utf8WithWrite: EncodeUtf8Into = (target, text, offset) => target.write(text, offset, 'utf8')

/** UTF-8 straight to Buffer's encoder. */
export const utf8WithEncoder: EncodeUtf8Into = (target, text, offset) =>
  (target as unknown as Encoders).utf8Write(text, offset)

/** `encodeInto(target, text, offset, 'utf8')`, for the common case (no dispatch on the encoding). */
export const encodeUtf8Into: EncodeUtf8Into = hasNodeEncoders ? utf8WithEncoder : utf8WithWrite

/** Upper bound of the bytes one UTF-16 code unit of a string takes in `encoding`. */
export function maxBytesPerCodeUnit(encoding: BufferEncoding): number {
  switch (encoding) {
    case 'utf8':
    case 'utf-8':
      return 3
    case 'utf16le':
    case 'utf-16le':
    case 'ucs2':
    case 'ucs-2':
      return 2
    default:
      // latin1, binary, ascii: one byte per unit; hex and base64 decode to fewer bytes than characters.
      return 1
  }
}
