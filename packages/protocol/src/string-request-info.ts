import type { RequestInfo } from '@socketlite/socket-base'

/**
 * A text request: a command `key`, the rest of the line as `body` and the `parameters` found in it
 * (SuperSocket's `StringRequestInfo`). Made by {@link BasicRequestInfoParser} for line protocols and by
 * {@link CountSpliterReceiveFilter}.
 */
export class StringRequestInfo implements RequestInfo {
  /** The command name, `''` for an empty line. */
  readonly key: string
  /** Everything after the key, untrimmed. */
  readonly body: string
  /** The parameters carried in the body. */
  readonly parameters: readonly string[]

  constructor(key: string, body: string, parameters: readonly string[]) {
    this.key = key
    this.body = body
    this.parameters = parameters
  }

  /** The first parameter, or `''` when there is none. */
  getFirstParam(): string {
    return this.parameters[0] ?? ''
  }

  /** The parameter at `index`, or `undefined` when there is none. */
  get(index: number): string | undefined {
    return this.parameters[index]
  }
}
