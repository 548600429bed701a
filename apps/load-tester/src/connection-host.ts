import type { EngineConfig } from './engine-protocol.js'
import { type ErrorCounts, type ErrorKind, emptyErrorCounts } from './error-kinds.js'
import type { LatencyRecorder } from './latency-recorder.js'
import type { ReplyFormat } from './reply-reader.js'

/** Counters of one engine, bumped on the hot path (plain fields on purpose). */
export class EngineCounters {
  messages = 0
  sent = 0
  bytesIn = 0
  bytesOut = 0
  late = 0
  errors: ErrorCounts = emptyErrorCounts()

  /** Zeroes every counter (start of the measurement). */
  reset(): void {
    this.messages = 0
    this.sent = 0
    this.bytesIn = 0
    this.bytesOut = 0
    this.late = 0
    this.errors = emptyErrorCounts()
  }
}

/** What a connection needs from the engine that owns it. */
export interface ConnectionHost {
  readonly config: EngineConfig
  /** The pattern's send buffer as a `Buffer` (for `compare` without copies). */
  readonly sendBuffer: Buffer
  /** One read buffer shared by every TCP/TLS socket of the engine (reads are synchronous, so this is safe). */
  readonly readBuffer: Buffer
  readonly recorder: LatencyRecorder
  /** Request/reply mode: how replies are cut and checked (shared by the connections); undefined in echo mode. */
  readonly replyFormat: ReplyFormat | undefined
  /** Request/reply mode: the expectation as the error messages show it (`"+PONG"`, `/^OK/`). */
  readonly replyDescription: string
  readonly counters: EngineCounters
  /** True once the engine stops: no more sends, no reconnects, nothing counted. */
  readonly stopping: boolean
  /** Open model: milliseconds between two messages of one connection; 0 in the closed model. */
  readonly messageInterval: number
  /** Counts one error and remembers the first message of its kind. */
  countError(kind: ErrorKind, detail: string, count?: number): void
  /** A connection is up; `connectMs` from the connect call to ready (TLS: handshake done). */
  connectionUp(connection: EngineConnection, connectMs: number): void
  /** A connection attempt failed or an open connection was lost; the engine schedules a new attempt. */
  connectionDown(connection: EngineConnection, wasUp: boolean): void
}

/** A connection driven by an engine (TCP/TLS stream or UDP socket). */
export interface EngineConnection {
  /** Global connection index. */
  readonly index: number
  /** Whether it is open now. */
  readonly isOpen: boolean
  /** Messages sent but not yet echoed, timed out or dropped. */
  readonly inFlight: number
  /** Starts a connection attempt. */
  open(): void
  /** Periodic work: timeouts, and in the open model the sends that are due. */
  tick(now: number): void
  /** Closes politely and resolves once closed (bounded by a short grace period). */
  close(): Promise<void>
}

/**
 * The smallest power of two at or above `value` (ring buffer capacities).
 *
 * @param value - a positive number
 */
export function nextPowerOfTwo(value: number): number {
  let power = 1
  while (power < value) power *= 2
  return power
}
