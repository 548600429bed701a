import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { onTestFinished } from 'vitest'

/** A running `node dist/main.js`, and the ports of its `listening udp://127.0.0.1:PORT` lines. */
export interface RunningMain {
  readonly child: ChildProcess
  readonly ports: number[]
  /** Send SIGTERM and resolve with the exit code (`null` if it had to be killed after 5 s). */
  stop(): Promise<number | null>
}

/** Start the built `dist/main.js` with `args` and wait (2 s at most) for its first `count` listening lines. */
export async function runMain(args: readonly string[], count = 1): Promise<RunningMain> {
  const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'ignore'] })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const exited = once(child, 'exit') as Promise<[number | null]>
  const ports: number[] = []
  const tooLate = setTimeout(() => child.kill('SIGKILL'), 2_000)
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    const match = /^listening udp:\/\/127\.0\.0\.1:(\d+)(?: |$)/.exec(line)
    if (match !== null) ports.push(Number(match[1]))
    if (ports.length === count) break
  }
  clearTimeout(tooLate)
  if (ports.length < count) throw new Error(`main printed ${ports.length} of ${count} listening lines`)
  return {
    child,
    ports,
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      const [code] = await exited
      clearTimeout(timer)
      return code
    },
  }
}
