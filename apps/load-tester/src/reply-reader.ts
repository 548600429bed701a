import type { Framing } from './framing.js'
import { maxReplyBytes, type ResolvedReplyExpectation } from './reply-expectation.js'

/** Where a {@link ReplyReader} reports the replies it has cut and checked, in the order they came. */
export interface ReplySink {
  /** `count` replies in a row matched the expectation. */
  accepted(count: number): void
  /** One reply did not match. */
  rejected(): void
  /** The stream can no longer be cut into replies (a frame longer than the limit, a bad length field). */
  broken(reason: string): void
}

/** `frameEnd` result: the bytes so far cannot start a well-formed frame. */
const malformed = -2
/** `frameEnd` result: the frame is not complete yet. */
const incomplete = -1

/**
 * The shared, read-only part of reply reading: how frames are delimited and checked, and for an exact reply the
 * expected frame repeated back to back (the fast path compares whole reads with it, as the echo check does). One per
 * engine; each connection has a {@link ReplyReader} of its own.
 */
export class ReplyFormat {
  readonly framing: Framing
  readonly expectation: ResolvedReplyExpectation
  /** Exact replies: the expected frame, repeated so that any read of up to 64 KiB can be compared in one call. */
  readonly pattern: Buffer | undefined
  /** Exact replies: bytes per expected frame. */
  readonly frameLength: number
  readonly regex: RegExp | undefined
  /** Match mode: the last payload that matched (a reply equal to it needs no regex). */
  #lastMatch: Buffer | undefined
  readonly #terminator: Buffer
  readonly #terminatorLast: number
  readonly #beginMark: Buffer
  readonly #endMark: Buffer
  readonly #fixedLength: number
  readonly #headerLength: number

  /**
   * @param framing - the framing replies come in
   * @param expectation - what they must be
   * @param requestFrameLength - bytes per request frame (the reply size of `fixed-size` unless the reply is exact)
   */
  constructor(framing: Framing, expectation: ResolvedReplyExpectation, requestFrameLength: number) {
    this.framing = framing
    this.expectation = expectation
    const frame = expectation.kind === 'exact' ? expectation.frame : undefined
    this.frameLength = frame?.length ?? 0
    if (frame !== undefined && frame.length > 0) {
      const copies = Math.ceil((64 * 1024) / frame.length) + 2
      const pattern = Buffer.allocUnsafeSlow(copies * frame.length)
      for (let copy = 0; copy < copies; copy++) pattern.set(frame, copy * frame.length)
      this.pattern = pattern
    }
    this.regex = expectation.kind === 'match' ? new RegExp(expectation.source, expectation.flags) : undefined
    this.#terminator = Buffer.from(framing.protocol === 'line' ? Uint8Array.of(0x0d, 0x0a) : framing.terminator)
    this.#terminatorLast = this.#terminator[this.#terminator.length - 1] as number
    this.#beginMark = Buffer.from(framing.beginMark)
    this.#endMark = Buffer.from(framing.endMark)
    this.#fixedLength = frame?.length ?? requestFrameLength
    this.#headerLength = framing.lengthFieldOffset + framing.lengthFieldLength
  }

  /**
   * Where the frame that starts at `start` ends (the index after it), {@link incomplete} when `data` does not hold
   * all of it yet, or {@link malformed}. A longer `data` never moves an end already found.
   */
  frameEnd(data: Buffer, start: number, end: number): number {
    switch (this.framing.protocol) {
      case 'line':
      case 'terminator':
        return this.#terminatorEnd(data, start, end)
      case 'fixed-size':
      case 'raw':
        return end - start >= this.#fixedLength ? start + this.#fixedLength : incomplete
      case 'begin-end': {
        const from = start + this.#beginMark.length
        if (from > end) return incomplete
        const at = data.indexOf(this.#endMark, from)
        return at < 0 || at + this.#endMark.length > end ? incomplete : at + this.#endMark.length
      }
      case 'count-spliter': {
        const spliter = this.framing.spliter
        let at = start - 1
        for (let seen = 0; seen < this.framing.count; seen++) {
          at = data.indexOf(spliter, at + 1)
          if (at < 0 || at >= end) return incomplete
        }
        return at + 1
      }
      case 'length-field': {
        if (end - start < this.#headerLength) return incomplete
        const length = this.#lengthValue(data, start + this.framing.lengthFieldOffset)
        const total = this.#headerLength + length + this.framing.lengthAdjustment
        if (!Number.isSafeInteger(total) || total < this.#headerLength || total > maxReplyBytes) return malformed
        return end - start >= total ? start + total : incomplete
      }
    }
  }

  #terminatorEnd(data: Buffer, start: number, end: number): number {
    const terminator = this.#terminator
    const last = this.#terminatorLast
    const before = terminator.length - 1
    for (let at = data.indexOf(last, start + before); at >= 0 && at < end; at = data.indexOf(last, at + 1)) {
      if (before === 0) return at + 1
      let same = true
      for (let index = 0; index < before; index++) {
        if (data[at - before + index] !== terminator[index]) {
          same = false
          break
        }
      }
      if (same) return at + 1
    }
    return incomplete
  }

  #lengthValue(data: Buffer, at: number): number {
    const littleEndian = this.framing.byteOrder === 'le'
    switch (this.framing.lengthFieldLength) {
      case 1:
        return data[at] as number
      case 2:
        return littleEndian ? data.readUInt16LE(at) : data.readUInt16BE(at)
      case 3:
        return littleEndian ? data.readUIntLE(at, 3) : data.readUIntBE(at, 3)
      case 4:
        return littleEndian ? data.readUInt32LE(at) : data.readUInt32BE(at)
      case 8: {
        const value = littleEndian ? data.readBigUInt64LE(at) : data.readBigUInt64BE(at)
        return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(value)
      }
    }
  }

  /** The payload's start within a frame that starts at `start`. */
  payloadStart(start: number): number {
    switch (this.framing.protocol) {
      case 'begin-end':
        return start + this.#beginMark.length
      case 'count-spliter':
        return start + 1
      case 'length-field':
        return start + this.#headerLength
      default:
        return start
    }
  }

  /** The payload's end within a frame that ends at `end`. */
  payloadEnd(end: number): number {
    switch (this.framing.protocol) {
      case 'line':
      case 'terminator':
        return end - this.#terminator.length
      case 'begin-end':
        return end - this.#endMark.length
      case 'count-spliter':
        return end - 1
      default:
        return end
    }
  }

  /** Whether the frame's framing is what it should be where the frame end does not already prove it. */
  wellFramed(data: Buffer, start: number): boolean {
    if (this.framing.protocol === 'begin-end') {
      return data.compare(this.#beginMark, 0, this.#beginMark.length, start, start + this.#beginMark.length) === 0
    }
    if (this.framing.protocol === 'count-spliter') return data[start] === this.framing.spliter
    return true
  }

  /**
   * Whether the complete frame `data[start, end)` is a reply the expectation accepts (well framed, and its payload
   * equal to the exact reply or matching the regular expression).
   */
  matches(data: Buffer, start: number, end: number): boolean {
    if (!this.wellFramed(data, start)) return false
    const expectation = this.expectation
    if (expectation.kind === 'any') return true
    const payloadStart = this.payloadStart(start)
    const payloadEnd = this.payloadEnd(end)
    if (expectation.kind === 'exact') {
      const payload = expectation.payload
      return (
        payloadEnd - payloadStart === payload.length &&
        data.compare(payload, 0, payload.length, payloadStart, payloadEnd) === 0
      )
    }
    const last = this.#lastMatch
    if (
      last !== undefined &&
      last.length === payloadEnd - payloadStart &&
      data.compare(last, 0, last.length, payloadStart, payloadEnd) === 0
    ) {
      return true
    }
    const regex = this.regex as RegExp
    if (!regex.test(data.toString('utf8', payloadStart, payloadEnd))) return false
    this.#lastMatch = Buffer.from(data.subarray(payloadStart, payloadEnd))
    return true
  }
}

/**
 * Cuts one connection's reply stream into frames and checks each against the expectation. Reads are not kept: a
 * frame split between two reads is carried in a small buffer of the connection's own. For an exact reply, reads are
 * compared whole with the repeated expected frame (one `compare` per read); only after a difference does it cut
 * frames one by one, until the stream is back on a frame boundary that the pattern explains.
 */
export class ReplyReader {
  readonly #format: ReplyFormat
  #carry: Buffer = Buffer.allocUnsafe(256)
  #carryLength = 0
  /** Exact replies: every byte so far matched the pattern; `#offset` bytes of the current frame have come. */
  #aligned: boolean
  #offset = 0
  #run = 0

  constructor(format: ReplyFormat) {
    this.#format = format
    this.#aligned = format.pattern !== undefined
  }

  /** Starts over (a new connection). */
  reset(): void {
    this.#carryLength = 0
    this.#aligned = this.#format.pattern !== undefined
    this.#offset = 0
  }

  /** Reads `data[start, end)`, reporting each complete reply to `sink`. */
  push(data: Buffer, start: number, end: number, sink: ReplySink): void {
    const format = this.#format
    const pattern = format.pattern
    let position = start
    if (this.#aligned && pattern !== undefined) {
      const frameLength = format.frameLength
      while (position < end) {
        const length = Math.min(end - position, pattern.length - this.#offset)
        if (data.compare(pattern, this.#offset, this.#offset + length, position, position + length) !== 0) break
        const total = this.#offset + length
        this.#offset = total % frameLength
        const frames = (total - this.#offset) / frameLength
        if (frames > 0) sink.accepted(frames)
        position += length
      }
      if (position === end) return
      // leave the fast path: the bytes of the current frame so far are the pattern's first #offset bytes
      this.#aligned = false
      this.#ensureCarry(this.#offset)
      pattern.copy(this.#carry, 0, 0, this.#offset)
      this.#carryLength = this.#offset
      this.#offset = 0
    }
    this.#run = 0
    let step = 256
    while (this.#carryLength > 0 && position < end) {
      const take = Math.min(end - position, step)
      step *= 2
      this.#ensureCarry(this.#carryLength + take)
      data.copy(this.#carry, this.#carryLength, position, position + take)
      const before = this.#carryLength
      this.#carryLength += take
      const frameEnd = format.frameEnd(this.#carry, 0, this.#carryLength)
      if (frameEnd === malformed) {
        this.#broken(sink, 'a reply has a bad length field')
        return
      }
      if (frameEnd === incomplete) {
        if (this.#carryLength > maxReplyBytes) {
          this.#broken(sink, tooLong)
          return
        }
        position += take
        continue
      }
      this.#check(this.#carry, 0, frameEnd, sink)
      position += frameEnd - before
      this.#carryLength = 0
    }
    while (position < end) {
      const frameEnd = format.frameEnd(data, position, end)
      if (frameEnd === malformed) {
        this.#broken(sink, 'a reply has a bad length field')
        return
      }
      if (frameEnd === incomplete) {
        const rest = end - position
        if (rest > maxReplyBytes) {
          this.#broken(sink, tooLong)
          return
        }
        this.#ensureCarry(rest)
        data.copy(this.#carry, 0, position, end)
        this.#carryLength = rest
        break
      }
      this.#check(data, position, frameEnd, sink)
      position = frameEnd
    }
    if (this.#run > 0) sink.accepted(this.#run)
    this.#run = 0
    // back on the fast path when what is carried is the start of the expected frame
    if (
      pattern !== undefined &&
      this.#carryLength < format.frameLength &&
      this.#carry.compare(pattern, 0, this.#carryLength, 0, this.#carryLength) === 0
    ) {
      this.#aligned = true
      this.#offset = this.#carryLength
      this.#carryLength = 0
    }
  }

  #broken(sink: ReplySink, reason: string): void {
    if (this.#run > 0) sink.accepted(this.#run)
    this.#run = 0
    this.#carryLength = 0
    sink.broken(reason)
  }

  #check(data: Buffer, start: number, end: number, sink: ReplySink): void {
    if (this.#format.matches(data, start, end)) {
      this.#run++
      return
    }
    if (this.#run > 0) sink.accepted(this.#run)
    this.#run = 0
    sink.rejected()
  }

  #ensureCarry(size: number): void {
    if (size <= this.#carry.length) return
    const grown = Buffer.allocUnsafe(Math.max(size, this.#carry.length * 2))
    this.#carry.copy(grown, 0, 0, this.#carryLength)
    this.#carry = grown
  }
}

const tooLong = `a reply is longer than ${maxReplyBytes} bytes (or never ends)`
