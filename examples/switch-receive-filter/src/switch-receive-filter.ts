import { ProtocolError, type StringRequestInfo } from '@socketlite/app-server'
import { ReceiveFilterBase, StringBeginEndMarkReceiveFilter } from '@socketlite/protocol'

/** `'Y'` begins a message that ends with the bytes `00 FF`. */
const yBegin = 0x59
/** `'*'` begins a message that ends with `'#'`. */
const starBegin = 0x2a

/**
 * The dispatcher of SuperSocketLite's `SwitchReceiveFilter`: it reads no byte itself, it looks at the first byte of
 * each message and hands the stream to the filter of that framing (`Y…00 FF` or `*…#`), which hands it back after
 * one message. The text between the marks is a command line (`ECHO hello`). Another first byte is a protocol error.
 */
export class SwitchReceiveFilter extends ReceiveFilterBase<StringRequestInfo> {
  readonly #yFilter = new OneMessageFilter(this, { beginMark: 'Y', endMark: Uint8Array.of(0x00, 0xff) })
  readonly #starFilter = new OneMessageFilter(this, { beginMark: '*', endMark: '#' })

  get leftBufferSize(): number {
    return 0
  }

  protected doFilter(data: Buffer, offset: number): number {
    const first = data[offset]
    if (first === yBegin) this.switchTo(this.#yFilter)
    else if (first === starBegin) this.switchTo(this.#starFilter)
    else throw new ProtocolError(`A message starts with 'Y' or '*', not byte 0x${first?.toString(16)}`)
    return 0 // consume nothing: the chosen filter reads the message from its first byte
  }

  protected resetFrame(): void {}
}

/** A begin/end-mark command-line filter that returns the stream to the dispatcher after each message. */
class OneMessageFilter extends StringBeginEndMarkReceiveFilter {
  readonly #dispatcher: SwitchReceiveFilter

  constructor(dispatcher: SwitchReceiveFilter, marks: { beginMark: string; endMark: string | Uint8Array }) {
    super(marks)
    this.#dispatcher = dispatcher
  }

  protected override resolveRequestInfo(body: Buffer): StringRequestInfo {
    this.switchTo(this.#dispatcher)
    return super.resolveRequestInfo(body)
  }
}
