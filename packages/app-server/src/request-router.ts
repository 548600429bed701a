import { InvalidArgumentError, type Logger } from '@socketlite/socket-base'
import { isThenable } from './internal.js'

/** A listener or command handler as the router calls it. */
type Handler = (...args: unknown[]) => unknown

/** A command's handler: `(session, request)`, may return a promise. */
export type CommandHandler<TSession, TRequest> = (session: TSession, request: TRequest) => unknown

/** What the router reads its listeners from: the server (an `EventEmitter`). */
interface ListenerSource {
  rawListeners(event: 'newSessionConnected' | 'newRequestReceived'): unknown[]
}

/**
 * Run `handlers` with `args` as `EventEmitter.emit` would, but collect what they return: `undefined`, or a promise
 * that settles once every asynchronous one has. A throw stops the remaining handlers and is rethrown (after the
 * asynchronous ones already started have settled, so that no handler outlives the error report).
 */
function callAll(target: unknown, handlers: readonly Handler[], args: unknown[]): unknown {
  let pending: PromiseLike<unknown>[] | undefined
  for (const handler of handlers) {
    let result: unknown
    try {
      result = handler.apply(target, args)
    } catch (error) {
      if (pending === undefined) throw error
      return Promise.allSettled(pending).then(() => {
        throw error
      })
    }
    if (isThenable(result)) {
      if (pending === undefined) pending = [result]
      else pending.push(result)
    }
  }
  if (pending === undefined) return undefined
  return pending.length === 1 ? pending[0] : Promise.all(pending)
}

/** The listeners of one event as the router keeps them: none, one function (the usual case), or several. */
type Snapshot = Handler | readonly Handler[] | undefined

function snapshotOf(listeners: unknown[]): Snapshot {
  if (listeners.length === 0) return undefined
  return listeners.length === 1 ? (listeners[0] as Handler) : (listeners as Handler[])
}

/**
 * Who handles a session's connect and each of its requests: the commands (`server.command(key, handler)`, by the
 * request's `key`, a string or a number), else the `newRequestReceived` listeners, else nobody (dropped, with one
 * warning per server). Every handler is called with the server as `this`, as `emit` would, and what it returns
 * (a promise when it is asynchronous) goes back to the dispatcher, which waits for it before the session's next
 * request.
 *
 * The listeners are read through the server's public `rawListeners` once after each change (the server tells
 * {@link RequestRouter.listenersChanged}) and kept as a snapshot, so a request costs one call, not an `emit`.
 */
export class RequestRouter<TRequest, TSession = unknown> {
  readonly #server: ListenerSource
  readonly #logger: Logger
  readonly #ignoreCase: boolean
  #stale = true
  #connected: Snapshot
  #request: Snapshot
  /** String keys (as registered, and lower-cased when `ignoreCase`) and numeric keys; `undefined` until one. */
  #commands: Map<string | number, Handler> | undefined
  #warnedNoHandler = false

  constructor(server: ListenerSource, logger: Logger, ignoreCase: boolean) {
    this.#server = server
    this.#logger = logger
    this.#ignoreCase = ignoreCase
  }

  /** Listeners were added or removed: read them again before the next call. */
  listenersChanged(): void {
    this.#stale = true
  }

  /**
   * Route requests whose `key` is `key` to `handler`.
   * @throws {InvalidArgumentError} `key` is not a string or a finite number, `handler` is not a function, or `key`
   *   (compared case-insensitively with `commandKeysIgnoreCase`) has a command already.
   */
  command(key: string | number, handler: CommandHandler<TSession, TRequest>): void {
    if (typeof key !== 'string' && (typeof key !== 'number' || !Number.isFinite(key))) {
      throw new InvalidArgumentError(`a command key is a string or a finite number, got ${String(key)}`)
    }
    if (typeof handler !== 'function') throw new InvalidArgumentError('a command handler must be a function')
    this.#commands ??= new Map()
    const commands = this.#commands
    const folded = typeof key === 'string' && this.#ignoreCase ? key.toLowerCase() : key
    if (commands.has(folded)) throw new InvalidArgumentError(`the command ${JSON.stringify(key)} exists already`)
    commands.set(folded, handler as Handler)
    // The key as registered too, so that requests spelled that way are found without lower-casing them.
    if (folded !== key) commands.set(key, handler as Handler)
  }

  /**
   * Run the `newSessionConnected` listeners; returns what they returned (a promise when one is asynchronous).
   * @throws whatever a listener throws.
   */
  connected(session: TSession): unknown {
    if (this.#stale) this.#refresh()
    const listeners = this.#connected
    if (listeners === undefined) return undefined
    if (typeof listeners === 'function') return listeners.call(this.#server, session)
    return callAll(this.#server, listeners, [session])
  }

  /**
   * Run the command of the request's key, or else the `newRequestReceived` listeners; returns what they returned.
   * @throws whatever a handler throws.
   */
  request(session: TSession, request: TRequest): unknown {
    const commands = this.#commands
    if (commands !== undefined) {
      const command = this.#commandOf(commands, request)
      if (command !== undefined) return command.call(this.#server, session, request)
    }
    if (this.#stale) this.#refresh()
    const listeners = this.#request
    if (typeof listeners === 'function') return listeners.call(this.#server, session, request)
    if (listeners === undefined) {
      this.#noHandler()
      return undefined
    }
    return callAll(this.#server, listeners, [session, request])
  }

  #commandOf(commands: Map<string | number, Handler>, request: TRequest): Handler | undefined {
    const key = (request as { key?: unknown } | null | undefined)?.key
    if (typeof key === 'string') {
      const command = commands.get(key)
      if (command !== undefined || !this.#ignoreCase) return command
      return commands.get(key.toLowerCase())
    }
    return typeof key === 'number' ? commands.get(key) : undefined
  }

  #refresh(): void {
    this.#stale = false
    this.#connected = snapshotOf(this.#server.rawListeners('newSessionConnected'))
    this.#request = snapshotOf(this.#server.rawListeners('newRequestReceived'))
  }

  #noHandler(): void {
    if (this.#warnedNoHandler) return
    this.#warnedNoHandler = true
    this.#logger.warn(
      'A request arrived but neither a command nor a newRequestReceived listener handles it: requests are dropped',
    )
  }
}
