import { ReceivePipeline } from '@socketlite/protocol'
import type { DatagramSessionId } from '@socketlite/session-udp'
import type { ReceiveFilter } from '@socketlite/socket-base'

/**
 * Reads the session id a datagram carries (`UdpRequestInfo`), for a UDP listener's demultiplexer: the listener's own
 * receive filter, made once with no session (`createFilter(undefined)`), parses each datagram first (the session's
 * own filter parses it again for dispatch). A factory that cannot make a filter without a session means endpoint
 * mode: every datagram then says "no id".
 */
export class UdpSessionIds {
  readonly #createFilter: () => ReceiveFilter<unknown>
  readonly #maxRequestLength: number
  /** The pipeline, once made; `null` when the factory cannot make a filter without a session. */
  #pipeline: ReceivePipeline<unknown> | null | undefined
  /** The filter the pipeline starts every datagram with. */
  #filter: ReceiveFilter<unknown> | undefined

  /** @param createFilter makes the listener's filter (`createFilter(undefined)` of the server's factory); may throw. */
  constructor(createFilter: () => ReceiveFilter<unknown>, maxRequestLength: number) {
    this.#createFilter = createFilter
    this.#maxRequestLength = maxRequestLength
  }

  /**
   * What the datagram's requests say about its session: the id they all carry, `null` when none of them carries one,
   * `undefined` when they say neither (no request, mixed ids, or requests with and without one). Throws the filter's
   * error for a datagram that does not parse.
   */
  sessionIdOf(datagram: Buffer): DatagramSessionId {
    if (this.#pipeline === undefined) {
      try {
        this.#filter = this.#createFilter()
        this.#pipeline = new ReceivePipeline(this.#filter, { maxRequestLength: this.#maxRequestLength })
      } catch {
        // A factory that needs a session: this listener uses endpoint mode.
        this.#pipeline = null
      }
    }
    const pipeline = this.#pipeline
    if (pipeline === null) return null
    pipeline.push(datagram)
    // drainDatagram resets the pipeline when it throws: the next datagram starts clean.
    const requests = pipeline.drainDatagram()
    // The filter is shared by every peer: a switch made by one datagram must not change how the next one is read.
    if (pipeline.filter !== this.#filter) pipeline.reset()
    let id: string | null | undefined
    for (const request of requests) {
      const carried = (request as { sessionId?: unknown } | null)?.sessionId
      const current = typeof carried === 'string' ? carried : null
      if (current === '') return undefined
      if (id === undefined) id = current
      else if (id === null || current === null) {
        if (id !== current) return undefined
      } else if (current.toLowerCase() !== id.toLowerCase()) return undefined
    }
    return id
  }
}
