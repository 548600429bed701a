import { TerminatorReceiveFilterBase } from '@socketlite/app-server'
import { EchoFrame } from './echo-frame.js'

/**
 * The `line` and `terminator` protocols over a stream: each frame, terminator included, is one {@link EchoFrame},
 * framed by the protocol package's terminator search (`keepTerminator`), so a frame that lies in one chunk is one view
 * of it (no copy, and no second request object as when wrapping a filter whose request is then dropped).
 */
export class TerminatorEchoFilter extends TerminatorReceiveFilterBase<EchoFrame> {
  /** @throws {InvalidArgumentError} an empty terminator. */
  constructor(terminator: Uint8Array) {
    super({ terminator, keepTerminator: true })
  }

  protected resolveRequestInfo(frame: Buffer): EchoFrame {
    return new EchoFrame(frame)
  }
}
