import type { RejectionCause } from './server-stats.js'

/**
 * Counts the sessions (and connections being admitted) at once, in total and per remote address, against
 * `maxConnectionNumber` and `maxConnectionsPerIp`. A slot is reserved when a connection arrives, before any
 * asynchronous step, so concurrent arrivals cannot overshoot a limit.
 */
export class ConnectionSlots {
  readonly #max: number
  readonly #maxPerIp: number
  readonly #perIp = new Map<string, number>()
  #used = 0

  constructor(max: number, maxPerIp: number) {
    this.#max = max
    this.#maxPerIp = maxPerIp
  }

  /** Slots in use. */
  get used(): number {
    return this.#used
  }

  /** Take a slot for `address`; the limit that refuses it, or `undefined` when taken. */
  tryReserve(address: string): RejectionCause | undefined {
    if (this.#used >= this.#max) return 'maxConnectionNumber'
    if (this.#maxPerIp > 0) {
      const count = this.#perIp.get(address) ?? 0
      if (count >= this.#maxPerIp) return 'maxConnectionsPerIp'
      this.#perIp.set(address, count + 1)
    }
    this.#used++
    return undefined
  }

  /**
   * Take only `address`'s share (a TLS connection in its handshake: it holds no session slot yet, but counts toward
   * `maxConnectionsPerIp`); the limit that refuses it, or `undefined` when taken.
   */
  tryReserveAddress(address: string): RejectionCause | undefined {
    if (this.#maxPerIp === 0) return undefined
    const count = this.#perIp.get(address) ?? 0
    if (count >= this.#maxPerIp) return 'maxConnectionsPerIp'
    this.#perIp.set(address, count + 1)
    return undefined
  }

  /** Take a session slot for a connection whose address share is taken already; the limit, or `undefined`. */
  tryReserveTotal(): RejectionCause | undefined {
    if (this.#used >= this.#max) return 'maxConnectionNumber'
    this.#used++
    return undefined
  }

  /** Give back a slot taken by {@link ConnectionSlots.tryReserve} (or both halves of one). */
  release(address: string): void {
    this.#used--
    this.releaseAddress(address)
  }

  /** Give back only `address`'s share ({@link ConnectionSlots.tryReserveAddress}). */
  releaseAddress(address: string): void {
    if (this.#maxPerIp === 0) return
    const count = (this.#perIp.get(address) ?? 1) - 1
    if (count <= 0) this.#perIp.delete(address)
    else this.#perIp.set(address, count)
  }
}
