// Benchmark: how many echoed messages per second socketlite-load drives against a bare node:net echo server
// (a separate process), next to a bare-Node baseline client doing the same closed-model load with no
// verification or statistics, in the same run. Prints both, the ratio, and the tester's CPU.
//
//   pnpm --filter @socketlite/load-tester bench            (3 s per run)
//   BENCH_SECONDS=10 BENCH_CONNECTIONS=50 BENCH_PIPELINE=16 BENCH_RUNS=3 pnpm --filter @socketlite/load-tester bench
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const pipeline = Number(process.env.BENCH_PIPELINE ?? 16)
const runs = Number(process.env.BENCH_RUNS ?? 1)
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url))

async function output(args: string[]): Promise<string> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let text = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk
  })
  await once(child, 'close')
  return text
}

const server = spawn(process.execPath, [here('./bare-echo.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] })
const [portLine] = (await once(server.stdout, 'data')) as [Buffer]
const port = Number(String(portLine).trim())

interface Row {
  name: string
  rate: number
  cpu: string
}
const rows: Row[] = []
for (let run = 0; run < runs; run++) {
  const bare = JSON.parse(
    await output([here('./bare-client.mjs'), String(port), String(connections), String(pipeline), String(seconds)]),
  ) as { messagesPerSecond: number; cpuPercent: number }
  rows.push({ name: 'bare node:net client', rate: bare.messagesPerSecond, cpu: `${bare.cpuPercent.toFixed(0)}%` })
  for (const workers of [1, 2]) {
    const report = JSON.parse(
      await output([
        here('../dist/cli.js'),
        `tcp://127.0.0.1:${port}`,
        ...['-c', String(connections), '-p', String(pipeline), '-d', `${seconds}s`, '-s', '32'],
        ...['--workers', String(workers), '--json', '--quiet'],
      ]),
    ) as {
      results: { messagesPerSecond: number; latencyMs: { p99: number } }
      errors: { total: number }
      cpu: { processPercent: number; workers: { cpuPercent: number | null; eventLoopUtilization: number }[] }
    }
    const perWorker = report.cpu.workers
      .map((worker) => `${worker.cpuPercent ?? '?'}% (loop ${(worker.eventLoopUtilization * 100).toFixed(0)}%)`)
      .join(' + ')
    rows.push({
      name: `socketlite-load --workers ${workers}`,
      rate: report.results.messagesPerSecond,
      cpu: `${report.cpu.processPercent.toFixed(0)}% = ${perWorker}; p99 ${report.results.latencyMs.p99} ms; errors ${report.errors.total}`,
    })
  }
}
server.kill('SIGTERM')

console.log(
  `\nclosed model, ${connections} connections x ${pipeline} in flight, 34-byte line frames, ${seconds} s per run`,
)
console.log('against a bare node:net echo server in its own process (same machine, loopback)\n')
for (const row of rows) {
  const baseline = rows.find((candidate) => candidate.name.startsWith('bare'))?.rate ?? row.rate
  console.log(
    `${row.name.padEnd(28)} ${Math.round(row.rate).toLocaleString('en-US').padStart(11)} msgs/s  ` +
      `ratio ${(row.rate / baseline).toFixed(2)}  cpu ${row.cpu}`,
  )
}
