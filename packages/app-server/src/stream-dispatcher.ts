import { CloseReason } from '@socketlite/socket-base'
import { Dispatcher, Phase, pausedForHandler } from './dispatcher.js'
import { clock, kSendingEnded } from './internal.js'

/**
 * The dispatcher of a byte stream (TCP, TLS): each chunk is pushed into the receive pipeline, which parses lazily,
 * one request at a time, so that a handler can switch filters (`setNextReceiveFilter`) or close the session before
 * the rest is parsed. While an asynchronous handler runs, bytes pile up unparsed; past `sendHighWaterMark` of them
 * reading pauses until the backlog is below `sendLowWaterMark`.
 *
 * The peer's end (FIN) does not stop dispatch: the socket session stays open for sending (`allowHalfOpen`), the
 * requests that arrived before the end are dispatched in order and their replies queued, and once the last handler
 * settled the socket session closes with `ClientClosing`, draining the replies (at most `closeTimeOut`).
 *
 * At most `dispatchBudget` requests are dispatched in one run; then dispatch yields to the event loop and goes on in a
 * later turn, in order. While a partial frame waits for the peer (and only then), the frame clock runs for
 * `frameTimeOut`; it stops while reading is paused or a handler runs (see `Dispatcher.frameClock`).
 */
export class StreamDispatcher<TRequest> extends Dispatcher<TRequest> {
  onData(data: Buffer): void {
    this.lastActive = clock()
    this.context.counters.bytesIn += data.length
    if (this.phase >= Phase.Closing) return
    const pipeline = this.pipeline ?? this.receivePipeline()
    pipeline.push(data)
    if (!this.busy) this.pump()
    else if (pipeline.pendingBytes >= this.context.config.sendHighWaterMark) this.pause(pausedForHandler)
  }

  /** The peer's FIN: what it sent before is still dispatched, then the session closes (see the class). */
  onEnd(): void {
    if (this.phase === Phase.Open) this.phase = Phase.Ending
    if (!this.busy) this.pump()
  }

  protected pump(): void {
    StreamDispatcher.#dispatch(this)
    this.runEnded()
    if (this.busy) return
    if (
      (this.paused & pausedForHandler) !== 0 &&
      (this.pipeline === undefined || this.pipeline.pendingBytes < this.context.config.sendLowWaterMark)
    ) {
      this.resume(pausedForHandler)
    }
    if (this.closedReason !== undefined) this.finish()
    else if (this.shuttingDown) {
      // stop(): the handler that ran when it was called has settled; what it queued drains, then the session closes.
      if (this.phase < Phase.Closing) void this.session.close(CloseReason.ServerShutdown)
    } else if (this.phase === Phase.Ending) {
      // Every request that arrived before the peer's end was handled: the replies drain, then the connection closes.
      this.phase = Phase.Closing
      this.session[kSendingEnded]()
      void this.socket.close(CloseReason.ClientClosing)
    } else this.frameClock()
  }

  /** Dispatch parsed requests until a handler goes asynchronous, more bytes are needed, or dispatch stops. */
  static #dispatch<TRequest>(dispatcher: StreamDispatcher<TRequest>): void {
    const pipeline = dispatcher.pipeline
    if (pipeline === undefined || dispatcher.shuttingDown) return
    dispatcher.beginRun()
    while (dispatcher.phase === Phase.Open || dispatcher.phase === Phase.Ending) {
      if (dispatcher.runSpent()) {
        if (pipeline.pendingBytes > 0) dispatcher.yieldDispatch()
        return
      }
      let request: TRequest | undefined
      try {
        request = pipeline.next()
      } catch (error) {
        dispatcher.protocolError(error)
        return
      }
      if (request === undefined) return
      dispatcher.frameDone()
      if (dispatcher.handle(request) || dispatcher.shuttingDown) return
    }
  }
}
