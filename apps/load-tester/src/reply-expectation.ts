import { formatEscapes } from './escapes.js'
import { encodeFrame, type Framing } from './framing.js'
import { LoadOptionError } from './load-option-error.js'

/**
 * What a reply must be in request/reply mode (`--expect`, `--expect-match`, `--expect any`): each message sent expects
 * exactly one reply frame, framed with the chosen protocol, and the reply's payload (the frame without its framing)
 * is checked:
 * - `exact`: the payload is these bytes (a string is UTF-8);
 * - `match`: the payload, read as UTF-8, matches this regular expression;
 * - `any`: every well-framed reply is accepted.
 */
export type ReplyExpectation =
  | { readonly kind: 'exact'; readonly payload: string | Uint8Array }
  | { readonly kind: 'match'; readonly pattern: string | RegExp }
  | { readonly kind: 'any' }

/** A checked {@link ReplyExpectation}, as an engine gets it (structured-cloneable: the regex as source and flags). */
export type ResolvedReplyExpectation =
  | {
      readonly kind: 'exact'
      /** The expected payload. */
      readonly payload: Uint8Array
      /** The whole expected frame (payload with its framing), for the fast path; undefined when it has none. */
      readonly frame: Uint8Array | undefined
    }
  | { readonly kind: 'match'; readonly source: string; readonly flags: string }
  | { readonly kind: 'any' }

/** The largest reply frame accepted (a longer one is a `mismatch`, and the connection is made again). */
export const maxReplyBytes = 1024 * 1024

const encoder = new TextEncoder()

/**
 * Parses `--expect-match`: a regular expression's source, or `/source/flags`.
 *
 * @param text - as typed
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION` when it does not compile
 */
export function parseReplyPattern(text: string): RegExp {
  const literal = /^\/(.*)\/([a-z]*)$/s.exec(text)
  try {
    return literal === null ? new RegExp(text) : new RegExp(literal[1] ?? '', literal[2])
  } catch (error) {
    throw new LoadOptionError('expect-match', `--expect-match: ${(error as Error).message}`)
  }
}

/**
 * Checks an expectation against the framing and prepares it for the engines.
 *
 * @param expectation - what the replies must be
 * @param framing - the framing replies come in
 * @throws {@link LoadOptionError} `ERR_INVALID_OPTION`: `raw` framing without an exact reply (a raw stream cannot be
 * cut into replies otherwise), an exact payload that cannot be framed, or a regex that does not compile
 */
export function resolveReplyExpectation(expectation: ReplyExpectation, framing: Framing): ResolvedReplyExpectation {
  switch (expectation.kind) {
    case 'exact': {
      const payload =
        typeof expectation.payload === 'string'
          ? encoder.encode(expectation.payload)
          : Uint8Array.from(expectation.payload)
      if (payload.length === 0 && (framing.protocol === 'raw' || framing.protocol === 'fixed-size')) {
        throw new LoadOptionError(
          'expect',
          `--expect: an empty reply cannot be framed with --protocol ${framing.protocol}`,
        )
      }
      return { kind: 'exact', payload, frame: expectedFrame(payload, framing) }
    }
    case 'match': {
      if (framing.protocol === 'raw') {
        throw new LoadOptionError('expect-match', rawNeedsExact)
      }
      const pattern =
        typeof expectation.pattern === 'string' ? parseReplyPattern(expectation.pattern) : expectation.pattern
      return { kind: 'match', source: pattern.source, flags: pattern.flags.replace(/[gy]/g, '') }
    }
    case 'any':
      if (framing.protocol === 'raw') throw new LoadOptionError('expect', rawNeedsExact)
      return { kind: 'any' }
    default:
      throw new LoadOptionError('expect', 'unknown reply expectation')
  }
}

const rawNeedsExact =
  '--protocol raw has no framing to cut a reply stream into replies; give the exact reply with --expect <string>'

/** The whole frame of an exact reply, or undefined when the framing cannot say (the payload check still works). */
function expectedFrame(payload: Uint8Array, framing: Framing): Uint8Array | undefined {
  if (framing.protocol === 'count-spliter') {
    const frame = new Uint8Array(payload.length + 2)
    frame[0] = framing.spliter
    frame.set(payload, 1)
    frame[frame.length - 1] = framing.spliter
    let spliters = 0
    for (const byte of frame) if (byte === framing.spliter) spliters++
    if (spliters !== framing.count) {
      throw new LoadOptionError(
        'expect',
        `--expect: a count-spliter reply payload holds the ${framing.count - 1} fields joined by the spliter ` +
          `(${framing.count - 2} spliters), "${formatEscapes(payload)}" has ${spliters - 2}`,
      )
    }
    return frame
  }
  try {
    return encodeFrame(payload, framing)
  } catch (error) {
    if (LoadOptionError.isLoadOptionError(error)) {
      throw new LoadOptionError('expect', `--expect: ${error.message.replace('the message', 'the reply')}`)
    }
    throw error
  }
}

/**
 * How a reply expectation reads in the report: `"+PONG"` (escaped), `/^\+PONG$/`, or `any`.
 *
 * @param expectation - a resolved expectation
 */
export function describeReplyExpectation(expectation: ResolvedReplyExpectation): string {
  switch (expectation.kind) {
    case 'exact':
      return `"${formatEscapes(expectation.payload)}"`
    case 'match':
      return `/${expectation.source}/${expectation.flags}`
    case 'any':
      return 'any'
  }
}
