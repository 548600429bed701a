import { InvalidArgumentError } from '@socketlite/socket-base'
import { StringRequestInfo } from './string-request-info.js'

/** Turns one decoded text frame (a line without its terminator) into a request (SuperSocket's `IRequestInfoParser`). */
export interface RequestInfoParser<TRequest> {
  /** The request for `source`. May throw to reject the frame (the session then closes with `ProtocolError`). */
  parse(source: string): TRequest
}

/**
 * The command-line parser (SuperSocket's `BasicRequestInfoParser`):
 * - key = the text before the first `spliter`; the whole line when there is none or when the line starts with it;
 * - body = everything after that first spliter, untrimmed (`''` when the key is the whole line);
 * - parameters = the body split on `parameterSpliter`, empty entries removed.
 *
 * @example
 * ```ts
 * new BasicRequestInfoParser().parse('ADD  1 2') // { key: 'ADD', body: ' 1 2', parameters: ['1', '2'] }
 * ```
 */
export class BasicRequestInfoParser implements RequestInfoParser<StringRequestInfo> {
  /** Separates the key from the body. */
  readonly spliter: string
  /** Separates the parameters inside the body. */
  readonly parameterSpliter: string

  /**
   * @param spliter separates the key from the body. @default ' '
   * @param parameterSpliter separates the parameters. @default ' '
   * @throws {InvalidArgumentError} an empty or non-string spliter.
   */
  constructor(spliter = ' ', parameterSpliter = ' ') {
    if (typeof spliter !== 'string' || spliter === '')
      throw new InvalidArgumentError('spliter must be a non-empty string')
    if (typeof parameterSpliter !== 'string' || parameterSpliter === '') {
      throw new InvalidArgumentError('parameterSpliter must be a non-empty string')
    }
    this.spliter = spliter
    this.parameterSpliter = parameterSpliter
  }

  /** Splits `source` into key, body and parameters. */
  parse(source: string): StringRequestInfo {
    const spliter = this.spliter
    const position = source.indexOf(spliter)
    if (position <= 0) return new StringRequestInfo(source, '', [])
    const body = source.slice(position + spliter.length)
    return new StringRequestInfo(source.slice(0, position), body, splitParameters(body, this.parameterSpliter))
  }
}

/**
 * `body.split(spliter).filter((part) => part !== '')` in one pass, without the intermediate array and closure: a
 * body without the spliter gives `[body]` after one search.
 */
function splitParameters(body: string, spliter: string): string[] {
  const first = body.indexOf(spliter)
  if (first < 0) return body === '' ? [] : [body]
  const parameters: string[] = []
  const step = spliter.length
  let from = 0
  for (let at = first; ; at = body.indexOf(spliter, from)) {
    const end = at < 0 ? body.length : at
    if (end > from) parameters.push(body.slice(from, end))
    if (at < 0) return parameters
    from = at + step
  }
}
