import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

/** The command that installs `redis-server` on the Debian machines socketlite is tested on. */
export const redisInstallCommand = 'apt-get install -y redis-server'

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /**
   * The port to listen on; a free loopback port when omitted (found by binding port 0 and closing it again, retried
   * when another process takes it first).
   */
  port?: number
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: readonly string[]
  /**
   * How long to wait for "Ready to accept connections" (ms).
   * @default 10000
   */
  startTimeout?: number
}

/** A throwaway `redis-server` on `127.0.0.1`, with no persistence, in a temporary directory of its own. */
export interface RedisServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string
  /** The process id of the running server (changes on {@link RedisServer.restart}). */
  readonly pid: number | undefined
  /** True while the process runs. */
  readonly running: boolean
  /** Kill the process with `signal` (default `SIGKILL`: a crash) and wait for it to exit. Idempotent. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Start it again on the same port (after {@link RedisServer.kill}); resolves once it accepts connections. */
  restart(): Promise<void>
  /** Stop the process (SIGTERM, then SIGKILL after 2 s) and remove its directory. Idempotent. */
  stop(): Promise<void>
}

/**
 * Make sure `redis-server` can be run: when it is missing and this process runs as root (as CI does), install it
 * with `apt-get`; otherwise throw with the exact command to run. Never skips silently. Meant for a vitest
 * `globalSetup` of every package whose tests need Redis.
 * @throws Error `redis-server` is missing and cannot be installed here (the message holds the command to run).
 */
export function ensureRedisServer(): void {
  if (hasRedisServer()) return
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  if (root) {
    try {
      execFileSync('apt-get', ['install', '-y', 'redis-server'], { stdio: 'ignore', timeout: 300_000 })
    } catch {
      try {
        execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 })
        execFileSync('apt-get', ['install', '-y', 'redis-server'], { stdio: 'ignore', timeout: 300_000 })
      } catch (error) {
        throw new Error(`redis-server is missing and "${redisInstallCommand}" failed`, { cause: error })
      }
    }
    if (hasRedisServer()) return
  }
  throw new Error(
    `These tests need a real redis-server (Debian package redis-server, 7.x), which is not installed. Run: sudo ${redisInstallCommand}`,
  )
}

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

/** A free TCP port on 127.0.0.1 (bound with port 0, then closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/**
 * Start a throwaway `redis-server` on a free loopback port: no RDB or AOF persistence, protected mode off (loopback
 * only), its working directory a fresh temporary one. Stop it with {@link RedisServer.stop} (register that with
 * `onTestFinished` or `afterAll`).
 *
 * @example
 * ```ts
 * const redis = await startRedisServer()
 * afterAll(() => redis.stop())
 * const client = new Redis(redis.url)
 * ```
 * @throws Error `redis-server` is not installed (see {@link ensureRedisServer}), or it did not start in time.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const attempts = options.port === undefined ? 5 : 1
  let lastError: unknown
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort())
    const directory = mkdtempSync(join(tmpdir(), 'socketlite-redis-'))
    const server = new ThrowawayRedis(port, directory, options)
    try {
      await server.restart()
      return server
    } catch (error) {
      lastError = error
      await server.stop()
    }
  }
  throw lastError
}

class ThrowawayRedis implements RedisServer {
  readonly host = '127.0.0.1'
  readonly port: number
  readonly url: string
  readonly #directory: string
  readonly #args: readonly string[]
  readonly #startTimeout: number
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()
  #removed = false

  constructor(port: number, directory: string, options: RedisServerOptions) {
    this.port = port
    this.url = `redis://127.0.0.1:${port}`
    this.#directory = directory
    this.#args = options.args ?? []
    this.#startTimeout = options.startTimeout ?? 10_000
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  get running(): boolean {
    return this.#child !== undefined
  }

  restart(): Promise<void> {
    if (this.#child !== undefined) return Promise.resolve()
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      '--daemonize',
      'no',
      '--dir',
      this.#directory,
      ...this.#args,
    ]
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child = child
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.#child === child) this.#child = undefined
        resolve()
      })
      child.once('error', () => {
        if (this.#child === child) this.#child = undefined
        resolve()
      })
    })
    return new Promise<void>((resolve, reject) => {
      let output = ''
      const timer = setTimeout(
        () => fail(new Error(`redis-server did not start within ${this.#startTimeout} ms:\n${output}`)),
        this.#startTimeout,
      )
      const onData = (chunk: Buffer): void => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) {
          cleanup()
          // Keep draining the pipes so the server never blocks on a full one.
          child.stdout?.resume()
          child.stderr?.resume()
          resolve()
        }
      }
      const onError = (error: Error): void => {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
        fail(
          missing
            ? new Error(`redis-server is not installed. Run: sudo ${redisInstallCommand}`, { cause: error })
            : error,
        )
      }
      const onExit = (code: number | null): void =>
        fail(new Error(`redis-server exited (${code}) before it was ready:\n${output}`))
      const fail = (error: Error): void => {
        cleanup()
        child.kill('SIGKILL')
        reject(error)
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        child.stdout?.removeListener('data', onData)
        child.stderr?.removeListener('data', onData)
        child.removeListener('error', onError)
        child.removeListener('exit', onExit)
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', onData)
      child.once('error', onError)
      child.once('exit', onExit)
    })
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child
    if (child === undefined) return
    child.kill(signal)
    await this.#exited
  }

  async stop(): Promise<void> {
    const child = this.#child
    if (child !== undefined) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000)
      await this.#exited
      clearTimeout(timer)
    }
    if (!this.#removed) {
      this.#removed = true
      rmSync(this.#directory, { recursive: true, force: true })
    }
  }
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /**
   * How many masters (no replicas); Redis Cluster needs at least 3.
   * @default 3
   */
  masters?: number
  /**
   * How long to wait for the whole cluster (servers started, slots assigned, every node reporting
   * `cluster_state:ok`), in ms.
   * @default 20000
   */
  startTimeout?: number
}

/** A throwaway Redis Cluster of masters on free loopback ports (see {@link startRedisCluster}). */
export interface RedisCluster {
  /** The masters, in port order of creation; each can be killed and restarted like a {@link RedisServer}. */
  readonly nodes: readonly RedisServer[]
  /** `[{ host, port }]` of every master: what a cluster client takes as its startup nodes. */
  readonly startupNodes: readonly { readonly host: '127.0.0.1'; readonly port: number }[]
  /** Stop every master and remove their directories. Idempotent. */
  stop(): Promise<void>
}

/**
 * A free port `p` on 127.0.0.1 whose cluster bus port `p + 10000` is free as well (Redis Cluster listens on both).
 */
async function freeClusterPort(taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort()
    if (port > 55_535 || taken.has(port) || taken.has(port + 10_000)) continue
    if (await canBind(port + 10_000)) return port
  }
  throw new Error('No free port pair (p, p + 10000) found for a Redis Cluster node')
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/**
 * Start a throwaway Redis Cluster on loopback: `masters` `redis-server --cluster-enabled yes` processes on free ports
 * (no persistence, each in its own temporary directory), joined with
 * `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`; resolves once every node reports
 * `cluster_state:ok`. Takes a second or two.
 *
 * @example
 * ```ts
 * const cluster = await startRedisCluster()
 * afterAll(() => cluster.stop())
 * const client = new Cluster([...cluster.startupNodes])
 * ```
 * @throws Error `redis-server`/`redis-cli` missing, or the cluster not ready within `startTimeout`.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3
  const deadline = Date.now() + (options.startTimeout ?? 20_000)
  const nodes: RedisServer[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()))
  }
  try {
    const taken = new Set<number>()
    for (let index = 0; index < masters; index++) {
      const port = await freeClusterPort(taken)
      taken.add(port)
      taken.add(port + 10_000)
      nodes.push(
        await startRedisServer({
          port,
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '3000'],
        }),
      )
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`)
    await execFileAsync(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: Math.max(1_000, deadline - Date.now()),
      },
    )
    for (const node of nodes) {
      for (;;) {
        const { stdout } = await execFileAsync('redis-cli', ['-p', String(node.port), 'cluster', 'info'], {
          timeout: 5_000,
        })
        if (stdout.includes('cluster_state:ok')) break
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node.port} not ready:\n${stdout}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  } catch (error) {
    await stop()
    throw error
  }
  return {
    nodes,
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1' as const, port: node.port })),
    stop,
  }
}
