import { EventEmitter } from 'node:events'
import {
  AppServer,
  type AppSession,
  type LogFactory,
  SessionClosedError,
  type StringRequestInfo,
} from '@socketlite/app-server'

/** Options of {@link BackendLink}. */
export interface BackendLinkInit {
  /** The backend's address: an IP literal (loopback in this example). */
  host: string
  /** The backend's port. */
  port: number
  /** Wait this long (ms) before connecting again after a failure or a drop. */
  retryDelay: number
  /** Where the proxy logs. */
  logFactory?: LogFactory | undefined
}

/** Events of a {@link BackendLink}. */
export interface BackendLinkEvents {
  /** The link is connected (again). */
  up: []
  /** The link dropped; it reconnects after `retryDelay`. */
  down: []
  /** A request from the backend. */
  message: [request: StringRequestInfo]
}

/**
 * The original's `GameServerProxy`: a second AppServer whose only session is the outbound connection to the backend,
 * made with `activeConnect` and made again whenever it fails or drops. An AppServer must listen somewhere, so the
 * proxy binds an ephemeral loopback port, and a connection filter admits only the backend's endpoint (outbound
 * connections pass the same filters as inbound ones).
 */
export class BackendLink extends EventEmitter<BackendLinkEvents> {
  /** The proxy server that owns the link session. */
  readonly proxy: AppServer
  readonly #target: { host: string; port: number }
  readonly #retryDelay: number
  #session: AppSession | undefined
  #timer: NodeJS.Timeout | undefined
  #running = false

  constructor(init: BackendLinkInit) {
    super()
    this.#target = { host: init.host, port: init.port }
    this.#retryDelay = init.retryDelay
    this.proxy = new AppServer({
      config: { name: 'game-server-proxy', port: 0, clearIdleSession: false },
      connectionFilters: [
        { name: 'backend-only', allowConnect: ({ address, port }) => address === init.host && port === init.port },
      ],
      ...(init.logFactory === undefined ? {} : { logFactory: init.logFactory }),
    })
    this.proxy.on('newRequestReceived', (_, request) => void this.emit('message', request))
    this.proxy.on('sessionClosed', (session) => {
      if (session !== this.#session) return
      this.#session = undefined
      this.emit('down')
      this.#retry()
    })
  }

  /** True while the link to the backend is up. */
  get connected(): boolean {
    return this.#session?.connected === true
  }

  /** Start the proxy and make the first connection attempt (a failure schedules a retry; it does not reject). */
  async start(): Promise<void> {
    await this.proxy.start()
    this.#running = true
    await this.#connect()
  }

  /** Stop retrying and close the link. */
  async stop(): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    await this.proxy.stop()
  }

  /**
   * Send to the backend, waiting for room (the caller's session then stops reading: backpressure end to end).
   * @throws {SessionClosedError} the link is down.
   * @throws {SendTimeoutError} the backend did not take the data within `sendTimeOut`.
   */
  send(data: Uint8Array | string): Promise<void> {
    const session = this.#session
    if (session === undefined) return Promise.reject(new SessionClosedError())
    return session.send(data)
  }

  async #connect(): Promise<void> {
    this.#timer = undefined
    try {
      this.#session = await this.proxy.activeConnect(this.#target)
      this.emit('up')
    } catch (error) {
      this.proxy.logger.warn('Cannot reach the backend; retrying', { err: error, retryDelay: this.#retryDelay })
      this.#retry()
    }
  }

  #retry(): void {
    if (this.#running && this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.#connect(), this.#retryDelay)
    }
  }
}
