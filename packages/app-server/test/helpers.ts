import { EventEmitter, once } from 'node:events'
import type net from 'node:net'
import { connectTcp } from '@socketlite/testing'
import { onTestFinished } from 'vitest'
import {
  AppServer,
  type AppServerOptions,
  type AppSession,
  type ServerConfig,
  type StringRequestInfo,
  silentLogFactory,
} from '../src/index.js'

/** Options of {@link startServer}: the server's, with every config field optional. */
export type TestServerOptions<
  TRequest = StringRequestInfo,
  TSession extends AppSession<TRequest> = AppSession<TRequest>,
> = Omit<AppServerOptions<TRequest, TSession>, 'config'> & { config?: Partial<ServerConfig> }

/**
 * A started server, stopped when the test finishes. Without `listeners` it listens on 127.0.0.1 port 0; logs are
 * silent unless a `logFactory` is given.
 */
export async function startServer<
  TRequest = StringRequestInfo,
  TSession extends AppSession<TRequest> = AppSession<TRequest>,
>(
  options: TestServerOptions<TRequest, TSession> = {},
  setup?: (server: AppServer<TRequest, TSession>) => void,
): Promise<{ server: AppServer<TRequest, TSession>; port: number }> {
  const { config = {}, ...rest } = options
  const server = new AppServer<TRequest, TSession>({
    logFactory: silentLogFactory,
    ...rest,
    config: (config.listeners === undefined ? { ip: '127.0.0.1', port: 0, ...config } : config) as ServerConfig,
  })
  setup?.(server)
  const [listener] = await server.start()
  onTestFinished(() => server.stop())
  return { server, port: listener?.port ?? 0 }
}

/** A client socket connected to `port`, destroyed when the test finishes. */
export async function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = await connectTcp(port, host)
  onTestFinished(() => {
    socket.destroy()
  })
  return socket
}

/** Reads CRLF-terminated lines from a socket. */
export class LineReader {
  readonly #lines: string[] = []
  readonly #waiters: ((line: string) => void)[] = []
  #buffer = ''
  #ended = false
  readonly #endWaiters: (() => void)[] = []

  constructor(socket: net.Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (text: string) => {
      this.#buffer += text
      let index = this.#buffer.indexOf('\r\n')
      while (index >= 0) {
        const line = this.#buffer.slice(0, index)
        this.#buffer = this.#buffer.slice(index + 2)
        const waiter = this.#waiters.shift()
        if (waiter !== undefined) waiter(line)
        else this.#lines.push(line)
        index = this.#buffer.indexOf('\r\n')
      }
    })
    socket.on('close', () => {
      this.#ended = true
      for (const waiter of this.#endWaiters.splice(0)) waiter()
    })
  }

  /** Lines received and not yet taken. */
  get pending(): readonly string[] {
    return this.#lines
  }

  /** The next line, at most `timeoutMs`. */
  next(timeoutMs = 2_000): Promise<string> {
    const line = this.#lines.shift()
    if (line !== undefined) return Promise.resolve(line)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line within ${timeoutMs} ms`)), timeoutMs)
      this.#waiters.push((value) => {
        clearTimeout(timer)
        resolve(value)
      })
    })
  }

  /** The next `count` lines. */
  async take(count: number, timeoutMs = 2_000): Promise<string[]> {
    const lines: string[] = []
    for (let index = 0; index < count; index++) lines.push(await this.next(timeoutMs))
    return lines
  }

  /** Resolves once the socket closed; returns the lines not yet taken. */
  async closed(timeoutMs = 2_000): Promise<string[]> {
    if (!this.#ended) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not closed within ${timeoutMs} ms`)), timeoutMs)
        this.#endWaiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.#lines.splice(0)
  }
}

/** Wait for one event, at most 2 s. */
export function next<T extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, timeoutMs = 2_000): Promise<T> {
  return once(emitter, event, { signal: AbortSignal.timeout(timeoutMs) }) as Promise<T>
}

/** One line a {@link RecordingLogFactory} logger wrote. */
export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly message: string
  readonly fields: Readonly<Record<string, unknown>> | undefined
}

/** A log factory that keeps every line (all levels enabled unless `enabled` says otherwise). */
export class RecordingLogFactory extends EventEmitter<{ record: [record: LogRecord] }> {
  readonly records: LogRecord[] = []
  readonly #enabled: boolean

  constructor(enabled = true) {
    super()
    this.#enabled = enabled
  }

  getLogger(): import('../src/index.js').Logger {
    const enabled = this.#enabled
    const write = (level: LogRecord['level']) => (message: string, fields?: Readonly<Record<string, unknown>>) => {
      const record = { level, message, fields }
      this.records.push(record)
      this.emit('record', record)
    }
    return {
      isLevelEnabled: () => enabled,
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
    }
  }

  at(level: LogRecord['level']): LogRecord[] {
    return this.records.filter((record) => record.level === level)
  }
}

/** The first record (already written or still to come) that `match` accepts, at most 2 s. */
export function logged(logs: RecordingLogFactory, match: (record: LogRecord) => boolean): Promise<LogRecord> {
  const found = logs.records.find(match)
  if (found !== undefined) return Promise.resolve(found)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      logs.off('record', listener)
      reject(new Error('no matching log record within 2 s'))
    }, 2_000)
    const listener = (record: LogRecord): void => {
      if (!match(record)) return
      clearTimeout(timer)
      logs.off('record', listener)
      resolve(record)
    }
    logs.on('record', listener)
  })
}

/**
 * Queue bytes on `session` until the kernel buffers towards a client that does not read are full and the session's
 * own queue is at its high water mark (bounded: at most `rounds` event-loop turns). Returns the bytes queued.
 */
export async function saturate(
  session: { trySend(data: Uint8Array): boolean; readonly pendingSendBytes: number },
  chunkSize = 16_384,
  rounds = 5_000,
): Promise<number> {
  const chunk = Buffer.alloc(chunkSize, 0x2e)
  let queued = 0
  for (let round = 0; round < rounds; round++) {
    while (session.trySend(chunk)) queued += chunkSize
    await new Promise((resolve) => setImmediate(resolve))
    // A write the kernel took whole has completed by now; bytes still pending mean its buffers are full.
    if (session.pendingSendBytes > 0) {
      while (session.trySend(chunk)) queued += chunkSize
      return queued
    }
  }
  throw new Error(`saturate: the peer's buffers did not fill in ${rounds} rounds`)
}

/**
 * Resolves once `condition()` holds, checked once per event-loop turn (for state that has no event, such as a
 * session's `connected` turning false on the peer's FIN); rejects after `timeoutMs` or 100 000 turns.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let turn = 0; turn < 100_000; turn++) {
    if (condition()) return
    if (Date.now() > deadline) break
    await new Promise((resolve) => setImmediate(resolve))
  }
  throw new Error(`until: timed out waiting for ${what}`)
}
