import { once } from 'node:events'
import net from 'node:net'

function ignoreError(): void {}

/** Options of {@link listenTcp}. */
export interface ListenTcpOptions {
  /**
   * Loopback address to bind (`'127.0.0.1'` or `'::1'`).
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Passed to `net.createServer`.
   * @default false
   */
  allowHalfOpen?: boolean
}

/** A TCP server on an ephemeral loopback port, made by {@link listenTcp}. */
export interface TcpTestServer {
  /** The bound port. */
  readonly port: number
  /** The bound address. */
  readonly host: string
  readonly server: net.Server
  /** Every accepted socket not yet closed. */
  readonly sockets: ReadonlySet<net.Socket>
  /** The next accepted socket (one already accepted and not yet taken comes first), at most `timeoutMs`. */
  nextConnection(timeoutMs?: number): Promise<net.Socket>
  /** Destroy every accepted socket and close the server. */
  close(): Promise<void>
}

/**
 * Start a TCP server on `host` port 0 and read the port back. `handler` (optional) sees each accepted socket;
 * accepted sockets get a no-op `error` listener so a reset cannot crash the test process.
 *
 * @example
 * ```ts
 * const server = await listenTcp((socket) => socket.pipe(socket))
 * onTestFinished(() => server.close())
 * const client = await connectTcp(server.port)
 * ```
 */
export async function listenTcp(
  handler?: (socket: net.Socket) => void,
  options: ListenTcpOptions = {},
): Promise<TcpTestServer> {
  const host = options.host ?? '127.0.0.1'
  const sockets = new Set<net.Socket>()
  const unclaimed: net.Socket[] = []
  const waiters: ((socket: net.Socket) => void)[] = []
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    socket.on('error', ignoreError)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    const waiter = waiters.shift()
    if (waiter !== undefined) waiter(socket)
    else unclaimed.push(socket)
    handler?.(socket)
  })
  server.on('error', ignoreError)
  server.listen({ host, port: 0 })
  await once(server, 'listening', { signal: AbortSignal.timeout(2_000) })
  const { port } = server.address() as net.AddressInfo
  return {
    port,
    host,
    server,
    sockets,
    nextConnection(timeoutMs = 2_000) {
      const ready = unclaimed.shift()
      if (ready !== undefined) return Promise.resolve(ready)
      return new Promise<net.Socket>((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter)
          if (index >= 0) waiters.splice(index, 1)
          reject(new Error(`nextConnection: no connection within ${timeoutMs} ms`))
        }, timeoutMs)
        const waiter = (socket: net.Socket): void => {
          clearTimeout(timer)
          resolve(socket)
        }
        waiters.push(waiter)
      })
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      if (!server.listening) return
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Options of {@link connectTcp}. */
export interface ConnectTcpOptions {
  /**
   * How long to wait for the connection.
   * @default 2000
   */
  timeoutMs?: number
  /**
   * Passed to `net.connect`.
   * @default false
   */
  allowHalfOpen?: boolean
  /**
   * Add a no-op `error` listener so an expected reset cannot crash the test process (listeners you add still
   * see every error).
   * @default true
   */
  guardErrors?: boolean
}

/**
 * Connect to `host:port` and resolve once connected (at most `timeoutMs`). Destroy the socket when done, e.g.
 * `onTestFinished(() => { client.destroy() })`.
 * @default host '127.0.0.1'
 */
export async function connectTcp(
  port: number,
  host = '127.0.0.1',
  options: ConnectTcpOptions = {},
): Promise<net.Socket> {
  const socket = net.connect({ host, port, allowHalfOpen: options.allowHalfOpen ?? false })
  if (options.guardErrors ?? true) socket.on('error', ignoreError)
  try {
    await once(socket, 'connect', { signal: AbortSignal.timeout(options.timeoutMs ?? 2_000) })
  } catch (error) {
    socket.destroy()
    throw error
  }
  return socket
}

/** Options of {@link tcpSocketPair}. */
export interface TcpSocketPairOptions {
  /**
   * Loopback address (`'127.0.0.1'` or `'::1'`).
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * `allowHalfOpen` of the accepted (server) socket.
   * @default true
   */
  serverAllowHalfOpen?: boolean
  /**
   * `allowHalfOpen` of the client socket.
   * @default false
   */
  clientAllowHalfOpen?: boolean
}

/** Two ends of one loopback TCP connection, made by {@link tcpSocketPair}. */
export interface TcpSocketPair {
  /** The accepted end. */
  readonly server: net.Socket
  /** The connecting end. */
  readonly client: net.Socket
  /** Destroy both ends and close the listening server. */
  close(): Promise<void>
}

/**
 * A connected pair of loopback TCP sockets (the listening server is closed again at once). Both ends have a
 * no-op `error` listener. The usual fixture of a socket-session test: wrap `server` in the session, drive `client`.
 */
export async function tcpSocketPair(options: TcpSocketPairOptions = {}): Promise<TcpSocketPair> {
  const host = options.host ?? '127.0.0.1'
  const listening = await listenTcp(undefined, { host, allowHalfOpen: options.serverAllowHalfOpen ?? true })
  try {
    const accepted = listening.nextConnection()
    const client = await connectTcp(listening.port, host, { allowHalfOpen: options.clientAllowHalfOpen ?? false })
    const server = await accepted
    // Stop listening; the pair lives on (close() waits for nothing).
    listening.server.close()
    return {
      server,
      client,
      async close() {
        client.destroy()
        server.destroy()
      },
    }
  } catch (error) {
    await listening.close()
    throw error
  }
}
