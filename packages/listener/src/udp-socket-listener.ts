import dgram from 'node:dgram'
import { EventEmitter } from 'node:events'
import net from 'node:net'
import {
  DatagramTooLargeError,
  type EndPoint,
  InvalidArgumentError,
  ListenError,
  resolveListenAddress,
  ServerStateError,
} from '@socketlite/socket-base'
import { bindOnce, startSucceeded } from './bind-once.js'
import { endPointOf } from './endpoint.js'

/** Largest UDP payload over IPv4: 65535 − 8 (UDP header) − 20 (IPv4 header). */
const maxIpv4Payload = 65_507
/** Largest UDP payload over IPv6 without jumbograms: 65535 − 8 (UDP header). */
const maxIpv6Payload = 65_527

/** Options of {@link UdpSocketListener}. */
export interface UdpSocketListenerInit {
  /**
   * Address to bind: an IPv4 literal (an `udp4` socket) or an IPv6 literal (an `udp6` socket), or `'Any'`
   * (`0.0.0.0`) / `'IPv6Any'` (`::`, dual stack).
   */
  ip: string
  /** Port to bind; `0` asks the system for a free one (read it back from `start()`). */
  port: number
  /**
   * `SO_RCVBUF` in bytes: how many datagrams the kernel keeps while the process is busy.
   * @default the system default
   */
  receiveBufferSize?: number
  /**
   * `SO_SNDBUF` in bytes.
   * @default the system default
   */
  sendBufferSize?: number
}

/** Events of {@link UdpSocketListener}. */
export interface UdpSocketListenerEvents {
  /** A datagram arrived. `data` is a fresh buffer the listener never reuses. */
  message: [data: Buffer, remote: EndPoint]
  /** Socket-level trouble while bound (e.g. an ICMP error surfaced by the kernel). The socket stays bound. */
  error: [error: Error]
}

/**
 * One bound datagram socket (SuperSocket's `UdpSocketListener`): every datagram comes out as a `message` event
 * with the sender's endpoint, and {@link UdpSocketListener.send} sends datagrams from the same socket. It knows
 * nothing of sessions (the UDP session layer demultiplexes peers).
 *
 * Errors while bound are emitted as `error`; without an `error` listener they are dropped, never thrown. An
 * exception thrown by a `message` listener is emitted as `error` too.
 *
 * @example
 * ```ts
 * const listener = new UdpSocketListener({ ip: '127.0.0.1', port: 0 })
 * listener.on('message', (data, remote) => listener.send(data, remote)) // echo
 * const { port } = await listener.start()
 * // ...
 * await listener.stop()
 * ```
 */
export class UdpSocketListener extends EventEmitter<UdpSocketListenerEvents> {
  readonly #ip: string
  readonly #port: number
  readonly #type: 'udp4' | 'udp6'
  readonly #receiveBufferSize: number | undefined
  readonly #sendBufferSize: number | undefined
  #socket: dgram.Socket | undefined
  #endPoint: EndPoint | undefined
  #starting: Promise<EndPoint> | undefined

  /**
   * @throws {InvalidArgumentError} `ip` is not an IP literal (or `'Any'`/`'IPv6Any'`), `port` is not an integer
   * from 0 to 65535, or a buffer size is not a positive integer.
   */
  constructor(init: UdpSocketListenerInit) {
    super()
    const ip = typeof init.ip === 'string' ? resolveListenAddress(init.ip) : ''
    const family = net.isIP(ip)
    if (family === 0) throw new InvalidArgumentError(`ip must be an IPv4 or IPv6 address, got ${String(init.ip)}`)
    if (!Number.isInteger(init.port) || init.port < 0 || init.port > 65_535) {
      throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got ${String(init.port)}`)
    }
    for (const name of ['receiveBufferSize', 'sendBufferSize'] as const) {
      const value = init[name]
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`)
      }
    }
    this.#ip = ip
    this.#port = init.port
    this.#type = family === 6 ? 'udp6' : 'udp4'
    this.#receiveBufferSize = init.receiveBufferSize
    this.#sendBufferSize = init.sendBufferSize
  }

  /** The bound endpoint (with the actual port) while bound. */
  get endPoint(): EndPoint | undefined {
    return this.#endPoint
  }

  /** True between a successful `start()` and `stop()`. */
  get listening(): boolean {
    return this.#endPoint !== undefined
  }

  /** The underlying `dgram.Socket` while bound (e.g. to read its buffer sizes); `undefined` otherwise. */
  get dgramSocket(): dgram.Socket | undefined {
    return this.#endPoint === undefined ? undefined : this.#socket
  }

  /** Largest payload one datagram can carry: 65507 bytes over IPv4, 65527 over IPv6. */
  get maxDatagramSize(): number {
    return this.#type === 'udp6' ? maxIpv6Payload : maxIpv4Payload
  }

  /** Bytes handed to `send` and not yet passed to the kernel (the socket's send queue), for backpressure. */
  get pendingSendBytes(): number {
    return this.#endPoint === undefined || this.#socket === undefined ? 0 : this.#socket.getSendQueueSize()
  }

  /**
   * Bind the socket. Resolves with the bound endpoint (the actual port when `0` was asked). While starting or
   * bound it returns the same result again.
   * @throws {ListenError} the endpoint could not be bound; `cause` is the system error. Nothing stays bound.
   */
  start(): Promise<EndPoint> {
    if (this.#starting !== undefined) return this.#starting
    const options: dgram.SocketOptions = { type: this.#type }
    if (this.#receiveBufferSize !== undefined) options.recvBufferSize = this.#receiveBufferSize
    if (this.#sendBufferSize !== undefined) options.sendBufferSize = this.#sendBufferSize
    const socket = dgram.createSocket(options)
    this.#socket = socket
    const starting = bindOnce(
      socket,
      () => socket.bind({ address: this.#ip, port: this.#port }),
      () => {
        socket.on('error', (error) => this.#emitError(error))
        socket.on('message', (data, remote) => {
          try {
            this.emit('message', data, endPointOf(remote))
          } catch (error) {
            // A throwing 'message' listener must not take the socket (or the process) down.
            this.#emitError(error instanceof Error ? error : new Error(String(error)))
          }
        })
        this.#endPoint = endPointOf(socket.address())
        return this.#endPoint
      },
      (error) => {
        if (this.#socket === socket) this.#socket = undefined
        try {
          socket.close()
        } catch {
          // already closed
        }
        return new ListenError(`Cannot bind UDP ${this.#ip} port ${this.#port}: ${error.message}`, { cause: error })
      },
    )
    this.#starting = starting
    // A failed start (even one that threw synchronously inside bindOnce) leaves the listener startable again.
    starting.catch(() => {
      if (this.#starting === starting) this.#starting = undefined
    })
    return starting
  }

  /** Close the socket (the port is free when this resolves). Idempotent; the listener can be started again. */
  async stop(): Promise<void> {
    const starting = this.#starting
    if (starting === undefined || !(await startSucceeded(starting)) || this.#starting !== starting) return
    const socket = this.#socket
    this.#starting = undefined
    this.#socket = undefined
    this.#endPoint = undefined
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()))
  }

  /** `await using listener = ...` support: calls {@link UdpSocketListener.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop()
  }

  /**
   * Send `data` as one datagram to `remote`. `data` must not be modified until `callback` runs.
   * Failures arrive through `callback` (or, without one, as an `error` event), never thrown: a payload over
   * {@link UdpSocketListener.maxDatagramSize} fails with `DatagramTooLargeError`, a listener that is not bound
   * with `ServerStateError`, a system error as is.
   */
  send(data: Uint8Array, remote: EndPoint, callback?: (error: Error | null) => void): void {
    const socket = this.#endPoint === undefined ? undefined : this.#socket
    let failure: Error | undefined
    if (socket === undefined) failure = new ServerStateError('The UDP listener is not bound')
    else if (data.byteLength > this.maxDatagramSize) {
      failure = new DatagramTooLargeError(
        `A datagram of ${data.byteLength} bytes is larger than the ${this.maxDatagramSize} bytes allowed`,
      )
    }
    if (socket === undefined || failure !== undefined) {
      const error = failure as Error
      process.nextTick(() => this.#sendDone(error, callback))
      return
    }
    try {
      socket.send(data, remote.port, remote.address, (error) => this.#sendDone(error, callback))
    } catch (error) {
      // dgram throws synchronously on bad arguments (e.g. port 0).
      process.nextTick(() => this.#sendDone(error as Error, callback))
    }
  }

  #sendDone(error: Error | null, callback: ((error: Error | null) => void) | undefined): void {
    if (callback !== undefined) callback(error)
    else if (error !== null) this.#emitError(error)
  }

  #emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error)
  }
}
