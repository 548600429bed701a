import type { ErrorCounts, ErrorKind } from './error-kinds.js'
import type { Framing } from './framing.js'
import type { MessagePattern } from './message-pattern.js'
import type { ResolvedReplyExpectation } from './reply-expectation.js'
import type { Transport } from './target.js'

/** What one load engine (one thread) runs: its share of the connections and of the rates. Structured-cloneable. */
export interface EngineConfig {
  /** 0-based index of this engine among the workers. */
  readonly workerIndex: number
  readonly transport: Transport
  /** Resolved IP address of the target. */
  readonly address: string
  readonly port: number
  readonly family: 4 | 6
  /** TLS server name (SNI and certificate check); absent for an IP target. */
  readonly servername?: string | undefined
  /** TLS: accept any certificate. */
  readonly insecure: boolean
  /** TLS: PEM of the trusted CA(s), instead of the system store. */
  readonly ca?: string | undefined
  /** Connections this engine opens. */
  readonly connections: number
  /** Global index of this engine's first connection. */
  readonly firstConnection: number
  /** New connections per second for this engine; 0 = no limit. */
  readonly connectRate: number
  readonly connectTimeoutMs: number
  /** Closed model: messages in flight per connection. */
  readonly pipeline: number
  /** Open model: messages per second for this engine (spread over its connections); 0 = closed model. */
  readonly rate: number
  readonly timeoutMs: number
  readonly pattern: MessagePattern
  /** How messages (and, in request/reply mode, replies) are framed. */
  readonly framing: Framing
  /** Echo mode: compare every echoed byte with what was sent (false: count the bytes only). */
  readonly verify: boolean
  /** Request/reply mode: what each reply must be; undefined in echo mode. */
  readonly reply?: ResolvedReplyExpectation | undefined
  /** Sample period. @default 1000 */
  readonly sampleIntervalMs: number
}

/** Commands from the coordinator to an engine. */
export type EngineCommand =
  | { readonly type: 'start' }
  | { readonly type: 'warmup' }
  | { readonly type: 'measure' }
  | { readonly type: 'stop' }

/** One sample period of one engine. */
export interface EngineSample {
  readonly type: 'sample'
  readonly workerIndex: number
  /** Warm-up samples are progress only; measurement samples go into the report. */
  readonly phase: 'warmup' | 'measure'
  /** 0-based sample number since the phase started. */
  readonly index: number
  readonly durationMs: number
  /** Messages whose echo completed (and matched). */
  readonly messages: number
  readonly sent: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly errors: number
  /** Connections open at the end of the period. */
  readonly open: number
  /** Latencies of the period, encoded (see `encodeHistogram`). */
  readonly histogram: string
}

/** The final result of one engine. */
export interface EngineResult {
  readonly type: 'result'
  readonly workerIndex: number
  readonly connections: number
  readonly messages: number
  readonly sent: number
  readonly bytesIn: number
  readonly bytesOut: number
  readonly errors: ErrorCounts
  /** The first error message seen of each kind. */
  readonly firstErrors: Partial<Record<ErrorKind, string>>
  /** Encoded latency histogram of the measurement (µs). */
  readonly latency: string
  /** Encoded connect-time histogram of the whole run (µs). */
  readonly connect: string
  /** Successful connects over the whole run (reconnects included). */
  readonly connectsSucceeded: number
  readonly openAtEnd: number
  /** Messages sent before the measurement started and not answered yet when it started. */
  readonly inFlightAtStart: number
  /** Messages sent but not echoed when the run stopped (not errors). */
  readonly inFlightAtEnd: number
  /** Echoes that arrived after their message had timed out (UDP). */
  readonly late: number
  readonly wallMs: number
  /** CPU time of this engine's thread during the measurement, when the platform tells it. */
  readonly threadCpuMs?: number | undefined
  /** Fraction of the measurement this thread's event loop was busy (0–1). */
  readonly eventLoopUtilization: number
}

/** Events from an engine to the coordinator. */
export type EngineEvent =
  | {
      readonly type: 'connected'
      readonly workerIndex: number
      readonly open: number
      readonly failed: number
      readonly firstError?: string | undefined
    }
  | EngineSample
  | EngineResult
  | { readonly type: 'closed'; readonly workerIndex: number }
  | { readonly type: 'fatal'; readonly workerIndex: number; readonly message: string }
