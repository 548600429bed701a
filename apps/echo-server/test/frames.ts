import type { EchoProtocolName, EchoProtocolOptions } from '../src/index.js'

/** Printable ASCII without the bytes any default framing reserves (`\r`, `\n`, `!`, `$`, `#`). */
const alphabet = Buffer.from(
  Array.from({ length: 95 }, (_, index) => String.fromCharCode(32 + index))
    .filter((char) => !'!$#'.includes(char))
    .join(''),
)

/** A payload of `size` bytes drawn from {@link alphabet}. */
export function randomPayload(size: number, random: () => number): Buffer {
  const payload = Buffer.alloc(size)
  for (let index = 0; index < size; index++) payload[index] = alphabet[Math.floor(random() * alphabet.length)] as number
  return payload
}

/**
 * Frames a payload the way a client of `protocol` would (written here independently of the server's filters).
 * `count-spliter` cuts the payload into `count - 1` fields: `#f1#f2#…#`.
 */
export function encodeFrame(protocol: EchoProtocolName, payload: Buffer, options: EchoProtocolOptions = {}): Buffer {
  switch (protocol) {
    case 'line':
      return Buffer.concat([payload, Buffer.from('\r\n')])
    case 'terminator':
      return Buffer.concat([payload, Buffer.from(options.terminator ?? '\r\n')])
    case 'fixed-size':
    case 'raw':
      return Buffer.from(payload)
    case 'begin-end':
      return Buffer.concat([Buffer.from(options.beginMark ?? '!'), payload, Buffer.from(options.endMark ?? '$')])
    case 'count-spliter': {
      const fields = (options.count ?? 8) - 1
      const parts: Buffer[] = [Buffer.from('#')]
      const base = Math.floor(payload.length / fields)
      let read = 0
      for (let field = 0; field < fields; field++) {
        const size = base + (field < payload.length % fields ? 1 : 0)
        parts.push(payload.subarray(read, read + size), Buffer.from('#'))
        read += size
      }
      return Buffer.concat(parts)
    }
    case 'length-field': {
      const offset = options.lengthFieldOffset ?? 0
      const width = options.lengthFieldLength ?? 4
      const value = payload.length - (options.lengthAdjustment ?? 0)
      const header = Buffer.alloc(offset + width)
      const littleEndian = options.byteOrder === 'le'
      if (width === 8) {
        if (littleEndian) header.writeBigUInt64LE(BigInt(value), offset)
        else header.writeBigUInt64BE(BigInt(value), offset)
      } else if (littleEndian) header.writeUIntLE(value, offset, width)
      else header.writeUIntBE(value, offset, width)
      return Buffer.concat([header, payload])
    }
  }
}

/** Frames of `count` random payloads of 1 to `maxSize` bytes (exactly `size` for `fixed-size`). */
export function randomFrames(
  protocol: EchoProtocolName,
  count: number,
  random: () => number,
  options: EchoProtocolOptions = {},
  maxSize = 40,
): Buffer[] {
  return Array.from({ length: count }, () => {
    const size = protocol === 'fixed-size' ? (options.size ?? 32) : 1 + Math.floor(random() * maxSize)
    return encodeFrame(protocol, randomPayload(size, random), options)
  })
}
