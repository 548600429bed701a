import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { RedisAdapterInit } from '../src/index.js'

const fixture = fileURLToPath(new URL('./fixtures/node-process.ts', import.meta.url))
const packageRoot = fileURLToPath(new URL('..', import.meta.url))

interface Reply {
  id?: number
  ok?: boolean
  value?: unknown
  error?: { code?: string; message: string }
  event?: string
  args?: unknown[]
}

/** An error a child's call failed with, carrying its `code`. */
export class ChildCallError extends Error {
  readonly code: string | undefined
  constructor(message: string, code: string | undefined) {
    super(message)
    this.code = code
  }
}

/**
 * A node of the service in its own process (test/fixtures/node-process.ts): a RedisAdapter and a fake local node,
 * driven over IPC. `kill()` is a crash (SIGKILL); `stop()` a graceful leave.
 */
export class NodeProcess {
  readonly name: string
  readonly child: ChildProcess
  nodeId = ''
  /** What the child's `ready` event carried after its node id (the app node: its port). */
  readyArgs: unknown[] = []
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  readonly #events: { event: string; args: unknown[] }[] = []
  readonly #eventWaiters = new Set<() => void>()
  #nextId = 0

  private constructor(name: string, child: ChildProcess) {
    this.name = name
    this.child = child
    child.on('message', (reply: Reply) => {
      if (reply.id !== undefined) {
        const pending = this.#pending.get(reply.id)
        this.#pending.delete(reply.id)
        if (reply.ok) pending?.resolve(reply.value)
        else pending?.reject(new ChildCallError(reply.error?.message ?? 'failed', reply.error?.code))
      } else if (reply.event !== undefined) {
        this.#events.push({ event: reply.event, args: reply.args ?? [] })
        for (const waiter of [...this.#eventWaiters]) waiter()
      }
    })
    child.on('exit', () => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`${name} exited`))
      this.#pending.clear()
    })
  }

  /** Start a node process and wait until its adapter has started (at most `timeoutMs`). */
  static async start(
    url: string,
    name: string,
    init: Partial<RedisAdapterInit> = {},
    timeoutMs = 20_000,
  ): Promise<NodeProcess> {
    return NodeProcess.startFixture(fixture, [url, name, JSON.stringify(init)], name, timeoutMs)
  }

  /**
   * Start `fixturePath` (a script that speaks the same IPC: `ready` with its node id first, then ops) with `args`,
   * and wait for its `ready` (at most `timeoutMs`).
   */
  static async startFixture(fixturePath: string, args: string[], name: string, timeoutMs = 20_000) {
    const child = spawn(process.execPath, ['--import', 'tsx', fixturePath, ...args], {
      cwd: packageRoot,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const node = new NodeProcess(name, child)
    const ready = await node.waitEvent((event) => event === 'ready' || event === 'failed', timeoutMs, 'start')
    if (ready.event === 'failed') throw new Error(`${name} failed to start: ${String(ready.args[0])}`)
    node.nodeId = String(ready.args[0] ?? '')
    node.readyArgs = ready.args.slice(1)
    return node
  }

  /** Run `op` in the child (see the fixture for the list). */
  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = ++this.#nextId
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      if (!this.child.connected) {
        this.#pending.delete(id)
        reject(new Error(`${this.name} is not running`))
        return
      }
      this.child.send({ id, op, args })
    })
  }

  /** The first event (from now on, or already seen and not yet taken) matching `match`. */
  waitEvent(
    match: (event: string, args: unknown[]) => boolean,
    timeoutMs = 10_000,
    what = 'an event',
  ): Promise<{ event: string; args: unknown[] }> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const index = this.#events.findIndex(({ event, args }) => match(event, args))
        if (index === -1) return
        const [found] = this.#events.splice(index, 1)
        cleanup()
        if (found !== undefined) resolve(found)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.#eventWaiters.delete(check)
      }
      this.#eventWaiters.add(check)
      check()
    })
  }

  /** Crash it: SIGKILL, no goodbye. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = once(this.child, 'exit')
    this.child.kill('SIGKILL')
    await exited
  }

  /** Leave gracefully (closes its sessions, stops the adapter), then exit; SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = once(this.child, 'exit')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000)
    this.call('stop').catch(() => {})
    await exited
    clearTimeout(timer)
  }
}
