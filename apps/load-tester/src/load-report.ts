import type { ErrorCounts, ErrorKind } from './error-kinds.js'
import type { ProtocolName } from './framing.js'
import type { LatencySummary } from './histogram.js'
import type { Transport } from './target.js'
import type { ThresholdCheck } from './thresholds.js'

/** Where a run is, for live progress. */
export interface LoadProgress {
  readonly phase: 'connecting' | 'warmup' | 'running' | 'done'
  /** Time into the current phase: the warm-up's while warming up, then the measured time (0 while connecting). */
  readonly elapsedMs: number
  /** Length of the current phase: the warm-up, then the measurement. */
  readonly durationMs: number
  /** Throughput of the last sample period of this phase (warm-up or measurement); `null` before the first. */
  readonly messagesPerSecond: number | null
  /** p99 of this phase so far (warm-up or measurement), ms; `null` until a message has completed in it. */
  readonly p99Ms: number | null
  /** Errors of this phase so far. */
  readonly errors: number
  /** Connections open at the last sample. */
  readonly open: number
  readonly connections: number
}

/** One sample period (normally one second) of the measurement. */
export interface LoadSample {
  /** 0-based period number. */
  readonly index: number
  /** Start of the period, ms since the measurement started. */
  readonly startMs: number
  readonly durationMs: number
  readonly messages: number
  readonly messagesPerSecond: number
  readonly mibPerSecondIn: number
  readonly mibPerSecondOut: number
  readonly errors: number
  readonly open: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

/** CPU use of one engine thread during the measurement. */
export interface WorkerCpu {
  readonly worker: number
  readonly connections: number
  /** CPU of that thread as % of one core; `null` where the platform cannot tell (non-Linux). */
  readonly cpuPercent: number | null
  /** Fraction of the time its event loop was busy (0–1). */
  readonly eventLoopUtilization: number
}

/** The report of one run: what `--json` prints. Described by `report.schema.json`. */
export interface LoadReport {
  readonly tool: 'socketlite-load'
  readonly versions: {
    readonly socketliteLoad: string
    readonly node: string
    readonly v8: string
    readonly platform: string
    readonly arch: string
  }
  /** ISO time the run started. */
  readonly startedAt: string
  /** True when the run was stopped early (signal / Ctrl-C). */
  readonly aborted: boolean
  readonly config: {
    readonly target: string
    readonly transport: Transport
    readonly host: string
    readonly port: number
    /** The address connected to (the host, resolved once). */
    readonly address: string
    readonly connections: number
    readonly connectRate: number
    readonly connectTimeoutMs: number
    readonly durationMs: number
    readonly warmupMs: number
    readonly model: 'closed' | 'open'
    /** Closed model depth, `null` in the open model. */
    readonly pipeline: number | null
    /** Open model target rate (msgs/s), `null` in the closed model. */
    readonly rate: number | null
    readonly protocol: ProtocolName
    /** Framing options (marks and terminators shown with escapes). */
    readonly framing: Readonly<Record<string, string | number>>
    /** `echo`: the reply must be the bytes sent; `request-reply`: one reply frame per message, checked by `expect`. */
    readonly mode: 'echo' | 'request-reply'
    /** Request/reply mode: the expected reply (`"+PONG"`, `/^OK/`, `any`); `null` in echo mode. */
    readonly expect: string | null
    /** Echo mode: whether echoed bytes were compared with what was sent (`--no-verify` turns it off). */
    readonly verify: boolean
    /** Bytes per framed message on the wire (each way). */
    readonly messageBytes: number
    readonly payloadBytes: number
    /** Distinct messages sent in rotation. */
    readonly distinctMessages: number
    readonly timeoutMs: number
    /** Length of one sample period (`results.samples`). */
    readonly sampleIntervalMs: number
    readonly workers: number
    readonly tls: { readonly insecure: boolean; readonly servername: string | null; readonly ca: boolean } | null
  }
  readonly results: {
    /** Measured wall time. */
    readonly durationMs: number
    /** Messages answered (echo or reply) and verified during the measurement. */
    readonly messages: number
    /** Messages sent during the measurement. */
    readonly sent: number
    readonly messagesPerSecond: number
    readonly bytesIn: number
    readonly bytesOut: number
    readonly mibPerSecondIn: number
    readonly mibPerSecondOut: number
    /** Open model: achieved ÷ target rate (1 = kept up); `null` in the closed model. */
    readonly rateAchieved: number | null
    readonly latencyMs: LatencySummary
    /** Latency at log-spaced percentiles up to 100 (for plots). */
    readonly latencySpectrum: readonly { readonly percentile: number; readonly ms: number }[]
    /** The latency histogram (µs), HdrHistogram compressed base64, for offline merging. */
    readonly latencyHistogram: string
    readonly connectMs: LatencySummary
    readonly connections: {
      readonly requested: number
      /** Open when the measurement ended. */
      readonly openAtEnd: number
      /** Successful connects over the whole run (reconnects included). */
      readonly connects: number
    }
    /**
     * Sent before the measurement started (connect phase, warm-up) and still unanswered when it started; their answers
     * count in `messages`, not in `sent`.
     */
    readonly inFlightAtStart: number
    /** Sent but not yet answered when the run stopped (not errors). */
    readonly inFlightAtEnd: number
    /** UDP echoes that arrived after their message had timed out. */
    readonly late: number
    readonly samples: readonly LoadSample[]
  }
  readonly errors: ErrorCounts & { readonly total: number }
  /** The first message seen of each error kind. */
  readonly errorDetails: Partial<Record<ErrorKind, string>>
  readonly cpu: {
    /** user + system CPU of the whole process over the measurement, in % of one core. */
    readonly processPercent: number
    readonly userMs: number
    readonly systemMs: number
    readonly wallMs: number
    /** Cores available to the process. */
    readonly cores: number
    readonly workers: readonly WorkerCpu[]
    /** True when an engine thread was ≥ 90 % busy: the tester itself may have limited the result. */
    readonly testerBound: boolean
  }
  readonly thresholds: {
    readonly passed: boolean
    readonly checks: readonly ThresholdCheck[]
  }
}
