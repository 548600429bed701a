import { EventEmitter } from 'node:events'
import net from 'node:net'
import { type EndPoint, InvalidArgumentError, ListenError, resolveListenAddress } from '@socketlite/socket-base'
import { bindOnce, startSucceeded } from './bind-once.js'
import { endPointOf } from './endpoint.js'

/** Options of {@link TcpSocketListener}. */
export interface TcpSocketListenerInit {
  /** Address to bind: an IPv4 or IPv6 literal, or `'Any'` (`0.0.0.0`) / `'IPv6Any'` (`::`, dual stack). */
  ip: string
  /** Port to bind; `0` asks the system for a free one (read it back from `start()`). */
  port: number
  /**
   * Accept backlog (pending connections the kernel queues).
   * @default 511
   */
  backlog?: number
}

/** Events of {@link TcpSocketListener}. */
export interface TcpSocketListenerEvents {
  /**
   * A connection was accepted. The socket is flowing-ready but unread (no `data` listener yet) and half-open is
   * allowed (`allowHalfOpen: true`: the owner decides when to end its side). Once the `connection` listeners have
   * run, a socket that still has no `error` listener gets a no-op one, so that an early reset cannot crash the
   * process while its owner decides (e.g. an asynchronous connection filter); an owner that takes it over at once
   * adds its own and nothing else is added.
   */
  connection: [socket: net.Socket]
  /** Listener-level trouble while running (e.g. `accept` failing with `EMFILE`); accepting goes on. */
  error: [error: Error]
}

function ignoreError(): void {}

/**
 * Accepts TCP connections on one endpoint and hands each socket up through the `connection` event
 * (SuperSocket's `TcpAsyncSocketListener`). It knows nothing of sessions.
 *
 * Runtime errors of the server socket (`accept` failing with `EMFILE`, ...) are emitted as `error` and accepting
 * goes on; without an `error` listener they are dropped, never thrown, so they cannot crash the process.
 * An exception thrown by a `connection` listener destroys that socket and is emitted as `error` too.
 *
 * @example
 * ```ts
 * const listener = new TcpSocketListener({ ip: '127.0.0.1', port: 0 })
 * listener.on('connection', (socket) => socket.end('hello\r\n'))
 * listener.on('error', (err) => console.error(err))
 * const { port } = await listener.start()
 * // ...
 * await listener.stop()
 * ```
 */
export class TcpSocketListener extends EventEmitter<TcpSocketListenerEvents> {
  readonly #ip: string
  readonly #port: number
  readonly #backlog: number
  #server: net.Server | undefined
  #endPoint: EndPoint | undefined
  #starting: Promise<EndPoint> | undefined

  /** @throws {InvalidArgumentError} `port` is not an integer from 0 to 65535, or `backlog` is not a positive integer. */
  constructor(init: TcpSocketListenerInit) {
    super()
    const { ip, port, backlog = 511 } = init
    if (typeof ip !== 'string' || ip === '') throw new InvalidArgumentError('ip must be a non-empty string')
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got ${String(port)}`)
    }
    if (!Number.isInteger(backlog) || backlog < 1) {
      throw new InvalidArgumentError(`backlog must be a positive integer, got ${String(backlog)}`)
    }
    this.#ip = resolveListenAddress(ip)
    this.#port = port
    this.#backlog = backlog
  }

  /** The bound endpoint (with the actual port) while listening. */
  get endPoint(): EndPoint | undefined {
    return this.#endPoint
  }

  /** True between a successful `start()` and `stop()`. */
  get listening(): boolean {
    return this.#endPoint !== undefined
  }

  /** The underlying `net.Server` while listening (e.g. to read `maxConnections`); `undefined` otherwise. */
  get netServer(): net.Server | undefined {
    return this.#endPoint === undefined ? undefined : this.#server
  }

  /**
   * Bind and start accepting. Resolves with the bound endpoint (the actual port when `0` was asked).
   * While starting or listening it returns the same result again.
   * @throws {ListenError} the endpoint could not be bound; `cause` is the system error (`EADDRINUSE`, `EACCES`,
   * `EADDRNOTAVAIL`, ...). Nothing stays bound.
   */
  start(): Promise<EndPoint> {
    if (this.#starting !== undefined) return this.#starting
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false })
    this.#server = server
    const starting = bindOnce(
      server,
      // Synchronous argument errors (e.g. an invalid host) are listen failures too.
      () => server.listen({ host: this.#ip, port: this.#port, backlog: this.#backlog }),
      () => {
        // From now on the server always has an error listener: runtime errors never crash the process.
        server.on('error', (error) => this.#emitError(error))
        server.on('connection', (socket) => this.#accept(socket))
        this.#endPoint = endPointOf(server.address() as net.AddressInfo)
        return this.#endPoint
      },
      (error) => {
        if (this.#server === server) this.#server = undefined
        server.close()
        return new ListenError(`Cannot listen on ${this.#ip} port ${this.#port}: ${error.message}`, { cause: error })
      },
    )
    this.#starting = starting
    // A failed start (even one that threw synchronously inside bindOnce) leaves the listener startable again.
    starting.catch(() => {
      if (this.#starting === starting) this.#starting = undefined
    })
    return starting
  }

  /**
   * Stop accepting: the listening socket is closed (the port is free again when this resolves); sockets already
   * accepted are not touched. Idempotent; after it the listener can be started again.
   */
  async stop(): Promise<void> {
    const starting = this.#starting
    if (starting === undefined || !(await startSucceeded(starting)) || this.#starting !== starting) return
    const server = this.#server
    this.#starting = undefined
    this.#server = undefined
    this.#endPoint = undefined
    // Closing the handle frees the port at once; the server's own 'close' waits for accepted sockets, so it is
    // not awaited here (those sockets belong to their owners).
    server?.close()
  }

  /** `await using listener = ...` support: calls {@link TcpSocketListener.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop()
  }

  #accept(socket: net.Socket): void {
    try {
      this.emit('connection', socket)
      // No error can be emitted while the listeners run (errors come from later I/O): the no-op listener is only
      // needed when none of them added one (a socket waiting for an asynchronous decision), and costs nothing else.
      if (socket.listenerCount('error') === 0) socket.on('error', ignoreError)
    } catch (error) {
      socket.destroy()
      this.#emitError(error instanceof Error ? error : new Error(String(error)))
    }
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error)
  }
}
