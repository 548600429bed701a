import { EventEmitter } from 'node:events'
import { kListenersChanged } from './internal.js'

/**
 * An `EventEmitter` that knows when its listeners change: after every call of a registration method (`on`,
 * `addListener`, `prependListener`, `once`, `prependOnceListener`, `off`, `removeListener`, `removeAllListeners`) it
 * calls `this[kListenersChanged]()`, so that the server can keep a snapshot of its request listeners and call them
 * directly, without going through `emit` and without reading EventEmitter's private fields. A `once` listener that
 * removes itself is seen too (it goes through `removeListener`).
 */
export class ListenerAwareEmitter<T extends Record<keyof T, unknown[]>> extends EventEmitter<T> {
  /** Called after any listener of any event was added or removed. */
  [kListenersChanged](): void {}
}

type Registration = (this: EventEmitter, ...args: unknown[]) => EventEmitter

for (const name of [
  'addListener',
  'on',
  'prependListener',
  'once',
  'prependOnceListener',
  'removeListener',
  'off',
  'removeAllListeners',
] as const) {
  const register = EventEmitter.prototype[name] as unknown as Registration
  Object.defineProperty(ListenerAwareEmitter.prototype, name, {
    configurable: true,
    writable: true,
    value: function (this: ListenerAwareEmitter<never>, ...args: unknown[]) {
      register.apply(this, args)
      this[kListenersChanged]()
      return this
    },
  })
}
