import { CloseReason, SocketError } from '@socketlite/socket-base'
import { Dispatcher, Phase, pausedForHandler } from './dispatcher.js'
import { clock } from './internal.js'

/**
 * The dispatcher of datagrams (UDP): each datagram is parsed whole (a request never spans datagrams; one that does
 * not parse, or ends inside a request, is dropped whole, counted in `getStats().datagramErrors` and logged, and the
 * session lives on), and its requests are dispatched in order. Datagrams come one at a time: while a handler runs
 * asynchronously the session stops taking them, and the next ones wait in the UDP session's queue (bounded in count
 * and bytes).
 */
export class DatagramDispatcher<TRequest> extends Dispatcher<TRequest> {
  /** The requests of the datagram being dispatched, from `#readyIndex` on. */
  #ready: TRequest[] | undefined
  #readyIndex = 0

  onData(datagram: Buffer): void {
    this.lastActive = clock()
    const context = this.context
    context.counters.bytesIn += datagram.length
    if (this.phase >= Phase.Closing) return
    const pipeline = this.pipeline ?? this.receivePipeline()
    pipeline.push(datagram)
    let requests: TRequest[]
    try {
      requests = pipeline.drainDatagram()
    } catch (error) {
      context.counters.datagramErrors++
      const session = this.session
      const code = SocketError.isSocketError(error) ? error.code : 'ERR_PROTOCOL'
      // Spoofed sources make sessions at will: one summary line per 10 s for every session, never a line each.
      context.refusals.refuse('Malformed datagram dropped', { remote: session.sessionId, code })
      session.logger.debug('Malformed datagram dropped', { sessionId: session.sessionId, code, err: error })
      return
    }
    if (requests.length === 0) return
    if (this.#ready === undefined) {
      this.#ready = requests
      this.#readyIndex = 0
    } else for (const request of requests) this.#ready.push(request)
    if (!this.busy) this.pump()
  }

  protected override beforeStart(): void {
    // The datagrams that made the session wait in its queue until the connect handlers settled.
    this.pause(pausedForHandler)
  }

  protected override await(result: PromiseLike<unknown>, started?: number): void {
    // The next datagram waits (in the session's bounded queue) until this handler settles.
    this.pause(pausedForHandler)
    super.await(result, started)
  }

  protected pump(): void {
    DatagramDispatcher.#dispatch(this)
    this.runEnded()
    if (this.busy) return
    // The datagrams that waited are delivered now, in order (a handler that goes asynchronous pauses again).
    if (this.#ready === undefined && !this.shuttingDown) this.resume(pausedForHandler)
    if (this.closedReason !== undefined) this.finish()
    else if (this.shuttingDown && this.phase < Phase.Closing) void this.session.close(CloseReason.ServerShutdown)
  }

  protected override yieldDispatch(): void {
    // The next datagrams wait (in the session's bounded queue) until the rest of this one was dispatched.
    this.pause(pausedForHandler)
    super.yieldDispatch()
  }

  static #dispatch<TRequest>(dispatcher: DatagramDispatcher<TRequest>): void {
    if (dispatcher.shuttingDown) return
    dispatcher.beginRun()
    while (dispatcher.phase === Phase.Open || dispatcher.phase === Phase.Ending) {
      const ready = dispatcher.#ready
      if (ready === undefined) return
      if (dispatcher.runSpent()) {
        dispatcher.yieldDispatch()
        return
      }
      const request = ready[dispatcher.#readyIndex++] as TRequest
      if (dispatcher.#readyIndex >= ready.length) {
        dispatcher.#ready = undefined
        dispatcher.#readyIndex = 0
      }
      if (dispatcher.handle(request) || dispatcher.shuttingDown) return
    }
  }
}
