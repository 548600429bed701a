// Benchmark: does socketlite-load keep up with native load generators on the same server, in the same run?
//
// 1. Echo: against a bare node:net LINE echo (bench/bare-echo.mjs, its own process, started afresh for every tool
//    run), 100 connections, 36-byte lines:
//      - tcpkali (one thread, all connections at once), when found: $BENCH_TCPKALI or `tcpkali` on PATH;
//      - socketlite-load -c 100 -p 128, the default run (every echo verified, every latency recorded);
//      - socketlite-load --no-verify (latencies still recorded);
//      - a bare Node blaster (bench/bare-client.mjs): the same closed-model load with nothing else.
//    msgs/s of tcpkali = bytes received / 36 / seconds, as the issue measured it.
// 2. Request/reply: against a throwaway redis-server (inline PING → +PONG), redis-benchmark -t ping_inline -c 100
//    -P 16 and -P 128 next to socketlite-load --protocol line -m PING --expect +PONG -c 100 -p 16 / -p 128.
//
// Rounds are interleaved (A B C A B C …); the table gives each tool's median, its spread ((max − min) / median) and
// the ratios of the medians. Only ratios mean something on a shared machine.
//
//   pnpm --filter @socketlite/load-tester bench
//   BENCH_SECONDS=5 BENCH_ROUNDS=5 BENCH_TCPKALI=/path/to/tcpkali pnpm --filter @socketlite/load-tester bench
//   BENCH_PARTS=echo (or redis) runs one part only.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { startRedisServer } from '@socketlite/testing'

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100)
const pipeline = Number(process.env.BENCH_PIPELINE ?? 128)
const parts = (process.env.BENCH_PARTS ?? 'echo,redis').split(',')
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url))
const cli = here('../dist/cli.js')
/** The line tcpkali sends (36 bytes), as in the issue. */
const kaliLine = 'ECHO 00000000xxxxxxxxxxxxxxxxxxxxx\\r\\n'
const lineBytes = 36

function findTool(name: string, override: string | undefined): string | undefined {
  const candidate = override ?? name
  try {
    execFileSync(candidate, ['--version'], { stdio: 'ignore', timeout: 10_000 })
    return candidate
  } catch (error) {
    // tcpkali --version exits 0; some tools exit non-zero but still run: a spawn error is what tells "missing"
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : candidate
  }
}

async function run(command: string, args: readonly string[], timeoutMs = (seconds + 60) * 1000): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  await once(child, 'close')
  clearTimeout(timer)
  return text
}

/** A fresh line echo in its own process; killed (SIGKILL: tcpkali leaves it gigabytes of queued writes) by `stop`. */
async function startEcho(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [here('./bare-echo.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer]
  return {
    port: Number(String(line).trim()),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await once(child, 'exit')
      }
    },
  }
}

interface LoadJson {
  results: { messagesPerSecond: number; messages: number; latencyMs: { p99: number } }
  errors: { total: number }
  cpu: { userMs: number; systemMs: number; processPercent: number }
}

async function socketliteLoad(target: string, args: readonly string[]): Promise<Measure> {
  const text = await run(process.execPath, [cli, target, ...args, '--json', '--quiet'])
  let report: LoadJson
  try {
    report = JSON.parse(text) as LoadJson
  } catch {
    throw new Error(`socketlite-load did not print a report:\n${text}`)
  }
  const cpuMs = report.cpu.userMs + report.cpu.systemMs
  return {
    rate: report.results.messagesPerSecond,
    note:
      `cpu ${report.cpu.processPercent.toFixed(0)}%, ${((cpuMs * 1e6) / Math.max(1, report.results.messages)).toFixed(0)} ns/msg, ` +
      `p99 ${report.results.latencyMs.p99} ms, errors ${report.errors.total}`,
  }
}

interface Measure {
  rate: number
  note: string
}

class Table {
  readonly #rows = new Map<string, Measure[]>()

  add(name: string, measure: Measure, round: number): void {
    const list = this.#rows.get(name) ?? []
    list.push(measure)
    this.#rows.set(name, list)
    console.log(`  round ${round + 1}  ${name.padEnd(46)} ${format(measure.rate).padStart(11)} msgs/s  ${measure.note}`)
  }

  median(name: string): number | undefined {
    const values = (this.#rows.get(name) ?? []).map((measure) => measure.rate).sort((a, b) => a - b)
    return values.length === 0 ? undefined : (values[Math.floor((values.length - 1) / 2)] as number)
  }

  /** Median of the per-round ratios `name / baseline` (rounds paired), with their range. */
  pairedRatio(name: string, baseline: string): string {
    const own = this.#rows.get(name) ?? []
    const base = this.#rows.get(baseline) ?? []
    const ratios = own
      .map((measure, round) => measure.rate / (base[round]?.rate ?? Number.NaN))
      .filter((ratio) => Number.isFinite(ratio))
      .sort((a, b) => a - b)
    if (ratios.length === 0) return '-'
    const median = ratios[Math.floor((ratios.length - 1) / 2)] as number
    return `${median.toFixed(2)} (${(ratios[0] as number).toFixed(2)}–${(ratios.at(-1) as number).toFixed(2)})`
  }

  print(baselines: readonly string[]): void {
    console.log('')
    console.log(
      `  ${'tool'.padEnd(46)} ${'median'.padStart(11)}          spread  ` +
        baselines.map((baseline) => `vs ${baseline}: ratio of medians, median per-round ratio (range)`).join('  |  '),
    )
    for (const [name, list] of this.#rows) {
      const values = list.map((measure) => measure.rate)
      const median = this.median(name) ?? 0
      const spread = median > 0 ? (Math.max(...values) - Math.min(...values)) / median : 0
      const ratios = baselines.map((baseline) => {
        const base = this.median(baseline)
        const ofMedians = base === undefined || base === 0 ? '-' : (median / base).toFixed(2)
        return `${ofMedians}, ${this.pairedRatio(name, baseline)}`
      })
      console.log(
        `  ${name.padEnd(46)} ${format(median).padStart(11)} msgs/s  ${(spread * 100).toFixed(0).padStart(4)}%  ${ratios.join('  |  ')}`,
      )
    }
  }
}

function format(value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

async function echoPart(): Promise<void> {
  const tcpkali = findTool('tcpkali', process.env.BENCH_TCPKALI)
  console.log(
    `\n== echo: bare node:net line echo (own process, fresh per run), ${connections} connections, 36-byte lines, ` +
      `${seconds} s per run, ${rounds} rounds`,
  )
  if (tcpkali === undefined) {
    console.log(
      '   tcpkali not found (set BENCH_TCPKALI=/path/to/tcpkali or put it on PATH): comparing with the blaster only',
    )
  }
  const table = new Table()
  const names = {
    kali: 'tcpkali -w 1 (native)',
    load: `socketlite-load -p ${pipeline} (verify + latency)`,
    noVerify: `socketlite-load -p ${pipeline} --no-verify`,
    bare: `bare Node blaster -p ${pipeline}`,
  }
  const loadArgs = ['-c', String(connections), '-p', String(pipeline), '-s', '34', '-d', `${seconds}s`]
  loadArgs.push('--warmup', '300ms', '--connect-rate', '0')
  for (let round = 0; round < rounds; round++) {
    if (tcpkali !== undefined) {
      const echo = await startEcho()
      const text = await run(tcpkali, [
        ...['-w', '1', '-c', String(connections), '--connect-rate', '10000', '-T', `${seconds}s`],
        ...['-em', kaliLine, `127.0.0.1:${echo.port}`],
      ])
      await echo.stop()
      const received = Number(/Total data received:.*?\((\d+) bytes\)/.exec(text)?.[1] ?? Number.NaN)
      if (!Number.isFinite(received)) throw new Error(`tcpkali printed no total:\n${text}`)
      table.add(names.kali, { rate: received / lineBytes / seconds, note: '' }, round)
    }
    for (const [name, extra] of [
      [names.load, []],
      [names.noVerify, ['--no-verify']],
    ] as const) {
      const echo = await startEcho()
      const measure = await socketliteLoad(`tcp://127.0.0.1:${echo.port}`, [...loadArgs, ...extra])
      await echo.stop()
      table.add(name, measure, round)
    }
    const echo = await startEcho()
    const bare = JSON.parse(
      await run(process.execPath, [
        here('./bare-client.mjs'),
        String(echo.port),
        String(connections),
        String(pipeline),
        String(seconds),
      ]),
    ) as { messagesPerSecond: number; cpuPercent: number; nsPerMessage: number }
    await echo.stop()
    table.add(
      names.bare,
      {
        rate: bare.messagesPerSecond,
        note: `cpu ${bare.cpuPercent.toFixed(0)}%, ${bare.nsPerMessage.toFixed(0)} ns/msg`,
      },
      round,
    )
  }
  table.print(tcpkali === undefined ? [names.bare] : [names.kali, names.bare])
}

async function redisPart(): Promise<void> {
  const benchmark = findTool('redis-benchmark', process.env.BENCH_REDIS_BENCHMARK)
  console.log(`\n== request/reply: redis-server, inline PING → +PONG, ${connections} connections, ${rounds} rounds`)
  if (benchmark === undefined) {
    console.log('   redis-benchmark not found (Debian package redis-tools / redis-server): part skipped')
    return
  }
  let redis: Awaited<ReturnType<typeof startRedisServer>>
  try {
    redis = await startRedisServer()
  } catch (error) {
    console.log(`   ${(error as Error).message}: part skipped`)
    return
  }
  try {
    for (const depth of [16, 128]) {
      const table = new Table()
      const names = {
        redis: `redis-benchmark -t ping_inline -P ${depth}`,
        load: `socketlite-load -m PING --expect +PONG -p ${depth}`,
      }
      let requests = 200_000 * seconds
      for (let round = 0; round < rounds; round++) {
        const text = await run(benchmark, [
          ...['-h', '127.0.0.1', '-p', String(redis.port), '-t', 'ping_inline'],
          ...['-c', String(connections), '-P', String(depth), '-n', String(requests), '-q'],
        ])
        const rate = Number(/([\d.]+) requests per second/.exec(text)?.[1] ?? Number.NaN)
        if (!Number.isFinite(rate)) throw new Error(`redis-benchmark printed no rate:\n${text}`)
        // size the next run to last about `seconds`
        requests = Math.max(100_000, Math.round(rate * seconds))
        table.add(names.redis, { rate, note: `${requests.toLocaleString('en-US')} requests next` }, round)
        table.add(
          names.load,
          await socketliteLoad(`tcp://127.0.0.1:${redis.port}`, [
            ...['--protocol', 'line', '-m', 'PING', '--expect', '+PONG'],
            ...['-c', String(connections), '-p', String(depth), '-d', `${seconds}s`, '--connect-rate', '0'],
          ]),
          round,
        )
      }
      table.print([names.redis])
    }
  } finally {
    await redis.stop()
  }
}

if (parts.includes('echo')) await echoPart()
if (parts.includes('redis')) await redisPart()
