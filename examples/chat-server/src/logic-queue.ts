/**
 * One queue, one consumer: messages are handled one at a time in the order they were posted, even when the handler
 * is asynchronous (a database call, say). It plays the part of the original's logic thread fed by a `BufferBlock`:
 * every change of the chat state goes through it, so no two changes interleave.
 */
export class LogicQueue<TMessage> {
  readonly #handle: (message: TMessage) => void | Promise<void>
  readonly #onError: (error: unknown, message: TMessage) => void
  readonly #messages: { message: TMessage; done: () => void }[] = []
  #running = false

  /** `handle` processes one message; `onError` sees what it throws (the queue goes on). */
  constructor(
    handle: (message: TMessage) => void | Promise<void>,
    onError: (error: unknown, message: TMessage) => void,
  ) {
    this.#handle = handle
    this.#onError = onError
  }

  /** Messages waiting (not counting the one being handled). */
  get length(): number {
    return this.#messages.length
  }

  /** Queue `message`; resolves once it has been handled (never rejects). */
  post(message: TMessage): Promise<void> {
    return new Promise((done) => {
      this.#messages.push({ message, done })
      if (!this.#running) void this.#run()
    })
  }

  async #run(): Promise<void> {
    this.#running = true
    for (let next = this.#messages.shift(); next !== undefined; next = this.#messages.shift()) {
      try {
        await this.#handle(next.message)
      } catch (error) {
        this.#onError(error, next.message)
      }
      next.done()
    }
    this.#running = false
  }
}
