import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { expect, onTestFinished, test } from 'vitest'

/** Options of {@link runMain}. */
export interface RunMainOptions {
  /**
   * How many `listening` lines to wait for; their ports are {@link RunningMain.ports}, in the order printed.
   * @default 1
   */
  listening?: number
  /**
   * The scheme of the `listening <scheme>://127.0.0.1:PORT` lines to wait for (other lines are skipped).
   * @default 'tcp'
   */
  scheme?: 'tcp' | 'udp'
}

/** A running `node <entry>` started by {@link runMain}, and the ports of its `listening` lines. */
export interface RunningMain {
  readonly child: ChildProcess
  /** The ports of the first `listening` lines, in the order printed. */
  readonly ports: number[]
  /**
   * Send SIGTERM and resolve with the exit code (`null` if it had to be killed after 5 s, or if SIGTERM killed it:
   * a program that installs its SIGTERM handler only after printing `listening` can be stopped before it has one).
   */
  stop(): Promise<number | null>
}

/**
 * Start a built program (`node <entry> ...args`) and wait (2 s at most) for its first `listening` lines of the form
 * `listening tcp://127.0.0.1:PORT` (anything may follow after a space). The process is killed with SIGKILL when
 * the test finishes if it still runs; stop it gracefully with {@link RunningMain.stop}.
 *
 * @example
 * ```ts
 * const main = await runMain(new URL('../dist/main.js', import.meta.url), ['--port', '0'])
 * const client = await connectTcp(main.ports[0] ?? 0)
 * expect(await main.stop()).toBe(0)
 * ```
 * @throws Error when the program exits, or 2 s pass, before it printed enough `listening` lines.
 */
export async function runMain(
  entry: string | URL,
  args: readonly string[] = [],
  options: RunMainOptions = {},
): Promise<RunningMain> {
  const count = options.listening ?? 1
  const scheme = options.scheme ?? 'tcp'
  const main = typeof entry === 'string' ? entry : fileURLToPath(entry)
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'ignore'] })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const exited = once(child, 'exit') as Promise<[number | null]>
  const listening = new RegExp(`^listening ${scheme}://127\\.0\\.0\\.1:(\\d+)(?: |$)`)
  const ports: number[] = []
  const tooLate = setTimeout(() => child.kill('SIGKILL'), 2_000)
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    const match = listening.exec(line)
    if (match !== null) ports.push(Number(match[1]))
    if (ports.length === count) break
  }
  clearTimeout(tooLate)
  if (ports.length < count) throw new Error(`runMain: ${main} printed ${ports.length} of ${count} listening lines`)
  // Keep reading (and dropping) what it prints later, so a chatty program never blocks on a full pipe.
  child.stdout?.resume()
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

/** What {@link runToExit} saw: the exit code and everything the program wrote. */
export interface ProgramExit {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Run a built program (`node <entry> ...args`) to its exit and collect what it writes (for `--help` and usage
 * errors). Killed with SIGKILL when the test finishes if it still runs.
 * @throws Error (AbortError) when it has not exited within `timeoutMs`.
 */
export async function runToExit(
  entry: string | URL,
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<ProgramExit> {
  const main = typeof entry === 'string' ? entry : fileURLToPath(entry)
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text
  })
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text
  })
  const [code] = (await once(child, 'close', { signal: AbortSignal.timeout(timeoutMs) })) as [number | null]
  return { code, stdout, stderr }
}

/** Options of {@link testCommandLineConventions}. */
export interface CommandLineConventions {
  /** The built program, e.g. `new URL('../dist/main.js', import.meta.url)`. */
  readonly main: URL
  /** The program's name, the prefix of its error lines (`<name>: error: …`). */
  readonly name: string
  /** Text the `--help` output must contain (option names). */
  readonly helpMentions: readonly string[]
  /** Command lines that are usage errors. */
  readonly usageErrors: readonly (readonly string[])[]
}

/**
 * Register the tests of the examples' command-line conventions (those of socketlite-echo and socketlite-load):
 * `--help` and `-h` print the usage (`Usage: node dist/main.js …`) on stdout and exit 0 starting nothing; each usage
 * error exits 2 with one `<name>: error: …` line and a pointer to `--help` on stderr, no stack trace, nothing on
 * stdout.
 */
export function testCommandLineConventions(conventions: CommandLineConventions): void {
  const { main, name, helpMentions, usageErrors } = conventions
  test('--help (and -h) prints the usage on stdout and exits 0, starting nothing', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await runToExit(main, [flag])
      expect(code).toBe(0)
      expect(stdout).toMatch(/^Usage: node dist\/main\.js /)
      for (const mention of helpMentions) expect(stdout).toContain(mention)
      expect(stdout).not.toMatch(/^listening /m)
      expect(stderr).toBe('')
    }
  })
  const errorLine = new RegExp(`^${name}: error: \\S[^\\n]*\\n\\(see node dist\\/main\\.js --help\\)\\n$`)
  test.each(usageErrors.map((args) => [args]))(
    `%j is a usage error: exit 2, one "${name}: error: …" message, no stack trace`,
    async (args) => {
      const { code, stdout, stderr } = await runToExit(main, args)
      expect(code).toBe(2)
      expect(stdout).toBe('')
      expect(stderr).toMatch(errorLine)
      expect(stderr).not.toMatch(/\n\s+at /)
    },
  )
}
