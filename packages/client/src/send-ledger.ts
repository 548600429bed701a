/** Sends of one connection that did not (surely) reach the operating system, as counted when it ended. */
export interface Unsent {
  /** How many sends (`trySend`, `send`, `request` calls): always the last ones made on that connection. */
  readonly messages: number
  /** Their bytes. */
  readonly bytes: number
}

/** What a connection's end did to the sends accepted on it (see {@link SendLedger.report}). */
export interface SendReport {
  /** Still in the client's queue, never handed to the operating system: certainly not sent. */
  readonly unsent: Unsent
  /** Handed to the operating system in the write that was under way, not confirmed: none, part or all may have left. */
  readonly unconfirmed: Unsent
}

/**
 * The sends of one connection as byte ranges of its outbound stream, to tell at its end which of them did not go
 * out. The session counts the bytes its transport confirmed written (`bytesSent`) and the bytes still queued when
 * the transport went away (`droppedBytes`, the tail of the stream); each accepted send records where it ends in the
 * stream. A send is enqueued whole and batches take whole sends, so every send is either confirmed, in the write
 * that was under way, or dropped. Costs a number per send, forgotten once confirmed: bounded by the sending queue.
 */
export class SendLedger {
  /** Where each send not yet known to be written ends: `#ends[#head..]`, ascending. */
  #ends: number[] = []
  #head = 0
  /** Where the last forgotten (confirmed) send ends: the start of the first one in `#ends`. */
  #forgottenEnd = 0
  #accepted = 0

  /** Bytes accepted on this connection. */
  get acceptedBytes(): number {
    return this.#accepted
  }

  /** A send of `bytes` bytes was accepted; `written` is the session's `bytesSent` now. */
  record(bytes: number, written: number): void {
    if (bytes <= 0) return
    this.#accepted += bytes
    if (this.#head < this.#ends.length) this.#forget(written)
    this.#ends.push(this.#accepted)
  }

  /**
   * Split the sends not confirmed once `written` bytes were confirmed and the last `dropped` bytes were dropped from
   * the queue.
   */
  report(written: number, dropped: number): SendReport {
    this.#forget(written)
    const ends = this.#ends
    const head = this.#head
    const neverSentFrom = this.#accepted - dropped
    let unsentMessages = 0
    for (let index = ends.length - 1; index >= head; index -= 1) {
      const start = index > head ? (ends[index - 1] as number) : this.#forgottenEnd
      if (start < neverSentFrom) break
      unsentMessages += 1
    }
    const remaining = ends.length - head
    return {
      unsent: { messages: unsentMessages, bytes: dropped },
      unconfirmed: { messages: remaining - unsentMessages, bytes: Math.max(0, neverSentFrom - written) },
    }
  }

  /** Drop the sends that end at or before `written`. */
  #forget(written: number): void {
    const ends = this.#ends
    let head = this.#head
    while (head < ends.length && (ends[head] as number) <= written) head += 1
    if (head > this.#head) this.#forgottenEnd = ends[head - 1] as number
    if (head === ends.length) {
      ends.length = 0
      head = 0
    } else if (head > 1_024 && head * 2 > ends.length) {
      this.#ends = ends.slice(head)
      head = 0
    }
    this.#head = head
  }
}
