import type net from 'node:net'
import { type AddressFamily, type EndPoint, InvalidArgumentError } from '@socketlite/socket-base'
import { type ConnectSocketOptions, connectSocket } from './connect.js'
import { SocketSession, type SocketSessionInit } from './socket-session.js'

/** Options of {@link AsyncSocketSession}. */
export interface AsyncSocketSessionInit extends SocketSessionInit {
  /**
   * `TCP_NODELAY`: send small writes at once instead of waiting (Nagle) for more.
   * @default true
   */
  noDelay?: boolean
  /**
   * TCP keep-alive: seconds of silence before the first probe; `0` turns keep-alive off.
   * @default 600
   */
  keepAliveTime?: number
}

/** Options of {@link AsyncSocketSession.connect}: where to connect (see `connectSocket`) and the session's options. */
export interface AsyncSocketConnectInit extends AsyncSocketSessionInit, ConnectSocketOptions {}

/** The session that owns a socket, read by the socket listeners every session shares. */
const owner: unique symbol = Symbol('AsyncSocketSession')

/** A socket owned by a session. */
type OwnedSocket = net.Socket & { [owner]: AsyncSocketSession }

// The socket listeners, one set for all sessions (not four closures per session); `this` is the socket. Set by a
// static block of AsyncSocketSession, which may call the session's protected methods.
let onData: (this: OwnedSocket, data: Buffer) => void
let onEnd: (this: OwnedSocket) => void
let onError: (this: OwnedSocket, error: Error) => void
let onClose: (this: OwnedSocket) => void

/**
 * An endpoint of the socket. The family follows from the address: Node reports `IPv6` exactly for the addresses of
 * an IPv6 socket, which are the ones written with a colon (an IPv4-mapped address too), so it is not kept apart.
 */
function endPoint(address: string, port: number): EndPoint {
  const family: AddressFamily = address.includes(':') ? 'IPv6' : 'IPv4'
  return Object.freeze({ address, port, family })
}

/**
 * A TCP session over a connected `net.Socket` (SuperSocket's `AsyncSocketSession`), also the base of the TLS
 * session (a `tls.TLSSocket` is a `net.Socket`).
 *
 * - The socket is set to allow half-open connections (the session ends its side itself, after draining), to
 *   `noDelay` and to keep-alive as configured.
 * - Each `data` chunk goes to `onData` as is (Node never reuses it). The peer's FIN closes the session with
 *   `ClientClosing` (what was queued before still goes out), or, with `allowHalfOpen`, leaves it open for sending
 *   until its owner closes it; an error closes it with `SocketError`.
 * - A batch of queued buffers is written corked, so Node hands it to the kernel as one `writev`.
 *
 * Make one from an accepted socket (`new AsyncSocketSession(socket, init)`), or connect out with
 * {@link AsyncSocketSession.connect}.
 *
 * @example
 * ```ts
 * const session = new AsyncSocketSession(socket, { sendHighWaterMark: 65_536, sendLowWaterMark: 32_768, closeTimeOut: 5_000 })
 * session.start({
 *   onData: (data) => session.trySend(data), // echo: the received buffer is handed over
 *   onWritabilityChanged: (writable) => (writable ? session.resumeReceive() : session.pauseReceive()),
 *   onClosed: (reason) => console.log('closed', closeReasonName(reason)),
 * })
 * ```
 */
export class AsyncSocketSession extends SocketSession {
  readonly #socket: net.Socket
  // The endpoints as they were when the session was made, kept as plain values (an idle session holds no endpoint
  // objects; each is made when asked for).
  readonly #remoteAddress: string
  readonly #localAddress: string
  /** The remote port in the upper 16 bits, the local port in the lower 16 (one small integer, one field). */
  readonly #ports: number

  static {
    onData = function (data) {
      this[owner].deliver(data)
    }
    onEnd = function () {
      this[owner].peerEnded()
    }
    onError = function (error) {
      this[owner].transportFailed(error)
    }
    onClose = function () {
      this.removeListener('data', onData)
      this.removeListener('end', onEnd)
      this.removeListener('close', onClose)
      this[owner].transportClosed()
    }
  }

  /**
   * Wrap a connected `socket`; the session owns it from now on (do not read, write, end or destroy it yourself).
   * A socket that is already closed gives a session that reports `onClosed(SocketError)` once started.
   * @throws {InvalidArgumentError} invalid options (see {@link SocketSessionInit}), or `keepAliveTime` is not a
   * finite number ≥ 0.
   */
  constructor(socket: net.Socket, init: AsyncSocketSessionInit) {
    super(init)
    const keepAliveTime = init.keepAliveTime ?? 600
    if (typeof keepAliveTime !== 'number' || !Number.isFinite(keepAliveTime) || keepAliveTime < 0) {
      throw new InvalidArgumentError(`keepAliveTime must be a finite number >= 0, got ${String(keepAliveTime)}`)
    }
    this.#socket = socket
    this.#remoteAddress = socket.remoteAddress ?? ''
    this.#localAddress = socket.localAddress ?? ''
    this.#ports = ((socket.remotePort ?? 0) << 16) | ((socket.localPort ?? 0) & 0xffff)
    // The session ends its side itself, after draining its queue: Node must not end it on the peer's FIN.
    socket.allowHalfOpen = true
    ;(socket as OwnedSocket)[owner] = this
    socket.on('error', onError)
    socket.on('end', onEnd)
    socket.on('close', onClose)
    if (socket.closed) {
      this.transportClosed()
      return
    }
    if (socket.destroyed) return // 'close' follows
    socket.setNoDelay(init.noDelay ?? true)
    socket.setKeepAlive(keepAliveTime > 0, Math.round(keepAliveTime * 1_000))
  }

  /**
   * Connect to `host:port` and make the connection a session (not started yet: call `start`). The connect has its
   * own `timeout` and `signal`; see `connectSocket`.
   * @throws {InvalidArgumentError} a bad `host`, `port` or `timeout` (synchronously), or bad session options (the
   *   connection is then closed again).
   * @throws {ConnectError} (`ERR_CONNECT_FAILED`) the connection was refused, failed, timed out or was aborted;
   *   `cause` is the system error or the abort reason.
   */
  static connect(init: AsyncSocketConnectInit): Promise<AsyncSocketSession> {
    const { host, port, timeout, signal, localAddress, family, ...sessionInit } = init
    const connecting = connectSocket({
      host,
      port,
      ...(timeout === undefined ? {} : { timeout }),
      ...(signal === undefined ? {} : { signal }),
      ...(localAddress === undefined ? {} : { localAddress }),
      ...(family === undefined ? {} : { family }),
    })
    return connecting.then((socket) => {
      try {
        return new AsyncSocketSession(socket, sessionInit)
      } catch (error) {
        socket.destroy()
        throw error
      }
    })
  }

  /** The socket (read-only use: addresses, counters; the session owns its I/O). */
  get socket(): net.Socket {
    return this.#socket
  }

  /** The peer's endpoint, as it was when the session was made (a new frozen object each time). */
  get remoteEndPoint(): EndPoint {
    return endPoint(this.#remoteAddress, this.#ports >>> 16)
  }

  /** The local endpoint, as it was when the session was made (a new frozen object each time). */
  get localEndPoint(): EndPoint {
    return endPoint(this.#localAddress, this.#ports & 0xffff)
  }

  /** True when the socket is a TLS socket. */
  override get secure(): boolean {
    return (this.#socket as { encrypted?: unknown }).encrypted === true
  }

  protected startReceiving(): void {
    this.#socket.on('data', onData)
  }

  protected pauseReceiving(): void {
    this.#socket.pause()
  }

  protected resumeReceiving(): void {
    this.#socket.resume()
  }

  protected writeBatch(batch: readonly Uint8Array[], done: (error?: Error | null) => void): void {
    const socket = this.#socket
    const last = batch.length - 1
    if (last === 0) {
      socket.write(batch[0] as Uint8Array, done)
      return
    }
    // Corked writes leave as one writev. Cork and uncork in the same call: a socket destroyed while corked loses
    // its write callbacks, so it must never stay corked (and the close path never waits for `done` anyway).
    socket.cork()
    try {
      for (let index = 0; index < last; index += 1) socket.write(batch[index] as Uint8Array)
      socket.write(batch[last] as Uint8Array, done)
    } finally {
      socket.uncork()
    }
  }

  protected endTransport(): void {
    this.#socket.end()
  }

  protected destroyTransport(): void {
    this.#socket.destroy()
  }
}
