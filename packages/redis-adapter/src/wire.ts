/**
 * The wire format of the messages nodes exchange through Redis pub/sub (one binary message per Redis message).
 *
 * ```
 * offset  size  field
 * 0       1     magic 0x53 ('S')                      } the same in every version, so that any version can
 * 1       1     wire version (this file: 1)            } recognise a message of another version and drop it
 * 2       1     kind: 1 = every session, 2 = one group, 3 = one session
 * 3       1     P = byte length of the publisher's node id (1..255)
 * 4       P     publisher node id (UTF-8)
 * 4+P     4     publisher epoch (uint32, big-endian): changes when the publisher restarts its sequences
 * 8+P     8     sequence number of this message in its stream (uint64 big-endian, below 2^53)
 * 16+P    2     T = byte length of the target (uint16 big-endian): the group name (kind 2), the session id (kind 3),
 *                   0 for kind 1
 * 18+P    T     target (UTF-8)
 * 18+P+T  rest  payload: the bytes every receiving session gets, as they are
 * ```
 *
 * A stream is what one publisher sends to one channel: every session, one group, or one target node (`sendTo`).
 * Its sequence numbers start at 1 and grow by 1, so a receiver that sees 7 after 4 knows it missed 2 messages.
 *
 * Version rule: the version byte changes whenever a field changes; a node drops (and logs) every message whose
 * magic or version is not its own, and never reads further into it. Nodes of one service run one wire version.
 */

/** The wire version this adapter writes and reads. */
export const wireVersion = 1
/** First byte of every message. */
export const wireMagic = 0x53

/** What a message is addressed to. */
export const MessageKind = { All: 1, Group: 2, Session: 3 } as const
/** One of {@link MessageKind}. */
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind]

/** A decoded message header; `payload` is a view into the received buffer. */
export interface WireMessage {
  readonly kind: MessageKind
  readonly publisher: string
  readonly epoch: number
  readonly sequence: number
  /** Group name (kind 2), session id (kind 3), `''` (kind 1). */
  readonly target: string
  readonly payload: Buffer
}

/** Why a received buffer was not read. */
export type WireRejection =
  | { readonly reason: 'not-ours' }
  | { readonly reason: 'version'; readonly version: number }
  | { readonly reason: 'malformed' }

const maxIdBytes = 255
const maxTargetBytes = 0xffff

/**
 * Encode one message. `publisher` must be at most 255 UTF-8 bytes and `target` at most 65535 (the adapter checks
 * both where they come from: node ids when configured, group names and session ids when used).
 */
export function encodeMessage(
  kind: MessageKind,
  publisher: string,
  epoch: number,
  sequence: number,
  target: string,
  payload: Uint8Array,
): Buffer {
  const publisherLength = Buffer.byteLength(publisher)
  const targetLength = Buffer.byteLength(target)
  if (publisherLength === 0 || publisherLength > maxIdBytes || targetLength > maxTargetBytes)
    throw new RangeError('publisher or target too long')
  const buffer = Buffer.allocUnsafe(18 + publisherLength + targetLength + payload.byteLength)
  buffer[0] = wireMagic
  buffer[1] = wireVersion
  buffer[2] = kind
  buffer[3] = publisherLength
  buffer.write(publisher, 4, 'utf8')
  let offset = 4 + publisherLength
  buffer.writeUInt32BE(epoch >>> 0, offset)
  buffer.writeUInt32BE(Math.floor(sequence / 0x1_0000_0000), offset + 4)
  buffer.writeUInt32BE(sequence >>> 0, offset + 8)
  buffer.writeUInt16BE(targetLength, offset + 12)
  offset += 14
  buffer.write(target, offset, 'utf8')
  offset += targetLength
  buffer.set(payload, offset)
  return buffer
}

/** Decode a received buffer, or say why it cannot be read. Never throws. */
export function decodeMessage(buffer: Buffer): WireMessage | WireRejection {
  if (buffer.length < 2 || buffer[0] !== wireMagic) return { reason: 'not-ours' }
  const version = buffer[1] as number
  if (version !== wireVersion) return { reason: 'version', version }
  if (buffer.length < 4) return { reason: 'malformed' }
  const kind = buffer[2] as number
  if (kind !== MessageKind.All && kind !== MessageKind.Group && kind !== MessageKind.Session)
    return { reason: 'malformed' }
  const publisherLength = buffer[3] as number
  let offset = 4 + publisherLength
  if (publisherLength === 0 || buffer.length < offset + 14) return { reason: 'malformed' }
  const publisher = buffer.toString('utf8', 4, offset)
  const epoch = buffer.readUInt32BE(offset)
  const high = buffer.readUInt32BE(offset + 4)
  if (high >= 0x20_0000) return { reason: 'malformed' }
  const sequence = high * 0x1_0000_0000 + buffer.readUInt32BE(offset + 8)
  const targetLength = buffer.readUInt16BE(offset + 12)
  offset += 14
  if (buffer.length < offset + targetLength) return { reason: 'malformed' }
  if ((kind === MessageKind.All) !== (targetLength === 0)) return { reason: 'malformed' }
  const target = buffer.toString('utf8', offset, offset + targetLength)
  return {
    kind: kind as MessageKind,
    publisher,
    epoch,
    sequence,
    target,
    payload: buffer.subarray(offset + targetLength),
  }
}

/**
 * True when `message` is a message of this wire version published by the node whose id is `publisher` (as UTF-8
 * bytes): checked on the header bytes alone, without decoding, to drop a node's own echoes cheaply.
 */
export function isFrom(message: Buffer, publisher: Buffer): boolean {
  const length = publisher.length
  return (
    message.length >= 18 + length &&
    message[0] === wireMagic &&
    message[1] === wireVersion &&
    message[3] === length &&
    message.compare(publisher, 0, length, 4, 4 + length) === 0
  )
}

/** True when `decodeMessage` returned a message (not a rejection). */
export function isWireMessage(value: WireMessage | WireRejection): value is WireMessage {
  return !('reason' in value)
}
