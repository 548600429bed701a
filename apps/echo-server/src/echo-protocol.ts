import {
  InvalidArgumentError,
  type ReceiveFilter,
  type ReceiveFilterFactory,
  type TextEncoding,
} from '@socketlite/app-server'
import {
  BeginEndMarkReceiveFilter,
  BinaryTerminatorReceiveFilter,
  CountSpliterReceiveFilterBase,
  FixedSizeReceiveFilter,
  type LengthFieldLength,
  LengthFieldReceiveFilter,
} from '@socketlite/protocol'
import type { EchoFrame } from './echo-frame.js'
import { EchoFrameFilter } from './echo-frame-filter.js'
import { formatEscapes } from './escapes.js'
import { RawEchoFilter } from './raw-echo-filter.js'
import { TerminatorEchoFilter } from './terminator-echo-filter.js'

/** The framings the echo server speaks; the same names as `socketlite-load --protocol`. */
export type EchoProtocolName =
  | 'line'
  | 'terminator'
  | 'fixed-size'
  | 'length-field'
  | 'begin-end'
  | 'count-spliter'
  | 'raw'

/** Every protocol name, in the order the help lists them. */
export const echoProtocolNames: readonly EchoProtocolName[] = Object.freeze([
  'line',
  'terminator',
  'fixed-size',
  'length-field',
  'begin-end',
  'count-spliter',
  'raw',
])

/**
 * How the echo server frames requests. Every option has the default of the matching `socketlite-load` flag, so the
 * two tools agree with no flags but `--protocol`. Options of other protocols are ignored.
 */
export interface EchoProtocolOptions {
  /**
   * - `line`: frames end at `\r\n`;
   * - `terminator`: frames end at {@link EchoProtocolOptions.terminator};
   * - `fixed-size`: every frame is {@link EchoProtocolOptions.size} bytes;
   * - `length-field`: Netty's LengthFieldBasedFrameDecoder layout (offset, field, adjustment, strip);
   * - `begin-end`: frames between {@link EchoProtocolOptions.beginMark} and {@link EchoProtocolOptions.endMark};
   * - `count-spliter`: `#f1#f2#…#`, a frame ends at its {@link EchoProtocolOptions.count}-th spliter byte;
   * - `raw`: no framing, bytes are echoed as they come.
   * @default 'line'
   */
  protocol?: EchoProtocolName | undefined
  /** Terminator of `terminator` (a string is encoded with `encoding`). @default '\r\n' */
  terminator?: string | Uint8Array | undefined
  /** Bytes in every `fixed-size` frame. @default 32 */
  size?: number | undefined
  /** `length-field`: bytes before the length field. @default 0 */
  lengthFieldOffset?: number | undefined
  /** `length-field`: width of the length field, 1, 2, 3, 4 or 8 bytes. @default 4 */
  lengthFieldLength?: LengthFieldLength | undefined
  /** `length-field`: byte order of the length field. @default 'be' */
  byteOrder?: 'be' | 'le' | undefined
  /** `length-field`: added to the field value to get the bytes after the field. @default 0 */
  lengthAdjustment?: number | undefined
  /** `length-field`: bytes the server strips from each request (the echo still holds them). @default 0 */
  initialBytesToStrip?: number | undefined
  /** `begin-end`: the begin mark. @default '!' */
  beginMark?: string | Uint8Array | undefined
  /** `begin-end`: the end mark. @default '$' */
  endMark?: string | Uint8Array | undefined
  /** `count-spliter`: the spliter, one byte (a number, a one-byte string or one byte). @default '#' */
  spliter?: number | string | Uint8Array | undefined
  /** `count-spliter`: spliters per frame, the first one included (at least 2). @default 8 */
  count?: number | undefined
  /** Encoding of string terminators and marks. @default 'utf8' */
  encoding?: TextEncoding | undefined
}

/** The defaults of {@link EchoProtocolOptions} (the defaults of `socketlite-load` too). */
export const echoProtocolDefaults = Object.freeze({
  protocol: 'line' as EchoProtocolName,
  terminator: '\r\n',
  size: 32,
  lengthFieldOffset: 0,
  lengthFieldLength: 4 as LengthFieldLength,
  byteOrder: 'be' as 'be' | 'le',
  lengthAdjustment: 0,
  initialBytesToStrip: 0,
  beginMark: '!',
  endMark: '$',
  spliter: '#',
  count: 8,
  encoding: 'utf8' as TextEncoding,
})

/** Options of {@link EchoFilterFactory}. */
export interface EchoFilterFactoryInit {
  /**
   * One request per datagram (UDP), so that each datagram is echoed as one datagram.
   * @default false
   */
  datagram?: boolean
}

/** A count-spliter filter that only finds frames (the echo needs no fields). */
class CountSpliterFrameFilter extends CountSpliterReceiveFilterBase<true> {
  protected resolveRequestInfo(): true {
    return true
  }
}

function bytesOf(value: string | Uint8Array, encoding: TextEncoding): Buffer {
  return typeof value === 'string' ? Buffer.from(value, encoding) : Buffer.from(value)
}

function spliterByte(value: number | string | Uint8Array, encoding: TextEncoding): number {
  if (typeof value === 'number') return value
  const bytes = bytesOf(value, encoding)
  if (bytes.length !== 1) throw new InvalidArgumentError('spliter must be exactly one byte')
  return bytes[0] as number
}

/**
 * Makes the receive filter of each echo session for one {@link EchoProtocolOptions} set: the protocol package's
 * filter for the framing, wrapped in an {@link EchoFrameFilter} so that each request is the whole frame as it came
 * in (the `raw` protocol uses a {@link RawEchoFilter}).
 *
 * @example
 * ```ts
 * const factory = new EchoFilterFactory({ protocol: 'length-field', lengthFieldLength: 2 })
 * new AppServer({ config: { port: 0 }, receiveFilterFactory: factory })
 * ```
 */
export class EchoFilterFactory implements ReceiveFilterFactory<EchoFrame> {
  /** The protocol. */
  readonly protocol: EchoProtocolName
  /** A short description for logs, such as `terminator "\r\n"`. */
  readonly description: string
  /** Bytes of the smallest possible frame (a frame-size limit below it rejects every frame). */
  readonly minimumFrameLength: number
  readonly #makeInner: () => ReceiveFilter<unknown>
  /** A filter that frames whole by itself, for protocols that have one (else the inner filter is wrapped). */
  readonly #makeFrames: (() => ReceiveFilter<EchoFrame>) | undefined
  readonly #datagram: boolean

  /**
   * @param options - the framing; every option defaults as in {@link echoProtocolDefaults}
   * @param init - factory options
   * @throws {@link InvalidArgumentError} `ERR_INVALID_ARGUMENT`: an unknown protocol or an option out of range (an
   *   empty terminator or mark, a spliter that is not one byte, `count` below 2, `size` below 1, a length field
   *   width other than 1, 2, 3, 4 or 8, ...)
   */
  constructor(options: EchoProtocolOptions = {}, init: EchoFilterFactoryInit = {}) {
    const defaults = echoProtocolDefaults
    const protocol = options.protocol ?? defaults.protocol
    if (!echoProtocolNames.includes(protocol)) {
      throw new InvalidArgumentError(
        `protocol must be one of ${echoProtocolNames.join(', ')}, got ${JSON.stringify(protocol)}`,
      )
    }
    const encoding = options.encoding ?? defaults.encoding
    if (!Buffer.isEncoding(encoding)) throw new InvalidArgumentError(`unknown encoding ${JSON.stringify(encoding)}`)
    this.protocol = protocol
    this.#datagram = init.datagram ?? false
    switch (protocol) {
      case 'line':
      case 'terminator': {
        const terminator =
          protocol === 'line' ? Buffer.from('\r\n') : bytesOf(options.terminator ?? defaults.terminator, encoding)
        this.#makeInner = () => new BinaryTerminatorReceiveFilter({ terminator })
        // Over a stream, the frames come straight from a terminator filter that keeps the terminator.
        if (!this.#datagram) this.#makeFrames = () => new TerminatorEchoFilter(terminator)
        this.description = `${protocol} (terminator "${formatEscapes(terminator)}")`
        this.minimumFrameLength = terminator.length
        break
      }
      case 'fixed-size': {
        const size = options.size ?? defaults.size
        this.#makeInner = () => new FixedSizeReceiveFilter({ size })
        this.description = `fixed-size (${size} bytes)`
        this.minimumFrameLength = size
        break
      }
      case 'length-field': {
        const init = {
          lengthFieldOffset: options.lengthFieldOffset ?? defaults.lengthFieldOffset,
          lengthFieldLength: options.lengthFieldLength ?? defaults.lengthFieldLength,
          byteOrder: options.byteOrder ?? defaults.byteOrder,
          lengthAdjustment: options.lengthAdjustment ?? defaults.lengthAdjustment,
          initialBytesToStrip: options.initialBytesToStrip ?? defaults.initialBytesToStrip,
        }
        this.#makeInner = () => new LengthFieldReceiveFilter(init)
        this.description =
          `length-field (offset ${init.lengthFieldOffset}, ${init.lengthFieldLength}-byte ${init.byteOrder} field, ` +
          `adjustment ${init.lengthAdjustment}, strip ${init.initialBytesToStrip})`
        this.minimumFrameLength = init.lengthFieldOffset + init.lengthFieldLength
        break
      }
      case 'begin-end': {
        const beginMark = bytesOf(options.beginMark ?? defaults.beginMark, encoding)
        const endMark = bytesOf(options.endMark ?? defaults.endMark, encoding)
        this.#makeInner = () => new BeginEndMarkReceiveFilter({ beginMark, endMark })
        this.description = `begin-end ("${formatEscapes(beginMark)}" … "${formatEscapes(endMark)}")`
        this.minimumFrameLength = beginMark.length + endMark.length
        break
      }
      case 'count-spliter': {
        const spliter = spliterByte(options.spliter ?? defaults.spliter, encoding)
        const count = options.count ?? defaults.count
        this.#makeInner = () => new CountSpliterFrameFilter({ spliter, count })
        this.description = `count-spliter (${count} × "${formatEscapes(Uint8Array.of(spliter & 0xff))}")`
        this.minimumFrameLength = count
        break
      }
      case 'raw':
        this.#makeInner = () => new RawEchoFilter()
        this.description = 'raw (no framing)'
        this.minimumFrameLength = 1
        break
    }
    // Checks every option now (the protocol package validates in its constructors), not at the first connection.
    this.#makeInner()
  }

  /** A new filter for one session. */
  createFilter(): ReceiveFilter<EchoFrame> {
    if (this.#makeFrames !== undefined) return this.#makeFrames()
    const inner = this.#makeInner()
    if (inner instanceof RawEchoFilter) return inner
    return new EchoFrameFilter(inner, { datagram: this.#datagram })
  }
}
