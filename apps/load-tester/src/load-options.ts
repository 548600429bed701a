import { defaultFraming, type Framing, type LengthFieldLength, type ProtocolName, validateFraming } from './framing.js'
import { LoadOptionError } from './load-option-error.js'
import type { LoadProgress } from './load-report.js'
import { type ReplyExpectation, type ResolvedReplyExpectation, resolveReplyExpectation } from './reply-expectation.js'
import { type LoadTarget, parseTarget } from './target.js'
import type { Thresholds } from './thresholds.js'

/** Options of {@link runLoad}: what the command line offers, as values (times in milliseconds). */
export interface LoadOptions {
  /** `tcp://HOST:PORT`, `tls://HOST:PORT`, `udp://HOST:PORT`, `HOST:PORT` (TCP), or a parsed target. */
  readonly target: string | LoadTarget
  /** Concurrent connections (UDP: sockets, each with its own source port). @default 10 */
  readonly connections?: number
  /** New connections per second, 0 = no limit (also paces reconnects). @default 1000 */
  readonly connectRate?: number
  /** Connect (and TLS handshake) timeout in ms. @default the message timeout */
  readonly connectTimeout?: number
  /** Measured time in ms (after the connect phase and the warm-up). @default 10000 */
  readonly duration?: number
  /** Load applied but not measured before the measurement starts, in ms. @default 0 */
  readonly warmup?: number
  /** Closed model: messages in flight per connection. Exclusive with {@link LoadOptions.rate}. @default 1 */
  readonly pipeline?: number
  /**
   * Open model: messages per second in total, spread evenly over the connections; latency is measured from each
   * message's intended send time (coordinated omission corrected, as wrk2). @default undefined (closed model)
   */
  readonly rate?: number
  /** A fixed payload (strings are UTF-8, no escape processing here). @default random printable bytes */
  readonly message?: string | Uint8Array
  /** Size of the random payload in bytes (also the block size of `fixed-size`). @default 32 */
  readonly size?: number
  /**
   * Request/reply mode, for servers that answer rather than echo: each message sent expects one reply frame (framed
   * with {@link LoadOptions.protocol}) whose payload is checked against this (see {@link ReplyExpectation}); a reply
   * that fails the check is a `mismatch`. @default undefined (echo mode: the reply must be the bytes sent)
   */
  readonly expect?: ReplyExpectation
  /**
   * Echo mode: compare every echoed byte with what was sent. `false` only counts the bytes that come back (cheaper,
   * for measuring the tester itself); it cannot be combined with an exact or regex {@link LoadOptions.expect}.
   * @default true
   */
  readonly verify?: boolean
  /** Framing. @default 'line' */
  readonly protocol?: ProtocolName
  /** Terminator of `terminator`. @default '\r\n' */
  readonly terminator?: string | Uint8Array
  /** Length field width of `length-field`. @default 4 */
  readonly lengthFieldLength?: LengthFieldLength
  /** Zero bytes before the length field. @default 0 */
  readonly lengthFieldOffset?: number
  /** Byte order of the length field. @default 'be' */
  readonly byteOrder?: 'be' | 'le'
  /** Netty's lengthAdjustment: field value + adjustment = bytes after the field. @default 0 */
  readonly lengthAdjustment?: number
  /** Begin mark of `begin-end`. @default '!' */
  readonly beginMark?: string | Uint8Array
  /** End mark of `begin-end`. @default '$' */
  readonly endMark?: string | Uint8Array
  /** Spliter byte of `count-spliter` (a one-byte string or a byte value). @default '#' */
  readonly spliter?: string | number | Uint8Array
  /** Spliters per `count-spliter` frame. @default 8 */
  readonly count?: number
  /** TLS: do not verify the server certificate. @default false */
  readonly insecure?: boolean
  /** TLS: trusted CA certificate(s), PEM. @default the system store */
  readonly ca?: string | Uint8Array
  /** TLS: server name for SNI and the certificate check. @default the target host when it is a name */
  readonly servername?: string
  /** Per-message timeout in ms; counted as `timeout` errors. @default 5000 */
  readonly timeout?: number
  /** Worker threads sharing the connections (results merged). @default 1 (no extra thread) */
  readonly workers?: number
  /** Sample period of the progress and per-second samples, in ms. @default 1000 */
  readonly sampleInterval?: number
  /** Pass/fail limits; violated ones are listed in the report and make the CLI exit with 1. */
  readonly thresholds?: Thresholds
  /** Stops the run early; the report covers what was measured until then. */
  readonly signal?: AbortSignal
  /** Called at each phase change and each sample period. */
  readonly onProgress?: (progress: LoadProgress) => void
}

/** {@link LoadOptions} with every default applied and every value checked. */
export interface ResolvedLoadOptions {
  readonly target: LoadTarget
  readonly connections: number
  readonly connectRate: number
  readonly connectTimeout: number
  readonly duration: number
  readonly warmup: number
  readonly model: 'closed' | 'open'
  readonly pipeline: number
  readonly rate: number | undefined
  readonly message: Uint8Array | undefined
  readonly size: number
  readonly framing: Framing
  /** Request/reply mode; undefined in echo mode. */
  readonly reply: ResolvedReplyExpectation | undefined
  readonly verify: boolean
  readonly insecure: boolean
  readonly ca: string | undefined
  readonly servername: string | undefined
  readonly timeout: number
  readonly workers: number
  readonly sampleInterval: number
  readonly thresholds: Thresholds
}

/** The defaults of {@link LoadOptions}. */
export const loadDefaults = Object.freeze({
  connections: 10,
  connectRate: 1000,
  duration: 10_000,
  warmup: 0,
  pipeline: 1,
  size: 32,
  timeout: 5000,
  workers: 1,
  sampleInterval: 1000,
})

/** Largest UDP payload over IPv4. */
export const maxDatagramBytes = 65_507

const encoder = new TextEncoder()

/**
 * Applies defaults and checks every option.
 *
 * @param options - the options
 * @throws {@link LoadOptionError} `ERR_INVALID_TARGET` for the target, `ERR_INVALID_OPTION` naming any other bad
 * option (a non-positive count, both `pipeline` and `rate`, both `message` and `size`, a bad framing option)
 */
export function resolveLoadOptions(options: LoadOptions): ResolvedLoadOptions {
  const target = typeof options.target === 'string' ? parseTarget(options.target) : options.target
  const connections = integer('connections', options.connections ?? loadDefaults.connections, 1)
  const connectRate = number('connect-rate', options.connectRate ?? loadDefaults.connectRate, 0)
  const timeout = number('timeout', options.timeout ?? loadDefaults.timeout, 0, true)
  const connectTimeout = number('connect-timeout', options.connectTimeout ?? timeout, 0, true)
  const duration = number('duration', options.duration ?? loadDefaults.duration, 0, true)
  const warmup = number('warmup', options.warmup ?? loadDefaults.warmup, 0)
  if (options.rate !== undefined && options.pipeline !== undefined) {
    throw new LoadOptionError('rate', '--rate (open model) and --pipeline (closed model) exclude each other')
  }
  const pipeline = integer('pipeline', options.pipeline ?? loadDefaults.pipeline, 1)
  const rate = options.rate === undefined ? undefined : number('rate', options.rate, 0, true)
  if (options.message !== undefined && options.size !== undefined) {
    throw new LoadOptionError('size', '--size and --message/--message-file exclude each other')
  }
  const message = options.message === undefined ? undefined : bytes(options.message)
  if (message !== undefined && message.length === 0) throw new LoadOptionError('message', 'the message is empty')
  const size = integer('size', options.size ?? message?.length ?? loadDefaults.size, 1)
  const framing: Framing = {
    protocol: options.protocol ?? defaultFraming.protocol,
    terminator: options.terminator === undefined ? defaultFraming.terminator : bytes(options.terminator),
    lengthFieldLength: options.lengthFieldLength ?? defaultFraming.lengthFieldLength,
    lengthFieldOffset: options.lengthFieldOffset ?? defaultFraming.lengthFieldOffset,
    byteOrder: options.byteOrder ?? defaultFraming.byteOrder,
    lengthAdjustment: options.lengthAdjustment ?? defaultFraming.lengthAdjustment,
    beginMark: options.beginMark === undefined ? defaultFraming.beginMark : bytes(options.beginMark),
    endMark: options.endMark === undefined ? defaultFraming.endMark : bytes(options.endMark),
    spliter: options.spliter === undefined ? defaultFraming.spliter : spliterByte(options.spliter),
    count: options.count ?? defaultFraming.count,
  }
  validateFraming(framing)
  const reply = options.expect === undefined ? undefined : resolveReplyExpectation(options.expect, framing)
  const verify = options.verify ?? true
  if (!verify && reply !== undefined && reply.kind !== 'any') {
    throw new LoadOptionError('verify', '--no-verify and --expect/--expect-match exclude each other')
  }
  const workers = Math.min(integer('workers', options.workers ?? loadDefaults.workers, 1), connections)
  const sampleInterval = number('sample-interval', options.sampleInterval ?? loadDefaults.sampleInterval, 0, true)
  const thresholds = options.thresholds ?? {}
  if (thresholds.maxP99 !== undefined) number('max-p99', thresholds.maxP99, 0)
  if (thresholds.minRate !== undefined) number('min-rate', thresholds.minRate, 0)
  if (thresholds.maxErrors !== undefined) integer('max-errors', thresholds.maxErrors, 0)
  if (options.servername !== undefined && options.servername.length === 0) {
    throw new LoadOptionError('servername', '--servername must not be empty')
  }
  return {
    target,
    connections,
    connectRate,
    connectTimeout,
    duration,
    warmup,
    model: rate === undefined ? 'closed' : 'open',
    pipeline,
    rate,
    message,
    size,
    framing,
    reply,
    verify,
    insecure: options.insecure ?? false,
    ca:
      options.ca === undefined
        ? undefined
        : typeof options.ca === 'string'
          ? options.ca
          : Buffer.from(options.ca).toString('utf8'),
    servername: options.servername,
    timeout,
    workers,
    sampleInterval,
    thresholds,
  }
}

function number(option: string, value: number, min: number, exclusive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (exclusive && value === min)) {
    throw new LoadOptionError(option, `--${option} must be a number ${exclusive ? 'above' : 'of at least'} ${min}`)
  }
  return value
}

function integer(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new LoadOptionError(option, `--${option} must be an integer of at least ${min}`)
  }
  return value
}

function bytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : Uint8Array.from(value)
}

function spliterByte(value: string | number | Uint8Array): number {
  if (typeof value === 'number') return value
  const encoded = bytes(value)
  if (encoded.length !== 1) throw new LoadOptionError('spliter', '--spliter must be exactly one byte')
  return encoded[0] as number
}
