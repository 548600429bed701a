import { encodeFrame, type Framing, reservedBytes } from './framing.js'
import { LoadOptionError } from './load-option-error.js'

/**
 * The bytes a connection sends, prepared once: `frameCount` distinct frames of `frameLength` bytes each, laid out
 * back to back and repeated so that any run of frames starting at any frame can be sliced out without copying.
 * Connection `n` sends frame `(start + seq) % frameCount` as its message `seq`, so the expected echo at any byte
 * position is known without keeping what was sent.
 */
export interface MessagePattern {
  /** The frames, repeated; treat as read-only. */
  readonly sendBuffer: Uint8Array
  /** Bytes per frame (every frame has the same length). */
  readonly frameLength: number
  /** Distinct frames in one period. */
  readonly frameCount: number
  /** `frameLength * frameCount`. */
  readonly patternLength: number
  /** Frames that {@link MessagePattern.sendBuffer} holds past one period: the largest slice that can be taken. */
  readonly maxBatchFrames: number
}

/** Input of {@link buildMessagePattern}. */
export interface MessagePatternInit {
  /** A fixed payload; when absent, random printable payloads of {@link MessagePatternInit.size} bytes are made. */
  readonly message?: Uint8Array | undefined
  /** Size of random payloads. */
  readonly size: number
  /** The framing. */
  readonly framing: Framing
  /** How many distinct random payloads to make (ignored with a fixed message). @default 16 */
  readonly variants?: number
  /** Seed of the payload generator, so runs are repeatable. @default 1 */
  readonly seed?: number
  /** Largest number of frames sent in one write. @default 64 */
  readonly maxBatchFrames?: number
  /** Bytes past one period that must be sliceable (the read buffer size, for verification). @default 65536 */
  readonly window?: number
}

/** Bytes of payload material kept at most (the pattern period). */
const maxPatternBytes = 4 * 1024 * 1024

/**
 * Builds the send pattern: frames every payload, checks each frame is well formed, and repeats the period.
 *
 * @param init - payload source, framing and sizes
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` when a payload cannot be framed (see {@link encodeFrame}) or no
 * byte is left for random payloads
 */
export function buildMessagePattern(init: MessagePatternInit): MessagePattern {
  const payloads: Uint8Array[] = []
  if (init.message !== undefined) {
    payloads.push(init.message)
  } else {
    if (init.size < 1) throw new LoadOptionError('size', '--size must be at least 1 byte')
    const wanted = Math.max(1, Math.min(init.variants ?? 16, Math.floor(maxPatternBytes / init.size)))
    const random = createRandom(init.seed ?? 1)
    const alphabet = printableAlphabet(reservedBytes(init.framing))
    for (let variant = 0; variant < wanted; variant++) payloads.push(randomPayload(init.size, alphabet, random))
  }
  const frames = payloads.map((payload) => encodeFrame(payload, init.framing))
  const frameLength = frames[0]?.length ?? 0
  const frameCount = frames.length
  const patternLength = frameLength * frameCount
  const maxBatchFrames = Math.max(1, Math.min(init.maxBatchFrames ?? 64, Math.floor((1024 * 1024) / frameLength)))
  const extra = Math.max(init.window ?? 65_536, maxBatchFrames * frameLength)
  const periods = 1 + Math.ceil(extra / patternLength)
  const sendBuffer = Buffer.allocUnsafeSlow(periods * patternLength)
  for (let period = 0; period < periods; period++) {
    for (let index = 0; index < frameCount; index++) {
      sendBuffer.set(frames[index] as Uint8Array, period * patternLength + index * frameLength)
    }
  }
  return { sendBuffer, frameLength, frameCount, patternLength, maxBatchFrames }
}

/** Printable ASCII (space to `~`) minus the reserved bytes. */
function printableAlphabet(reserved: ReadonlySet<number>): Uint8Array {
  const bytes: number[] = []
  for (let byte = 0x20; byte < 0x7f; byte++) if (!reserved.has(byte)) bytes.push(byte)
  if (bytes.length === 0) {
    throw new LoadOptionError('message', 'the framing reserves every printable byte; give --message instead')
  }
  return Uint8Array.from(bytes)
}

function randomPayload(size: number, alphabet: Uint8Array, random: () => number): Uint8Array {
  const payload = new Uint8Array(size)
  for (let index = 0; index < size; index++) {
    payload[index] = alphabet[Math.floor(random() * alphabet.length)] as number
  }
  return payload
}

/** mulberry32: a small seeded generator, good enough for payload bytes. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = state
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296
  }
}
