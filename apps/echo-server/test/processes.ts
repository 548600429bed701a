import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

/** The built `socketlite-echo`. */
export const echoCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
/** The built `socketlite-load`. */
export const loadCli = fileURLToPath(new URL('../../load-tester/dist/cli.js', import.meta.url))

/** A spawned process, its output collected. */
export interface Spawned {
  readonly child: ChildProcessWithoutNullStreams
  /** Every stdout line so far. */
  readonly lines: string[]
  /** Everything written to stderr so far. */
  stderr(): string
  /** Resolves once stderr matches `pattern` (rejects if the process exits first or time runs out). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** Resolves once `count` stdout lines have arrived (rejects if the process exits first or time runs out). */
  waitForLines(count: number, timeoutMs?: number): Promise<string[]>
  /** Resolves with the exit code (or the signal name) once the process has exited, at most `timeoutMs`. */
  exit(timeoutMs?: number): Promise<number | string>
}

/** Spawns `node <script> ...args`; the process is killed at the end of the test if still running. */
export function spawnNode(
  script: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; detached?: boolean } = {},
): Spawned {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
    // Its own process group, so that a test can signal the group as a terminal's Ctrl-C does.
    detached: options.detached ?? false,
  })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const lines: string[] = []
  let stderr = ''
  const stderrWaiters = new Set<() => void>()
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (text: string) => {
    stderr += text
    for (const waiter of stderrWaiters) waiter()
  })
  const reader = createInterface({ input: child.stdout })
  const waiters = new Set<() => void>()
  reader.on('line', (line) => {
    lines.push(line)
    for (const waiter of waiters) waiter()
  })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  })
  return {
    child,
    lines,
    stderr: () => stderr,
    waitForStderr(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(stderr)
          if (match === null) return
          finish()
          resolve(match)
        }
        const onExit = (): void => {
          finish()
          reject(new Error(`exited before stderr matched ${pattern}; stderr: ${stderr}`))
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`stderr did not match ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`))
        }, timeoutMs)
        const finish = (): void => {
          clearTimeout(timer)
          stderrWaiters.delete(check)
          child.off('exit', onExit)
        }
        stderrWaiters.add(check)
        child.once('exit', onExit)
        check()
      })
    },
    waitForLines(count, timeoutMs = 10_000) {
      if (lines.length >= count) return Promise.resolve(lines.slice(0, count))
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (lines.length < count) return
          finish()
          resolve(lines.slice(0, count))
        }
        const onExit = (): void => {
          finish()
          reject(new Error(`exited before ${count} stdout lines; stdout: ${lines.join(' | ')}; stderr: ${stderr}`))
        }
        const timer = setTimeout(() => {
          finish()
          reject(
            new Error(
              `no ${count} stdout lines within ${timeoutMs} ms; stdout: ${lines.join(' | ')}; stderr: ${stderr}`,
            ),
          )
        }, timeoutMs)
        const finish = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
          child.off('exit', onExit)
        }
        waiters.add(check)
        child.once('exit', onExit)
      })
    },
    async exit(timeoutMs = 10_000) {
      const timeout = new Promise<never>((_, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`still running after ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        )
        void exited.finally(() => clearTimeout(timer))
      })
      return Promise.race([exited, timeout])
    },
  }
}

/** Spawns the built `socketlite-echo` and waits for its `listening` lines (`listeners` of them). */
export async function startEchoProcess(
  args: readonly string[],
  listeners = 1,
  options: { detached?: boolean } = {},
): Promise<{ process: Spawned; urls: string[] }> {
  const spawned = spawnNode(echoCli, ['--log-level', 'warn', ...args], options)
  const lines = await spawned.waitForLines(listeners)
  const urls = lines.map((line) => {
    const match = /^listening ((?:tcp|tls|udp):\/\/\S+)$/.exec(line)
    if (match === null) throw new Error(`unexpected stdout line "${line}"`)
    return match[1] as string
  })
  return { process: spawned, urls }
}

/** Host and port of a `tcp://host:port` URL (IPv6 brackets removed). */
export function endpointOf(url: string): { host: string; port: number } {
  const match = /^\w+:\/\/(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(url)
  if (match === null) throw new Error(`not an endpoint URL: ${url}`)
  return { host: (match[1] ?? match[2]) as string, port: Number(match[3]) }
}

/** Waits for `event` on `emitter`, at most `timeoutMs`. */
export function waitEvent(emitter: NodeJS.EventEmitter, event: string, timeoutMs = 5_000): Promise<unknown[]> {
  return once(emitter, event, { signal: AbortSignal.timeout(timeoutMs) })
}
