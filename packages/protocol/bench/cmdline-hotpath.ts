// The echo hot path of a command-line server, in process and without sockets: 36-byte lines ("ECHO " + 29 bytes +
// CRLF, the lines of app-server's echo benchmark) in 64 KiB chunks (so lines straddle chunks now and then), through
// `ReceivePipeline` + a filter, reading what an echo handler reads. The cases marked "1000-byte chunks" cut the same
// stream in small reads, so that one frame in 28 spans two chunks and is gathered into a buffer of its own. Each case runs against a bare baseline written
// by hand for the same framing, in the same run, and prints ns per request for both and the ratio.
//
// Each case runs in its own process (a server uses one framing: no case inherits call sites made polymorphic by
// the others). Times are CPU time per request, the best of BENCH_ROUNDS (default 5) alternating rounds of each,
// which keeps them comparable on a shared machine. BENCH_SECONDS (per side and case, default 0.5), BENCH_STREAM_MB
// (stream size, default 4), BENCH_CASE (a name substring). Profile one case (its index in `cases`) with:
//   node --cpu-prof --import tsx bench/cmdline-hotpath.ts 0
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ReceiveFilter } from '@socketlite/socket-base'
import {
  BinaryTerminatorReceiveFilter,
  CommandLineReceiveFilter,
  FixedHeaderReceiveFilter,
  LengthFieldReceiveFilter,
  ReceivePipeline,
  type StringRequestInfo,
} from '../src/index.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 0.5)
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5))
const streamBytes = Number(process.env.BENCH_STREAM_MB ?? 4) * 1024 * 1024
const only = process.env.BENCH_CASE
const chunkSize = 64 * 1024
const lineLength = 36
const CR = 13
const LF = 10
const SPACE = 32

/** Like app-server's load generator: `ECHO ` + 8 base-36 digits of a sequence number + 21 `x` + CRLF. */
function lineStream(): Buffer {
  const count = Math.floor(streamBytes / lineLength)
  const stream = Buffer.alloc(count * lineLength)
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'
  for (let index = 0; index < count; index++) {
    const offset = index * lineLength
    stream.write(`ECHO ${'0'.repeat(8)}${'x'.repeat(21)}\r\n`, offset, 'latin1')
    let sequence = index
    for (let digit = 12; digit >= 5 && sequence > 0; digit--) {
      stream[offset + digit] = digits.charCodeAt(sequence % 36)
      sequence = Math.floor(sequence / 36)
    }
  }
  return stream
}

/** The same number of 36-byte frames: a big-endian length of `width` bytes, then the rest. */
function lengthFieldStream(width: 2 | 4 = 4): Buffer {
  const count = Math.floor(streamBytes / lineLength)
  const stream = Buffer.alloc(count * lineLength, 'x')
  for (let offset = 0; offset < stream.length; offset += lineLength) {
    stream.writeUIntBE(lineLength - width, offset, width)
  }
  return stream
}

/** The same number of 36-byte game packets: header `int16 size` (whole packet), `int16 id`, `int8 type` (LE). */
function gamePacketStream(): Buffer {
  const count = Math.floor(streamBytes / lineLength)
  const stream = Buffer.alloc(count * lineLength, 'x')
  for (let offset = 0; offset < stream.length; offset += lineLength) {
    stream.writeUInt16LE(lineLength, offset)
    stream.writeUInt16LE(1026, offset + 2)
    stream.writeUInt8(1, offset + 4)
  }
  return stream
}

class GamePacketFilter extends FixedHeaderReceiveFilter<{ key: string; packetId: number; body: Buffer }> {
  constructor() {
    super(5)
  }
  protected getBodyLengthFromHeader(header: Buffer): number {
    return header.readUInt16LE(0) - 5
  }
  protected resolveRequestInfo(header: Buffer, body: Buffer) {
    const packetId = header.readUInt16LE(2)
    return { key: '', packetId, body }
  }
}

function chunked(stream: Buffer, size = chunkSize): Buffer[] {
  const chunks: Buffer[] = []
  for (let offset = 0; offset < stream.length; offset += size) {
    chunks.push(stream.subarray(offset, offset + size))
  }
  return chunks
}

/** Small reads, so that frames span chunks. */
const smallChunk = 1000

/** Runs the framework over every chunk; returns [requests, checksum]. */
function pipelineRun<T>(chunks: readonly Buffer[], filter: () => ReceiveFilter<T>, look: (request: T) => number) {
  const pipeline = new ReceivePipeline(filter(), { maxRequestLength: 65_536 })
  let count = 0
  let sum = 0
  for (const chunk of chunks) {
    pipeline.push(chunk)
    for (let request = pipeline.next(); request !== undefined; request = pipeline.next()) {
      sum += look(request)
      count++
    }
  }
  return [count, sum] as [number, number]
}

/**
 * The bare baseline for lines: one LF search per line (checking the CR before it), a carry of the partial line
 * joined with the next chunk. `decode` says what it does with a line's bytes `[start, end)` of `data`.
 */
function bareLines(chunks: readonly Buffer[], decode: (data: Buffer, start: number, end: number) => number) {
  let carry: Buffer | undefined
  let count = 0
  let sum = 0
  for (const chunk of chunks) {
    let data = chunk
    if (carry !== undefined) {
      data = Buffer.concat([carry, chunk])
      carry = undefined
    }
    let start = 0
    for (let end = data.indexOf(LF); end >= 0; end = data.indexOf(LF, end + 1)) {
      if (end === 0 || data[end - 1] !== CR) continue
      sum += decode(data, start, end - 1)
      count++
      start = end + 1
    }
    if (start < data.length) carry = data.subarray(start)
  }
  return [count, sum] as [number, number]
}

/** The bare baseline for length-prefixed frames: read the header, take a view of the frame, carry a partial one. */
function bareFrames(chunks: readonly Buffer[], bodyLength: (data: Buffer, start: number) => number, header: number) {
  let carry: Buffer | undefined
  let count = 0
  let sum = 0
  for (const chunk of chunks) {
    let data = chunk
    if (carry !== undefined) {
      data = Buffer.concat([carry, chunk])
      carry = undefined
    }
    let start = 0
    while (data.length - start >= header) {
      const end = start + header + bodyLength(data, start)
      if (end > data.length) break
      sum += data.subarray(start + header, end).length
      count++
      start = end
    }
    if (start < data.length) carry = data.subarray(start)
  }
  return [count, sum] as [number, number]
}

interface Case {
  name: string
  stream: () => Buffer
  ours: (chunks: readonly Buffer[]) => [number, number]
  bare: (chunks: readonly Buffer[]) => [number, number]
  /** What the bare baseline does per request. */
  bareDoes: string
  /** Bytes per chunk (default 64 KiB). */
  chunkSize?: number
}

// What an echo handler reads: the key and the body (as app-server's echo benchmark does).
const lookKeyBody = (request: StringRequestInfo) => request.key.length + request.body.length
const lookParameters = (request: StringRequestInfo) => request.key.length + request.parameters.length
const keyBodyLatin1 = (data: Buffer, start: number, end: number) => {
  const line = (data as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(start, end)
  const at = line.indexOf(' ')
  return at <= 0 ? line.length : at + line.slice(at + 1).length
}
const keyBodyUtf8 = (data: Buffer, start: number, end: number) => {
  const line = data.toString('utf8', start, end)
  const at = line.indexOf(' ')
  return at <= 0 ? line.length : at + line.slice(at + 1).length
}

const cases: Case[] = [
  {
    name: 'CommandLine, key + body (utf8)',
    stream: lineStream,
    ours: (chunks) => pipelineRun(chunks, () => new CommandLineReceiveFilter(), lookKeyBody),
    bare: (chunks) => bareLines(chunks, keyBodyUtf8),
    bareDoes: 'split on CRLF, decode utf8, key/body slices',
  },
  {
    name: 'CommandLine, key + body (latin1)',
    stream: lineStream,
    ours: (chunks) => pipelineRun(chunks, () => new CommandLineReceiveFilter({ encoding: 'latin1' }), lookKeyBody),
    bare: (chunks) => bareLines(chunks, keyBodyLatin1),
    bareDoes: 'split on CRLF, decode latin1, key/body slices',
  },
  {
    name: 'CommandLine, key + parameters',
    stream: lineStream,
    ours: (chunks) => pipelineRun(chunks, () => new CommandLineReceiveFilter(), lookParameters),
    bare: (chunks) =>
      bareLines(chunks, (data, start, end) => {
        const line = data.toString('utf8', start, end)
        const at = line.indexOf(' ')
        if (at <= 0) return line.length
        return at + line.slice(at + 1).split(' ').length
      }),
    bareDoes: 'split on CRLF, decode utf8, key, body split on spaces',
  },
  {
    name: 'CommandLine vs split only',
    stream: lineStream,
    ours: (chunks) => pipelineRun(chunks, () => new CommandLineReceiveFilter(), lookKeyBody),
    bare: (chunks) => bareLines(chunks, (data, start) => (data[start] === SPACE ? 0 : 1)),
    bareDoes: 'split on CRLF, look at one byte (the bare echo)',
  },
  {
    name: 'BinaryTerminator CRLF',
    stream: lineStream,
    ours: (chunks) =>
      pipelineRun(
        chunks,
        () => new BinaryTerminatorReceiveFilter({ terminator: '\r\n' }),
        (request) => request.body.length,
      ),
    bare: (chunks) => bareLines(chunks, (data, start, end) => data.subarray(start, end).length),
    bareDoes: 'split on CRLF, a view per line',
  },
  {
    name: 'LengthField 4-byte BE',
    stream: () => lengthFieldStream(4),
    ours: (chunks) =>
      pipelineRun(
        chunks,
        () => new LengthFieldReceiveFilter(),
        (request) => request.body.length,
      ),
    bare: (chunks) => bareFrames(chunks, (data, start) => data.readUInt32BE(start), 4),
    bareDoes: 'read the length, a view per frame',
  },
  {
    name: 'LengthField 2-byte BE, stripped',
    stream: () => lengthFieldStream(2),
    ours: (chunks) =>
      pipelineRun(
        chunks,
        () => new LengthFieldReceiveFilter({ lengthFieldLength: 2, initialBytesToStrip: 2 }),
        (request) => request.body.length,
      ),
    bare: (chunks) => bareFrames(chunks, (data, start) => data.readUInt16BE(start), 2),
    bareDoes: 'read the length, a view per frame',
  },
  {
    name: 'FixedHeader 5-byte game header',
    stream: gamePacketStream,
    ours: (chunks) =>
      pipelineRun(
        chunks,
        () => new GamePacketFilter(),
        (request) => request.body.length,
      ),
    bare: (chunks) => bareFrames(chunks, (data, start) => data.readUInt16LE(start) - 5, 5),
    bareDoes: 'read the size, a view per frame',
  },
  {
    name: 'CommandLine, 1000-byte chunks',
    stream: lineStream,
    ours: (chunks) => pipelineRun(chunks, () => new CommandLineReceiveFilter(), lookKeyBody),
    bare: (chunks) => bareLines(chunks, keyBodyUtf8),
    bareDoes: 'as above, carry joined with each chunk',
    chunkSize: smallChunk,
  },
  {
    name: 'BinaryTerminator, 1000-byte chunks',
    stream: lineStream,
    ours: (chunks) =>
      pipelineRun(
        chunks,
        () => new BinaryTerminatorReceiveFilter({ terminator: '\r\n' }),
        (request) => request.body.length,
      ),
    bare: (chunks) => bareLines(chunks, (data, start, end) => data.subarray(start, end).length),
    bareDoes: 'as above, carry joined with each chunk',
    chunkSize: smallChunk,
  },
  {
    name: 'LengthField, 1000-byte chunks',
    stream: () => lengthFieldStream(4),
    ours: (chunks) =>
      pipelineRun(
        chunks,
        () => new LengthFieldReceiveFilter(),
        (request) => request.body.length,
      ),
    bare: (chunks) => bareFrames(chunks, (data, start) => data.readUInt32BE(start), 4),
    bareDoes: 'as above, carry joined with each chunk',
    chunkSize: smallChunk,
  },
  {
    name: 'FixedHeader game, 1000-byte chunks',
    stream: gamePacketStream,
    ours: (chunks) =>
      pipelineRun(
        chunks,
        () => new GamePacketFilter(),
        (request) => request.body.length,
      ),
    bare: (chunks) => bareFrames(chunks, (data, start) => data.readUInt16LE(start) - 5, 5),
    bareDoes: 'as above, carry joined with each chunk',
    chunkSize: smallChunk,
  },
]

/** CPU time (user + system, so a busy machine counts less than in wall time) in ns per request of one round. */
function round(run: () => [number, number]): number {
  let requests = 0
  const started = process.cpuUsage()
  const deadline = process.hrtime.bigint() + BigInt(Math.round((seconds / rounds) * 1e9))
  do requests += run()[0]
  while (process.hrtime.bigint() < deadline)
  const used = process.cpuUsage(started)
  return ((used.user + used.system) * 1000) / requests
}

/** The best round of each, the two alternating so that both see the same machine. */
function compare(ours: () => [number, number], bare: () => [number, number]): [number, number] {
  for (let warm = 0; warm < 3; warm++) {
    ours()
    bare()
  }
  let bestOurs = Number.POSITIVE_INFINITY
  let bestBare = Number.POSITIVE_INFINITY
  for (let index = 0; index < rounds; index++) {
    bestOurs = Math.min(bestOurs, round(ours))
    bestBare = Math.min(bestBare, round(bare))
  }
  return [bestOurs, bestBare]
}

/** Runs one case (in this process) and returns its line of the table. */
function runCase(test: Case): string {
  const chunks = chunked(test.stream(), test.chunkSize)
  const [ourCount, ourSum] = test.ours(chunks)
  const [bareCount] = test.bare(chunks)
  if (ourCount !== bareCount || ourSum <= 0) throw new Error(`${test.name}: ${ourCount} requests, bare ${bareCount}`)
  const [ours, bare] = compare(
    () => test.ours(chunks),
    () => test.bare(chunks),
  )
  return `${test.name.padEnd(34)} ${ours.toFixed(0).padStart(11)} ${bare.toFixed(0).padStart(11)} ${(bare / ours).toFixed(2).padStart(6)}  ${test.bareDoes}`
}

/** Runs case `index` in a fresh process and returns its line: a server uses one framing, so no case may inherit the
 * call sites that other filter classes made polymorphic. */
function runInChild(index: number): string {
  return execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(index)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trimEnd()
}

const caseArgument = process.argv[2]
if (caseArgument !== undefined) {
  console.log(runCase(cases[Number(caseArgument)] as Case))
} else {
  console.log(
    `hot path: ${streamBytes / 1024 / 1024} MiB of 36-byte requests in ${chunkSize / 1024} KiB chunks (unless the case says otherwise), ` +
      `${seconds} s per side in ${rounds} rounds; CPU ns per request, best round; each case in its own process`,
  )
  console.log(
    `${'case'.padEnd(34)} ${'ours ns/req'.padStart(11)} ${'bare ns/req'.padStart(11)} ${'ratio'.padStart(6)}  bare does`,
  )
  for (const [index, test] of cases.entries()) {
    if (only === undefined || test.name.toLowerCase().includes(only.toLowerCase())) console.log(runInChild(index))
  }
  console.log('ratio = bare ns ÷ our ns per request (1.00 = as fast as the hand-written baseline)')
}
