// Throughput of socketlite-echo against a bare node:net echo server (`socket.on('data', (d) => socket.write(d))`),
// both in their own process, each driven by the built socketlite-load with the same closed-model load.
// Prints msgs/s and p99 of both and the ratio. Env: BENCH_SECONDS (5), BENCH_CONNECTIONS (50), BENCH_PIPELINE (16),
// BENCH_SIZE (32), BENCH_PROTOCOL (line), BENCH_RUNS (1, alternating servers; the best run of each counts).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const pipeline = Number(process.env.BENCH_PIPELINE ?? 16)
const size = Number(process.env.BENCH_SIZE ?? 32)
const protocol = process.env.BENCH_PROTOCOL ?? 'line'
const runs = Number(process.env.BENCH_RUNS ?? 1)

const echoCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const loadCli = fileURLToPath(new URL('../../load-tester/dist/cli.js', import.meta.url))

const bareEcho = `
const net = require('node:net')
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', (data) => socket.write(data))
  socket.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => console.log('listening tcp://127.0.0.1:' + server.address().port))
process.on('SIGTERM', () => process.exit(0))
`

interface Result {
  readonly rate: number
  readonly p99: number
  readonly errors: number
}

async function startServer(args: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const [line] = (await once(lines, 'line', { signal: AbortSignal.timeout(10_000) })) as [string]
  const url = /^listening (\S+)/.exec(line)?.[1]
  if (url === undefined) throw new Error(`unexpected first line: ${line}`)
  return { child, url }
}

async function load(url: string): Promise<Result> {
  const args = [loadCli, url, '--protocol', protocol, '-c', String(connections), '-p', String(pipeline)]
  args.push('-d', `${seconds}s`, '--json', ...(protocol === 'fixed-size' ? [] : ['-s', String(size)]))
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  await once(child, 'exit')
  const report = JSON.parse(output) as {
    results: { messagesPerSecond: number; latencyMs: { p99: number } }
    errors: { total: number }
  }
  return { rate: report.results.messagesPerSecond, p99: report.results.latencyMs.p99, errors: report.errors.total }
}

async function measure(args: readonly string[]): Promise<Result> {
  const { child, url } = await startServer(args)
  try {
    return await load(url)
  } finally {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
}

function best(results: readonly Result[]): Result {
  return results.reduce((a, b) => (b.rate > a.rate ? b : a))
}

console.log(
  `socketlite-echo vs bare node:net echo: --protocol ${protocol}, ${connections} connections, pipeline ${pipeline}, ` +
    `${size}-byte payloads, ${seconds} s, ${runs} run(s) each`,
)
const echoResults: Result[] = []
const bareResults: Result[] = []
for (let run = 0; run < runs; run++) {
  echoResults.push(await measure([echoCli, '--port', '0', '--protocol', protocol, '--log-level', 'warn']))
  bareResults.push(await measure(['-e', bareEcho]))
}
const echo = best(echoResults)
const bare = best(bareResults)
const format = (name: string, result: Result): string =>
  `  ${name.padEnd(18)} ${Math.round(result.rate).toLocaleString('en-US').padStart(10)} msgs/s   p99 ${result.p99.toFixed(3)} ms   errors ${result.errors}`
console.log(format('socketlite-echo', echo))
console.log(format('bare node:net echo', bare))
console.log(`  ratio              ${(echo.rate / bare.rate).toFixed(2)} (socketlite-echo / bare)`)
