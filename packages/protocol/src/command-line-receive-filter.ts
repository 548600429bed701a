import type { ReceiveFilterFactory, TextEncoding } from '@socketlite/socket-base'
import type { RequestInfoParser } from './basic-request-info-parser.js'
import { checkEncoding, sharedMark } from './internal.js'
import type { StringRequestInfo } from './string-request-info.js'
import { TerminatorReceiveFilter, type TerminatorReceiveFilterInit } from './terminator-receive-filter.js'

/** `'\r\n'` in each encoding asked for, encoded once and shared by every command-line filter. */
const crlfs = new Map<TextEncoding, Buffer>()

/** @throws {InvalidArgumentError} an unknown encoding. */
function crlfIn(encoding: TextEncoding): Buffer {
  let crlf = crlfs.get(encoding)
  if (crlf === undefined) {
    crlf = sharedMark('terminator', '\r\n', checkEncoding('encoding', encoding))
    crlfs.set(encoding, crlf)
  }
  return crlf
}

/**
 * The options a factory made once, CRLF included, frozen: its filters take them as they are instead of copying them
 * per session (the garbage of a burst of accepts keeps V8's young generation, and so RSS, larger for a while).
 */
const preparedInits = new WeakSet<TerminatorReceiveFilterInit>()

/** Options of {@link CommandLineReceiveFilter} and its factory. */
export interface CommandLineReceiveFilterInit {
  /**
   * Encoding of the lines.
   * @default 'utf8'
   */
  encoding?: TextEncoding | undefined
  /**
   * Turns each line into a request.
   * @default new BasicRequestInfoParser()
   */
  parser?: RequestInfoParser<StringRequestInfo> | undefined
}

/**
 * Lines ended by `'\r\n'`, parsed by {@link BasicRequestInfoParser}: `'ECHO hello world\r\n'` →
 * `{ key: 'ECHO', body: 'hello world', parameters: ['hello', 'world'] }`. The default filter of `AppServer`.
 */
export class CommandLineReceiveFilter extends TerminatorReceiveFilter {
  /** @throws {InvalidArgumentError} an unknown encoding. */
  constructor(init: CommandLineReceiveFilterInit = {}) {
    super(
      preparedInits.has(init as TerminatorReceiveFilterInit)
        ? (init as TerminatorReceiveFilterInit)
        : { ...init, terminator: crlfIn(init?.encoding ?? 'utf8') },
    )
  }
}

/** Makes a {@link CommandLineReceiveFilter} per session. */
export class CommandLineReceiveFilterFactory implements ReceiveFilterFactory<StringRequestInfo> {
  readonly #init: CommandLineReceiveFilterInit

  /** @throws {InvalidArgumentError} an unknown encoding. */
  constructor(init: CommandLineReceiveFilterInit = {}) {
    new CommandLineReceiveFilter(init)
    const prepared: TerminatorReceiveFilterInit = Object.freeze({
      ...init,
      terminator: crlfIn(init.encoding ?? 'utf8'),
    })
    preparedInits.add(prepared)
    this.#init = prepared
  }

  /** A new filter with this factory's options. */
  createFilter(): CommandLineReceiveFilter {
    return new CommandLineReceiveFilter(this.#init)
  }
}
