/** What a socket session tells its owner; the structural twin of socket-base's `SocketSessionHandler`. */
export interface ComplianceHandler {
  onData(data: Buffer): void
  onWritabilityChanged?(writable: boolean): void
  onEnd?(): void
  onClosed(reason: number): void
}

/** One call the session made on a {@link SessionRecorder}, in order. */
export type RecordedEvent =
  | { readonly type: 'data'; readonly data: Buffer }
  | { readonly type: 'unwritable' }
  | { readonly type: 'writable' }
  | { readonly type: 'end' }
  | { readonly type: 'closed'; readonly reason: number }

/** Options of {@link SessionRecorder}. */
export interface SessionRecorderInit {
  /** Also send every received buffer back through `echo.trySend` (an echo server). */
  echo?: { trySend(data: Uint8Array): boolean }
}

/**
 * A session handler that records every call (with a copy of each buffer as it was when delivered, to check that
 * the session never reuses them) and lets a test wait for bytes, drains, the end and the close.
 *
 * @example
 * ```ts
 * const recorder = new SessionRecorder({ echo: session })
 * session.start(recorder)
 * const reason = await recorder.closed()
 * ```
 */
export class SessionRecorder implements ComplianceHandler {
  /** Every call, in order. */
  readonly events: RecordedEvent[] = []
  /** A copy of each received buffer made when it was delivered. */
  readonly snapshots: Buffer[] = []
  readonly #echo: SessionRecorderInit['echo']
  readonly #waiting = new Set<() => void>()
  #receivedBytes = 0

  constructor(init: SessionRecorderInit = {}) {
    this.#echo = init.echo
  }

  onData(data: Buffer): void {
    this.events.push({ type: 'data', data })
    this.snapshots.push(Buffer.from(data))
    this.#receivedBytes += data.length
    this.#echo?.trySend(data)
    this.#notify()
  }

  onWritabilityChanged(writable: boolean): void {
    this.events.push({ type: writable ? 'writable' : 'unwritable' })
    this.#notify()
  }

  onEnd(): void {
    this.events.push({ type: 'end' })
    this.#notify()
  }

  onClosed(reason: number): void {
    this.events.push({ type: 'closed', reason })
    this.#notify()
  }

  /** The buffers delivered by `onData`, in order (the session's own objects). */
  get received(): Buffer[] {
    return this.events.flatMap((event) => (event.type === 'data' ? [event.data] : []))
  }

  /** Every received byte, concatenated. */
  get receivedBytes(): Buffer {
    return Buffer.concat(this.received)
  }

  /** How many times the session became writable again (`onWritabilityChanged(true)`): the drains. */
  get drainCount(): number {
    return this.count('writable')
  }

  /** The writability changes reported, in order (`false` = unwritable). */
  get writabilityChanges(): boolean[] {
    return this.events.flatMap((event) =>
      event.type === 'writable' ? [true] : event.type === 'unwritable' ? [false] : [],
    )
  }

  /** The reasons `onClosed` was called with (one entry, if the session keeps its contract). */
  get closedReasons(): number[] {
    return this.events.flatMap((event) => (event.type === 'closed' ? [event.reason] : []))
  }

  /** How many calls of `type` were recorded. */
  count(type: RecordedEvent['type']): number {
    let count = 0
    for (const event of this.events) if (event.type === type) count += 1
    return count
  }

  /** The types of the recorded calls, in order, with runs of `data` folded into one entry. */
  sequence(): RecordedEvent['type'][] {
    const types: RecordedEvent['type'][] = []
    for (const event of this.events) {
      if (event.type === 'data' && types.at(-1) === 'data') continue
      types.push(event.type)
    }
    return types
  }

  /** Resolve with all received bytes once at least `byteCount` arrived (at most `timeoutMs`). */
  async bytes(byteCount: number, timeoutMs = 2_000): Promise<Buffer> {
    await this.until(() => this.#receivedBytes >= byteCount, timeoutMs, `${byteCount} received bytes`)
    return this.receivedBytes
  }

  /** Resolve once the session became writable again `count` times in all (at most `timeoutMs`). */
  drained(count = 1, timeoutMs = 2_000): Promise<void> {
    return this.until(() => this.drainCount >= count, timeoutMs, `onWritabilityChanged(true) #${count}`)
  }

  /** Resolve once the session reported itself unwritable `count` times in all (at most `timeoutMs`). */
  unwritable(count = 1, timeoutMs = 2_000): Promise<void> {
    return this.until(() => this.count('unwritable') >= count, timeoutMs, `onWritabilityChanged(false) #${count}`)
  }

  /** Resolve with the close reason once `onClosed` was called (at most `timeoutMs`). */
  async closed(timeoutMs = 2_000): Promise<number> {
    await this.until(() => this.count('closed') > 0, timeoutMs, 'onClosed')
    return this.closedReasons[0] as number
  }

  /** Resolve once `ready()` holds, re-checked after every recorded call (at most `timeoutMs`). */
  until(ready: () => boolean, timeoutMs = 2_000, what = 'a condition'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!ready()) {
          this.#waiting.add(check)
          return
        }
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#waiting.delete(check)
        reject(new Error(`SessionRecorder: timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      check()
    })
  }

  #notify(): void {
    const callbacks = [...this.#waiting]
    this.#waiting.clear()
    for (const callback of callbacks) callback()
  }
}
