/** A random uint32 other than `not`. */
function randomEpoch(not = -1): number {
  for (;;) {
    const epoch = Math.floor(Math.random() * 0x1_0000_0000)
    if (epoch !== not) return epoch
  }
}

/**
 * The sending side of the per-publisher sequence numbers: one counter per stream (a stream is what this node sends
 * to one channel). At most `limit` streams are remembered; past that every counter restarts under a new epoch, which
 * receivers take as a fresh start (they count nothing as missed), so memory stays bounded however many groups a node
 * publishes to over its life.
 */
export class SequenceCounters {
  readonly #counters = new Map<string, number>()
  readonly #limit: number
  #epoch = randomEpoch()

  constructor(limit = 65_536) {
    this.#limit = limit
  }

  /** The epoch of the numbers {@link SequenceCounters.next} returns; read it after `next`. */
  get epoch(): number {
    return this.#epoch
  }

  /** The next sequence number of `stream` (1 for a new stream). */
  next(stream: string): number {
    const previous = this.#counters.get(stream)
    if (previous === undefined && this.#counters.size >= this.#limit) {
      this.#counters.clear()
      this.#epoch = randomEpoch(this.#epoch)
    }
    const sequence = (previous ?? 0) + 1
    this.#counters.set(stream, sequence)
    return sequence
  }
}

interface StreamState {
  epoch: number
  last: number
}

/**
 * The receiving side: the last sequence number seen per publisher and stream. A gap means messages were lost on
 * the way (typically while this node's connection to Redis was down): {@link SequenceTracker.observe} returns how
 * many. The first message of a stream, or one under a new epoch, only sets the baseline.
 */
export class SequenceTracker {
  readonly #publishers = new Map<string, Map<string, StreamState>>()

  /** Record message `sequence` of `publisher`'s `stream` (under `epoch`); returns how many before it were missed. */
  observe(publisher: string, stream: string, epoch: number, sequence: number): number {
    let streams = this.#publishers.get(publisher)
    if (streams === undefined) {
      streams = new Map()
      this.#publishers.set(publisher, streams)
    }
    const state = streams.get(stream)
    if (state === undefined || state.epoch !== epoch) {
      streams.set(stream, { epoch, last: sequence })
      return 0
    }
    if (sequence <= state.last) return 0
    const missed = sequence - state.last - 1
    state.last = sequence
    return missed
  }

  /** Forget `stream` of every publisher (this node unsubscribed from it: a later message is a fresh start). */
  forgetStream(stream: string): void {
    for (const streams of this.#publishers.values()) streams.delete(stream)
  }

  /** Forget a publisher that left the service. */
  forgetPublisher(publisher: string): void {
    this.#publishers.delete(publisher)
  }

  /** Publishers remembered now (for tests). */
  get publishers(): number {
    return this.#publishers.size
  }
}
