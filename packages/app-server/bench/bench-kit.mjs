// What the benchmarks share: bench/echo.mjs and bench/tls-udp.mjs (the drivers), their server processes
// (echo-server.mjs, tls-udp-server.mjs) and their load generators (load-generator.mjs, tls-udp-load.mjs).
// Every process talks to the driver over IPC: it sends one hello message, then answers `{ cmd, ... }` messages;
// `{ cmd: 'stop' }` exits.
import { execFileSync, fork } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { getHeapSpaceStatistics } from 'node:v8'

const here = (name) => fileURLToPath(new URL(name, import.meta.url))

// ---------------------------------------------------------------------------------------------------------- driver

/** Seconds of load before each measured run, not counted in messages (servers' CPU includes it). */
export const warmupSeconds = 0.3

/**
 * The settings of a run: each key of `defaults` (camelCase) read from its BENCH_* variable (`udpWindow` from
 * BENCH_UDP_WINDOW), else its default. `rounds` is at least 1.
 */
export function benchSettings(defaults) {
  const settings = {}
  for (const [key, fallback] of Object.entries(defaults)) {
    settings[key] = Number(process.env[`BENCH_${key.replace(/[A-Z]/g, '_$&').toUpperCase()}`] ?? fallback)
  }
  if ('rounds' in settings) settings.rounds = Math.max(1, settings.rounds)
  return settings
}

/** Build the package if needed (see buildIfStale), then start the load generator `script` and wait until ready. */
export async function startLoadGenerator(script) {
  buildIfStale()
  const load = child(script)
  await load.next()
  return load
}

/** The servers run the built package: build it first when dist/ is missing or older than src/. */
function buildIfStale() {
  let built = 0
  try {
    built = statSync(here('../dist/index.js')).mtimeMs
  } catch {}
  const sources = readdirSync(here('../src')).map((name) => statSync(here(`../src/${name}`)).mtimeMs)
  if (sources.some((modified) => modified > built)) {
    console.log('building @socketlite/app-server (dist/ is older than src/) ...')
    execFileSync('pnpm', ['exec', 'tsup'], { cwd: here('..'), stdio: 'ignore' })
  }
}

/** A bench process (`script` in bench/); `next()` is its next message, `ask(message)` the answer to `message`. */
export function child(script, args = [], execArgv = []) {
  const process = fork(here(script), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const replies = []
  const waiters = []
  process.on('message', (message) => {
    const waiter = waiters.shift()
    if (waiter) waiter(message)
    else replies.push(message)
  })
  const next = () =>
    replies.length > 0 ? Promise.resolve(replies.shift()) : new Promise((resolve) => waiters.push(resolve))
  return {
    next,
    ask: (message) => {
      process.send(message)
      return next()
    },
    stop: () => {
      process.send({ cmd: 'stop' })
      return new Promise((resolve) => process.once('exit', resolve))
    },
  }
}

/** One server process per kind (`start(kind)` forks it), each with the `port` its hello message gave. */
export async function startServers(kinds, start) {
  const servers = {}
  for (const kind of kinds) {
    servers[kind] = start(kind)
    servers[kind].port = (await servers[kind].next()).port
  }
  return servers
}

/**
 * `rounds` rounds over every server, in alternating order; `drive(kind, server)` runs the load on one and resolves
 * with the load generator's result. Returns the totals per kind and the number of errors and echo mismatches.
 */
export async function runRounds(kinds, rounds, servers, drive) {
  const totals = Object.fromEntries(
    kinds.map((kind) => [kind, { messages: 0, seconds: 0, cpu: 0, maxRss: 0, lost: 0, loadCpu: 0 }]),
  )
  let problems = 0
  for (let round = 0; round < rounds; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
      const result = await drive(kind, servers[kind])
      const mark = await servers[kind].ask({ cmd: 'mark' })
      const total = totals[kind]
      total.messages += result.messages
      total.seconds += result.seconds
      total.cpu += mark.cpu
      total.lost += result.lost
      total.loadCpu += result.cpu
      total.maxRss = Math.max(total.maxRss, mark.maxRss)
      problems += result.errors + result.mismatches
      if (result.errors + result.mismatches > 0) {
        console.error(`${kind}: ${result.errors} socket errors, ${result.mismatches} echo mismatches`)
      }
    }
  }
  return { totals, problems }
}

/** Messages per second of a total. */
export const rate = (total) => total.messages / total.seconds

/** Bytes in MiB, for printing. */
export const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** One result line: `name  N msgs/s  server CPU  max RSS [extra]  (load generator CPU)`. */
export function resultLine(name, total, rounds, extra = '') {
  const serverCpu = (100 * total.cpu) / 1e6 / (total.seconds + warmupSeconds * rounds)
  const loadCpu = (100 * total.loadCpu) / 1e6 / total.seconds
  return (
    `  ${name.padEnd(24)} ${Math.round(rate(total)).toLocaleString('en-US').padStart(11)} msgs/s` +
    `  server CPU ${serverCpu.toFixed(0).padStart(3)} %  max RSS ${mib(total.maxRss)}${extra}` +
    `  (load generator CPU ${loadCpu.toFixed(0)} %)`
  )
}

/** The last line of a run. */
export const verifiedLine = (problems) =>
  `  echoes verified: ${problems === 0 ? 'all byte-identical' : `${problems} problems`}`

// ------------------------------------------------------------------------------------------ every bench process

/** Send `hello`, then answer each `{ cmd }` with `await handlers[cmd](message)`; `stop` exits. */
export function serveCommands(handlers, hello = { ready: true }) {
  process.on('message', async (message) => {
    if (message.cmd === 'stop') process.exit(0)
    else process.send(await handlers[message.cmd](message))
  })
  process.send(hello)
}

// ------------------------------------------------------------------------------------------------ server processes

/**
 * Say `{ port }`, then answer `{ cmd: 'mark', gc? }` with `{ cpu, rss, maxRss, heap, sessions }`: CPU (µs) and peak
 * RSS since the previous mark, RSS and heap now (after a collection when `gc` is asked and the process has
 * `--expose-gc`), and `sessions()`.
 */
export function serveMarks(port, sessions = () => 0) {
  let last = process.cpuUsage()
  let maxRss = process.memoryUsage.rss()
  setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage.rss())
  }, 100).unref()
  serveCommands(
    {
      mark: ({ gc }) => {
        if (gc && typeof globalThis.gc === 'function') globalThis.gc()
        const cpu = process.cpuUsage(last)
        last = process.cpuUsage()
        const memory = process.memoryUsage()
        const mark = {
          cpu: cpu.user + cpu.system,
          rss: memory.rss,
          maxRss,
          heap: memory.heapUsed,
          // V8's young generation (bytes committed): it grows while many objects survive (a burst of connections)
          // and shrinks again once V8 finds the process idle.
          newSpace: getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0,
          sessions: sessions(),
        }
        maxRss = memory.rss
        return mark
      },
    },
    { port },
  )
}

/**
 * The app-server on 127.0.0.1 (port 0, silent, room for 20 000 sessions) answering every request with
 * `onRequest(session, request)`, by default a command-line echo (`KEY BODY\r\n`). `options` are AppServer options;
 * their `config` is merged.
 */
export async function startAppServer(options = {}, onRequest = commandEcho) {
  const { AppServer, silentLogFactory } = await import('../dist/index.js')
  const server = new AppServer({
    ...options,
    config: {
      ip: '127.0.0.1',
      port: 0,
      maxConnectionNumber: 20_000,
      logBasicSessionActivity: false,
      ...options.config,
    },
    logFactory: silentLogFactory,
  })
  server.on('newRequestReceived', onRequest)
  const [listener] = await server.start()
  return { port: listener.port, sessions: () => server.sessionCount }
}

/** The command line back (`KEY BODY`), from the parsed request; waits for room rather than drop a reply. */
function commandEcho(session, request) {
  const reply = request.body === '' ? `${request.key}\r\n` : `${request.key} ${request.body}\r\n`
  if (!session.trySend(reply)) return session.send(reply)
}

const CR = 13
const LF = 10

/**
 * The CRLF-terminated lines of `data`, in order: `onLine(data, start, end)` for each, `end` the index after its LF
 * (one byte search per line: for LF, then the CR before it). Returns the index after the last complete line.
 */
export function scanLines(data, onLine) {
  let start = 0
  for (let end = data.indexOf(LF); end >= 0; end = data.indexOf(LF, end + 1)) {
    if (end === 0 || data[end - 1] !== CR) continue
    onLine(data, start, end + 1)
    start = end + 1
  }
  return start
}

/**
 * The bare line echo of a stream socket, written as well as we can: one byte search per line, one write per read,
 * no copies (the complete lines of a read are one slice of it). Returns how many lines it has looked at.
 */
export function echoLines(socket) {
  let carry
  let seen = 0
  // "Process" the line: a server must at least look at it.
  const look = (data, start) => {
    if (data[start] !== CR) seen++
  }
  socket.on('data', (chunk) => {
    let data = chunk
    if (carry !== undefined) {
      data = Buffer.concat([carry, chunk])
      carry = undefined
    }
    const start = scanLines(data, look)
    if (start < data.length) carry = data.subarray(start)
    if (start > 0) socket.write(start === data.length ? data : data.subarray(0, start))
  })
  socket.on('error', () => {})
  return () => seen
}

/**
 * The bare line echo that builds its replies: each line is copied into one reply buffer per read, written once per
 * read. Unlike {@link echoLines}, which writes the received chunk back as it is (and whose speed swings with how the
 * reads happen to fall), it does per line what a server does: look at it and produce a reply from it.
 */
export function echoLinesCopied(socket) {
  let carry
  socket.on('data', (chunk) => {
    let data = chunk
    if (carry !== undefined) {
      data = Buffer.concat([carry, chunk])
      carry = undefined
    }
    const reply = Buffer.allocUnsafe(data.length)
    let length = 0
    const start = scanLines(data, (line, from, to) => {
      length += line.copy(reply, length, from, to)
    })
    if (start < data.length) carry = data.subarray(start)
    if (length > 0) socket.write(reply.subarray(0, length))
  })
  socket.on('error', () => {})
}

// ---------------------------------------------------------------------------------------------------- load generators

/** Bytes of one request line: "ECHO " + 29 bytes (8 of them the sequence number) + CRLF. */
export const lineLength = 36
const template = Buffer.from(`ECHO ${'0'.repeat(8)}${'x'.repeat(21)}\r\n`, 'latin1')
const digits = '0123456789abcdefghijklmnopqrstuvwxyz'

/** Write the line of number `sequence` at `target[offset]`. */
export function writeLine(target, offset, sequence) {
  template.copy(target, offset)
  writeSequence(target, offset, sequence)
}

/** Write the sequence number of a line whose template is already at `target[offset]` (its non-zero digits). */
function writeSequence(target, offset, sequence) {
  let rest = sequence
  for (let digit = 12; digit >= 5 && rest > 0; digit--) {
    target[offset + digit] = digits.charCodeAt(rest % 36)
    rest = Math.floor(rest / 36)
  }
}

/** `template` repeated, grown on demand: a batch of lines starts as one copy of its first bytes. */
let templates = Buffer.alloc(0)

function makeLines(count, firstSequence) {
  const size = count * lineLength
  if (templates.length < size) {
    templates = Buffer.allocUnsafe(Math.max(size, 2 * templates.length))
    for (let offset = 0; offset < templates.length; offset += lineLength) template.copy(templates, offset)
  }
  const batch = Buffer.allocUnsafe(size)
  templates.copy(batch, 0, 0, size)
  for (let index = 0; index < count; index++) writeSequence(batch, index * lineLength, firstSequence + index)
  return batch
}

/**
 * Drive a stream connection (net or TLS, not yet connected): once `readyEvent` fires it keeps `window` lines in
 * flight and checks that the echo is byte-identical to what it sent. Resolves when the socket closed.
 */
export function streamEcho(socket, readyEvent, window, stats) {
  return new Promise((resolve) => {
    const sent = [] // batches not yet fully echoed
    let sentOffset = 0 // bytes of sent[0] already echoed
    let sequence = 0
    let running = true
    let partial = 0
    const send = (count) => {
      if (count <= 0 || !running) return
      const batch = makeLines(count, sequence)
      sequence += count
      sent.push(batch)
      socket.write(batch)
    }
    socket.on(readyEvent, () => {
      socket.setNoDelay(true)
      send(window)
    })
    socket.on('data', (data) => {
      let offset = 0
      while (offset < data.length) {
        const head = sent[0]
        if (head === undefined) {
          stats.mismatches++
          socket.destroy()
          return
        }
        const length = Math.min(head.length - sentOffset, data.length - offset)
        if (data.compare(head, sentOffset, sentOffset + length, offset, offset + length) !== 0) stats.mismatches++
        offset += length
        sentOffset += length
        if (sentOffset === head.length) {
          sent.shift()
          sentOffset = 0
        }
      }
      const bytes = partial + data.length
      const completed = Math.floor(bytes / lineLength)
      partial = bytes - completed * lineLength
      if (stats.counting) stats.messages += completed
      send(completed)
    })
    socket.on('error', () => {
      stats.errors++
    })
    socket.on('close', () => resolve())
    stats.stoppers.push(() => {
      running = false
      socket.destroy()
    })
  })
}

/**
 * Run `count` clients (`start(stats)` makes one and resolves when it is done), count for `seconds` after `warmup`
 * seconds, stop them, and resolve with `{ messages, seconds, errors, mismatches, lost, cpu }` (cpu in µs).
 */
export async function measure(start, count, { seconds, warmup }) {
  const stats = { messages: 0, errors: 0, mismatches: 0, lost: 0, counting: false, stoppers: [] }
  const closed = []
  for (let index = 0; index < count; index++) closed.push(start(stats))
  await new Promise((resolve) => setTimeout(resolve, warmup * 1000))
  stats.counting = true
  const started = process.hrtime.bigint()
  const cpuStart = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  stats.counting = false
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuStart)
  for (const stop of stats.stoppers) stop()
  await Promise.all(closed)
  return {
    messages: stats.messages,
    seconds: elapsed,
    errors: stats.errors,
    mismatches: stats.mismatches,
    lost: stats.lost,
    cpu: cpu.user + cpu.system,
  }
}
