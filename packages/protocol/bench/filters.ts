// Receive-filter throughput: every built-in filter over a pre-chunked stream of frames of 32 B, 512 B and 16 KiB,
// against a hand-written minimal splitter for the same framing, in the same run. Two tables: 64 KiB chunks (frames
// lie in one chunk; the sizes divide 64 KiB) and 1000-byte chunks (frames span chunks: one 32 B frame in 31, every
// other 512 B frame, and each 16 KiB frame is gathered from 17 chunks).
// BENCH_SECONDS (per measurement, default 0.25), BENCH_STREAM_MB (stream size, default 4), BENCH_CHUNK (one chunk
// size in bytes instead of both), BENCH_FILTER (a name substring).
import type { ReceiveFilter } from '@socketlite/socket-base'
import {
  BeginEndMarkReceiveFilter,
  BinaryTerminatorReceiveFilter,
  CommandLineReceiveFilter,
  CountSpliterReceiveFilter,
  FixedHeaderReceiveFilter,
  FixedSizeReceiveFilter,
  LengthFieldReceiveFilter,
  ReceivePipeline,
} from '../src/index.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 0.25)
const streamBytes = Number(process.env.BENCH_STREAM_MB ?? 4) * 1024 * 1024
const chunkSizes = process.env.BENCH_CHUNK === undefined ? [64 * 1024, 1000] : [Number(process.env.BENCH_CHUNK)]
let chunkSize = 64 * 1024
const frameSizes = [32, 512, 16 * 1024]

/** A filter under test: builds one frame of `size` bytes, and a baseline that counts frames and sums a size. */
interface Case {
  name: string
  frame(size: number): Buffer
  filter(): ReceiveFilter<unknown>
  measure(request: unknown): number
  baseline(chunks: readonly Buffer[]): [count: number, sum: number]
}

const letters = (size: number) => Buffer.alloc(Math.max(0, size), 'abcdefghijklmnopqrstuvwxyz')

class GamePacketFilter extends FixedHeaderReceiveFilter<{ key: string; body: Buffer }> {
  constructor() {
    super(5)
  }
  protected getBodyLengthFromHeader(header: Buffer): number {
    return header.readUInt16LE(0) - 5
  }
  protected resolveRequestInfo(header: Buffer, body: Buffer) {
    return { key: String(header.readUInt16LE(2)), body }
  }
}

/** The naive splitter: joins the leftover with each new chunk, then cuts whole frames out of it. */
function naive(
  chunks: readonly Buffer[],
  cut: (buffer: Buffer, start: number) => number,
  sink: (frame: Buffer) => number,
) {
  let rest: Buffer | undefined
  let count = 0
  let sum = 0
  for (const chunk of chunks) {
    const buffer = rest === undefined ? chunk : Buffer.concat([rest, chunk])
    let start = 0
    for (let end = cut(buffer, start); end > 0; end = cut(buffer, start)) {
      sum += sink(buffer.subarray(start, end))
      count++
      start = end
    }
    rest = start < buffer.length ? buffer.subarray(start) : undefined
  }
  return [count, sum] as [number, number]
}

const crlf = Buffer.from('\r\n')
const parseLine = (line: string) => {
  const at = line.indexOf(' ')
  const body = at > 0 ? line.slice(at + 1) : ''
  return body.split(' ').filter((part) => part !== '').length + (at > 0 ? at : line.length)
}

const cases: Case[] = [
  {
    name: 'CommandLine (text)',
    frame: (size) => Buffer.concat([Buffer.from('ECHO '), letters(size - 7), crlf]),
    filter: () => new CommandLineReceiveFilter(),
    measure: (request) => (request as { body: string }).body.length,
    baseline: (chunks) =>
      naive(
        chunks,
        (buffer, start) => {
          const at = buffer.indexOf(crlf, start)
          return at < 0 ? -1 : at + 2
        },
        (frame) => parseLine(frame.toString('utf8', 0, frame.length - 2)),
      ),
  },
  {
    name: 'Terminator (binary)',
    frame: (size) => Buffer.concat([letters(size - 2), crlf]),
    filter: () => new BinaryTerminatorReceiveFilter({ terminator: crlf }),
    measure: (request) => (request as { body: Buffer }).body.length,
    baseline: (chunks) =>
      naive(
        chunks,
        (buffer, start) => {
          const at = buffer.indexOf(crlf, start)
          return at < 0 ? -1 : at + 2
        },
        (frame) => frame.length - 2,
      ),
  },
  {
    name: 'FixedSize',
    frame: (size) => letters(size),
    filter: () => new FixedSizeReceiveFilter({ size: currentSize }),
    measure: (request) => (request as { body: Buffer }).body.length,
    baseline: (chunks) =>
      naive(
        chunks,
        (buffer, start) => (buffer.length - start >= currentSize ? start + currentSize : -1),
        (frame) => frame.length,
      ),
  },
  {
    name: 'FixedHeader (5-byte game header)',
    frame: (size) => {
      const frame = letters(size)
      frame.writeUInt16LE(size, 0)
      frame.writeUInt16LE(1026, 2)
      frame.writeUInt8(1, 4)
      return frame
    },
    filter: () => new GamePacketFilter(),
    measure: (request) => (request as { body: Buffer }).body.length,
    baseline: (chunks) =>
      naive(
        chunks,
        (buffer, start) => {
          if (buffer.length - start < 5) return -1
          const end = start + buffer.readUInt16LE(start)
          return end <= buffer.length ? end : -1
        },
        (frame) => frame.length - 5 + (frame.readUInt16LE(2) > 0 ? 0 : 1),
      ),
  },
  {
    name: 'LengthField (4-byte BE)',
    frame: (size) => {
      const frame = letters(size)
      frame.writeUInt32BE(size - 4, 0)
      return frame
    },
    filter: () => new LengthFieldReceiveFilter({ lengthFieldLength: 4 }),
    measure: (request) => (request as { body: Buffer }).body.length,
    baseline: (chunks) =>
      naive(
        chunks,
        (buffer, start) => {
          if (buffer.length - start < 4) return -1
          const end = start + 4 + buffer.readUInt32BE(start)
          return end <= buffer.length ? end : -1
        },
        (frame) => frame.length - 4,
      ),
  },
  {
    name: 'BeginEndMark (<< >>)',
    frame: (size) => Buffer.concat([Buffer.from('<<'), letters(size - 4), Buffer.from('>>')]),
    filter: () => new BeginEndMarkReceiveFilter({ beginMark: '<<', endMark: '>>' }),
    measure: (request) => (request as { body: Buffer }).body.length,
    baseline: (chunks) =>
      naive(
        chunks,
        (buffer, start) => {
          if (buffer.length - start < 2) return -1
          if (buffer[start] !== 0x3c || buffer[start + 1] !== 0x3c) throw new Error('junk')
          const at = buffer.indexOf('>>', start + 2)
          return at < 0 ? -1 : at + 2
        },
        (frame) => frame.length - 4,
      ),
  },
  {
    name: 'CountSpliter (# x4, text)',
    frame: (size) => {
      const field = Math.floor((size - 4) / 3)
      return Buffer.from(`#${'a'.repeat(field)}#${'b'.repeat(field)}#${'c'.repeat(size - 4 - 2 * field)}#`)
    },
    filter: () => new CountSpliterReceiveFilter({ spliter: '#', count: 4 }),
    measure: (request) => (request as { body: string }).body.length,
    baseline: (chunks) =>
      naive(
        chunks,
        (buffer, start) => {
          let at = start
          for (let found = 0; found < 4; found++) {
            at = buffer.indexOf(0x23, at)
            if (at < 0) return -1
            at++
          }
          return at
        },
        (frame) => {
          const fields = frame.toString('utf8', 1, frame.length - 1)
          fields.split('#')
          return fields.length
        },
      ),
  },
]

let currentSize = 0

function makeChunks(frame: Buffer): Buffer[] {
  const count = Math.max(1, Math.floor(streamBytes / frame.length))
  const stream = Buffer.alloc(count * frame.length)
  for (let offset = 0; offset < stream.length; offset += frame.length) frame.copy(stream, offset)
  const chunks: Buffer[] = []
  for (let offset = 0; offset < stream.length; offset += chunkSize)
    chunks.push(stream.subarray(offset, offset + chunkSize))
  return chunks
}

function runOurs(test: Case, chunks: readonly Buffer[]): [number, number] {
  const pipeline = new ReceivePipeline(test.filter(), { maxRequestLength: 1 << 20 })
  let count = 0
  let sum = 0
  for (const chunk of chunks) {
    pipeline.push(chunk)
    for (let request = pipeline.next(); request !== undefined; request = pipeline.next()) {
      sum += test.measure(request)
      count++
    }
  }
  return [count, sum]
}

function time(run: () => [number, number], bytes: number) {
  run() // warm-up and check
  let passes = 0
  let requests = 0
  const started = process.hrtime.bigint()
  const deadline = started + BigInt(Math.round(seconds * 1e9))
  let now = started
  do {
    requests += run()[0]
    passes++
    now = process.hrtime.bigint()
  } while (now < deadline)
  const elapsed = Number(now - started) / 1e9
  return { requestsPerSecond: requests / elapsed, megabytesPerSecond: (passes * bytes) / elapsed / 1024 / 1024 }
}

const format = (value: number) => (value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : `${(value / 1e3).toFixed(1)}k`)
const only = process.env.BENCH_FILTER
for (const size of chunkSizes) {
  chunkSize = size
  const unit = chunkSize % 1024 === 0 ? `${chunkSize / 1024} KiB` : `${chunkSize}-byte`
  console.log(`receive filters: ${streamBytes / 1024 / 1024} MiB streams in ${unit} chunks, ${seconds} s each`)
  console.log(
    [
      'filter'.padEnd(34),
      'frame'.padStart(6),
      'req/s'.padStart(9),
      'MB/s'.padStart(8),
      'base req/s'.padStart(11),
      'base MB/s'.padStart(10),
      'ratio'.padStart(6),
    ].join(' '),
  )
  for (const test of cases.filter(
    (item) => only === undefined || item.name.toLowerCase().includes(only.toLowerCase()),
  )) {
    for (const size of frameSizes) {
      currentSize = size
      const frame = test.frame(size)
      const chunks = makeChunks(frame)
      const bytes = chunks.reduce((total, chunk) => total + chunk.length, 0)
      const [ourCount] = runOurs(test, chunks)
      const [baseCount] = test.baseline(chunks)
      if (ourCount !== baseCount) throw new Error(`${test.name}: ${ourCount} requests, baseline ${baseCount}`)
      const ours = time(() => runOurs(test, chunks), bytes)
      const base = time(() => test.baseline(chunks), bytes)
      console.log(
        [
          test.name.padEnd(34),
          `${size}`.padStart(6),
          format(ours.requestsPerSecond).padStart(9),
          ours.megabytesPerSecond.toFixed(0).padStart(8),
          format(base.requestsPerSecond).padStart(11),
          base.megabytesPerSecond.toFixed(0).padStart(10),
          (ours.requestsPerSecond / base.requestsPerSecond).toFixed(2).padStart(6),
        ].join(' '),
      )
    }
  }
}
console.log('ratio = our requests/s ÷ baseline requests/s (higher is better; 1.00 = as fast as the minimal splitter)')
