import type { LogLevel, ServerConfig } from '@socketlite/app-server'
import type { LogFormat } from './cli-options.js'
import type { EchoProtocolOptions } from './echo-protocol.js'

/** Environment variable that carries a worker's {@link WorkerSetup} (and marks the process as an echo worker). */
export const workerSetupVariable = 'SOCKETLITE_ECHO_WORKER'

/** What the primary tells each worker to run. */
export interface WorkerSetup {
  /** Worker number, from 1. */
  readonly id: number
  /** The validated configuration, with the certificate (a self-signed one is made once, by the primary). */
  readonly config: ServerConfig
  readonly protocol: EchoProtocolOptions
  readonly logLevel: LogLevel
  /** `pretty` or `json`; undefined: pretty on a terminal, JSON otherwise. */
  readonly logFormat?: LogFormat | undefined
  /** `--metrics` was given: make metrics for the primary to collect (prom-client's cluster messages). */
  readonly metrics?: boolean
}

/** Worker → primary. */
export type WorkerMessage =
  | { readonly type: 'listening'; readonly urls: readonly string[] }
  | { readonly type: 'failed'; readonly exitCode: number }

/** Primary → worker. */
export interface StopMessage {
  readonly type: 'stop'
}

/** Encodes a setup for the environment (byte options survive as `{ type: 'Buffer', data }`). */
export function encodeWorkerSetup(setup: WorkerSetup): string {
  return JSON.stringify(setup, (_key, value: unknown) =>
    value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value,
  )
}

/** Decodes {@link encodeWorkerSetup}'s output. */
export function decodeWorkerSetup(text: string): WorkerSetup {
  return JSON.parse(text, (_key, value: unknown) => {
    const bytes = value as { type?: unknown; data?: unknown }
    if (typeof value === 'object' && value !== null && bytes.type === 'Buffer' && Array.isArray(bytes.data)) {
      return Buffer.from(bytes.data as number[])
    }
    return value
  }) as WorkerSetup
}

/** True for a message of the given type. */
export function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type
}
