import { once } from 'node:events'
import {
  AppServer,
  type AppServerOptions,
  type AppSession,
  type ServerConfig,
  type StringRequestInfo,
  silentLogFactory,
} from '@socketlite/app-server'
import { withTimeout } from '@socketlite/testing'
import { onTestFinished } from 'vitest'
import { SocketClient, type SocketClientEvents, type SocketClientInit, TerminatorReceiveFilter } from '../src/index.js'

/** Options of {@link startEchoServer}. */
export interface EchoServerOptions {
  /** Config fields beside `ip: 127.0.0.1` and `port: 0`. */
  config?: Partial<ServerConfig>
  /** Other AppServer options (receive filter, ...). */
  server?: Omit<AppServerOptions<StringRequestInfo, AppSession<StringRequestInfo>>, 'config'>
}

/**
 * The README's server (command lines; `ECHO x` answers `x\r\n`, `QUIT` closes), on 127.0.0.1 port 0 unless the
 * config says otherwise, stopped when the test finishes. `received` counts the requests it got.
 */
export async function startEchoServer(options: EchoServerOptions = {}) {
  const server = new AppServer({
    logFactory: silentLogFactory,
    ...options.server,
    config: { ip: '127.0.0.1', port: 0, ...options.config } as ServerConfig,
  })
  const received: string[] = []
  server.on('newRequestReceived', async (session, request: StringRequestInfo) => {
    received.push(`${request.key} ${request.body}`.trimEnd())
    if (request.key === 'ECHO') await session.send(`${request.body}\r\n`)
    else if (request.key === 'QUIT') await session.close()
  })
  const [listener] = await server.start()
  onTestFinished(() => server.stop())
  return { server, port: listener?.port ?? 0, received }
}

/** A client of the line protocol (terminator `\r\n`), closed when the test finishes (at most 5 s). */
export function lineClient(port: number, init: Partial<SocketClientInit<StringRequestInfo>> = {}) {
  const client = new SocketClient<StringRequestInfo>({
    host: '127.0.0.1',
    port,
    receiveFilter: new TerminatorReceiveFilter({ terminator: '\r\n' }),
    ...init,
  })
  onTestFinished(() => withTimeout(client.close(), 5_000, 'client.close()'))
  return client
}

/** The next `event` of `client`, at most `timeoutMs`. */
export function next<TReply, K extends keyof SocketClientEvents<TReply>>(
  client: SocketClient<TReply>,
  event: K,
  timeoutMs = 5_000,
): Promise<SocketClientEvents<TReply>[K]> {
  return once(client as never, event as string, { signal: AbortSignal.timeout(timeoutMs) }) as never
}

/** Every `event` of `client`, recorded in order. */
export function record<TReply, K extends keyof SocketClientEvents<TReply>>(
  client: SocketClient<TReply>,
  event: K,
): SocketClientEvents<TReply>[K][] {
  const seen: SocketClientEvents<TReply>[K][] = []
  ;(client as unknown as NodeJS.EventEmitter).on(event as string, (...args: unknown[]) => seen.push(args as never))
  return seen
}

/** Resolve the error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}
