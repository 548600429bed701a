// Benchmarks of the sending queue, each against a bare-Node baseline doing the same work in the same run:
//
//   1. by reference: enqueue + takeBatch + complete with `coalesce: false` vs a plain Buffer[] (push, the same room
//      check and byte count, splice(0) to take the batch): the queue's own bookkeeping.
//   2. coalescing: enqueueCopy of small payloads into pooled chunks vs a hand-written coalescer (one big buffer,
//      copy each payload after the last, a subarray per batch): the cost of the chunks and the pool.
//   3. strings: enqueueCopy(string) encoded straight into the chunk, with Buffer's own encoders (what encode.ts
//      uses) and with Buffer#write, vs the old way (Buffer.from(string), then enqueue the temporary buffer).
//   4. the gain, through a loopback socket to a child process that discards: payloads per CPU-second when the
//      queue coalesces vs when it queues every payload by reference (one writev entry each), per payload size. This
//      is the measurement behind the 2 KiB copy threshold.
//   5. the chunk pool: SmartPool (a free list, each chunk recording its owner) vs the same pool tracking its chunks
//      in a Map (how a general object pool catches double releases) vs no pool, and a tracked pool vs fresh arrays
//      for batch arrays (why the queue allocates its batch arrays).
//
//   pnpm --filter @socketlite/sending-queue bench
//   BENCH_SECONDS=5 BENCH_BATCH=64 pnpm --filter @socketlite/sending-queue bench
//
// BENCH_SECONDS: measuring CPU time per case (default 0.9), split into alternating slices; the median slice is shown
// (rates are per CPU-second, so a busy machine slows the run but moves the numbers little).
// BENCH_BATCH: payloads per batch (default 32). BENCH_SOCKET=0 skips section 4.
import { fork } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { encodeWithEncoders, encodeWithWrite } from '../src/encode.js'
import { SendingQueue, SmartPool } from '../src/index.js'
import { Chunk } from '../src/smart-pool.js'

const seconds = Number(process.env.BENCH_SECONDS ?? '0.9')
const batchSize = Number(process.env.BENCH_BATCH ?? '32')
const slices = 15
const highWaterMark = 1 << 20
if (!(seconds > 0) || !Number.isSafeInteger(batchSize) || batchSize < 1) {
  throw new Error('BENCH_SECONDS must be > 0 and BENCH_BATCH a positive integer')
}

/** CPU milliseconds this process has used: unlike wall time, not inflated when a busy machine preempts it. */
function cpuMilliseconds(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1_000
}

/**
 * Runs `round` (which does `perRound` operations) for about `ms` milliseconds of CPU; returns operations per
 * CPU-second.
 */
function measure(round: () => void, perRound: number, ms: number): number {
  let rounds = 0
  const start = cpuMilliseconds()
  let now = start
  while (now - start < ms) {
    for (let i = 0; i < 64; i += 1) round()
    rounds += 64
    now = cpuMilliseconds()
  }
  return (rounds * perRound * 1000) / (now - start)
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

/** Alternates the cases slice by slice (so machine noise hits both alike); returns each case's median ops/s. */
function compare(cases: { name: string; round: () => void; perRound: number }[]): Map<string, number> {
  const results = new Map<string, number[]>()
  for (const entry of cases) {
    measure(entry.round, entry.perRound, 50) // warm-up
    results.set(entry.name, [])
  }
  const sliceMs = (seconds * 1000) / slices
  for (let slice = 0; slice < slices; slice += 1) {
    for (const entry of cases) results.get(entry.name)?.push(measure(entry.round, entry.perRound, sliceMs))
  }
  const medians = new Map<string, number>()
  for (const [name, values] of results) medians.set(name, median(values))
  return medians
}

const format = (opsPerSecond: number) => `${(opsPerSecond / 1e6).toFixed(2)} M/s`
const row = (cells: string[], widths: number[]) =>
  cells
    .map((cell, index) => (index === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[index] ?? 0)))
    .join(' | ')
let sink = 0

/**
 * A general bounded object pool as a baseline: a free list plus a Map of every item it made (handed out or not), so
 * that a double or foreign release is caught by identity. What the chunk pool does without (each chunk records its
 * owner instead).
 */
class TrackedPool<T extends object> {
  readonly #free: T[] = []
  readonly #handedOut = new Map<T, boolean>()
  constructor(
    readonly create: () => T,
    readonly maxSize: number,
  ) {}
  tryAcquire(): T | undefined {
    let item = this.#free.pop()
    if (item === undefined) {
      if (this.#handedOut.size >= this.maxSize) return undefined
      item = this.create()
    }
    this.#handedOut.set(item, true)
    return item
  }
  release(item: T): void {
    if (this.#handedOut.get(item) !== true) throw new Error('not handed out')
    this.#handedOut.set(item, false)
    this.#free.push(item)
  }
}

console.log(`sending-queue bench: batch ${batchSize} payloads, ${seconds} s per case (median of ${slices} slices)`)

// ---- 1. by reference ----------------------------------------------------------------------------------------------
console.log('')
console.log('1. by reference (coalesce: false): enqueue + takeBatch + complete, payloads/s')
console.log(row(['payload', 'SendingQueue', 'Buffer[] push/splice(0)', 'ratio'], [8, 12, 23, 5]))
for (const size of [16, 64, 1024]) {
  const payloads = Array.from({ length: 1024 }, (_, index) => Buffer.alloc(size, index))
  let next = 0
  const queue = new SendingQueue({ highWaterMark, coalesce: false })
  const queueRound = () => {
    for (let i = 0; i < batchSize; i += 1) {
      if (!queue.enqueue(payloads[next] as Buffer)) throw new Error('refused')
      next = (next + 1) & 1023
    }
    const batch = queue.takeBatch()
    sink += batch.length
    queue.complete(queue.inFlightByteLength)
  }
  // Baseline: the same work with a plain array: room check and byte count on push, splice(0) to take the batch.
  let baseline: Buffer[] = []
  let baselineBytes = 0
  const baselineRound = () => {
    for (let i = 0; i < batchSize; i += 1) {
      const payload = payloads[next] as Buffer
      if (baselineBytes !== 0 && baselineBytes + payload.byteLength > highWaterMark) throw new Error('refused')
      baseline.push(payload)
      baselineBytes += payload.byteLength
      next = (next + 1) & 1023
    }
    const batch = baseline.splice(0)
    sink += batch.length
    baselineBytes = 0
    baseline = baseline.length === 0 ? baseline : []
  }
  const results = compare([
    { name: 'queue', round: queueRound, perRound: batchSize },
    { name: 'baseline', round: baselineRound, perRound: batchSize },
  ])
  const ours = results.get('queue') ?? 0
  const theirs = results.get('baseline') ?? 0
  console.log(row([`${size} B`, format(ours), format(theirs), `${(ours / theirs).toFixed(2)}x`], [8, 12, 23, 5]))
}

// ---- 2. coalescing ------------------------------------------------------------------------------------------------
console.log('')
console.log('2. coalescing: enqueueCopy into pooled chunks + takeBatch + complete, payloads/s')
console.log(row(['payload', 'SendingQueue', 'hand-written coalescer', 'ratio'], [8, 12, 22, 5]))
for (const size of [16, 64, 1024]) {
  const payloads = Array.from({ length: 1024 }, (_, index) => Buffer.alloc(size, index))
  let next = 0
  const queue = new SendingQueue({ highWaterMark, pool: new SmartPool() })
  const queueRound = () => {
    for (let i = 0; i < batchSize; i += 1) {
      if (!queue.enqueueCopy(payloads[next] as Buffer)) throw new Error('refused')
      next = (next + 1) & 1023
    }
    const batch = queue.takeBatch()
    sink += batch.length
    queue.complete(queue.inFlightByteLength)
  }
  // Baseline: one big buffer, each payload copied after the last (a new buffer when full), one view per batch.
  let buffer = Buffer.allocUnsafeSlow(65_536)
  let used = 0
  let start = 0
  let baselineBytes = 0
  const baselineRound = () => {
    for (let i = 0; i < batchSize; i += 1) {
      const payload = payloads[next] as Buffer
      if (baselineBytes !== 0 && baselineBytes + payload.byteLength > highWaterMark) throw new Error('refused')
      if (buffer.byteLength - used < payload.byteLength) {
        buffer = Buffer.allocUnsafeSlow(65_536)
        used = 0
        start = 0
      }
      buffer.set(payload, used)
      used += payload.byteLength
      baselineBytes += payload.byteLength
      next = (next + 1) & 1023
    }
    const batch = [buffer.subarray(start, used)]
    start = used
    sink += batch.length
    baselineBytes = 0
  }
  const results = compare([
    { name: 'queue', round: queueRound, perRound: batchSize },
    { name: 'baseline', round: baselineRound, perRound: batchSize },
  ])
  const ours = results.get('queue') ?? 0
  const theirs = results.get('baseline') ?? 0
  console.log(row([`${size} B`, format(ours), format(theirs), `${(ours / theirs).toFixed(2)}x`], [8, 12, 22, 5]))
}

// ---- 3. strings ---------------------------------------------------------------------------------------------------
console.log('')
console.log('3. strings: enqueueCopy(string) + takeBatch + complete, strings/s')
console.log(
  row(
    ['string', 'encoders', 'Buffer#write', 'Buffer.from + enqueue', 'encoders/write', 'encoders/from'],
    [24, 9, 12, 21, 14, 13],
  ),
)
{
  const pool = new SmartPool()
  const strings: [string, string, BufferEncoding][] = [
    ['36 B ASCII, utf8', 'ECHO 00000000xxxxxxxxxxxxxxxxxxxxx\r\n', 'utf8'],
    ['36 B ASCII, latin1', 'ECHO 00000000xxxxxxxxxxxxxxxxxxxxx\r\n', 'latin1'],
    ['4 B, utf8', 'ok\r\n', 'utf8'],
    ['200 B with é, utf8', `${'é'.repeat(40)}${'x'.repeat(118)}\r\n`, 'utf8'],
  ]
  for (const [name, text, encoding] of strings) {
    // Built per call like a reply (`${key} ${body}\r\n`): a cons string the encoder must flatten.
    const parts = [text.slice(0, 5), text.slice(5)]
    const reply = () => `${parts[0]}${parts[1]}`
    const queue = new SendingQueue({ highWaterMark, pool })
    const queueRound = () => {
      for (let i = 0; i < batchSize; i += 1) if (!queue.enqueueCopy(reply(), encoding)) throw new Error('refused')
      const batch = queue.takeBatch()
      sink += batch.length
      queue.complete(queue.inFlightByteLength)
    }
    // The chunk write alone, with each encoder (encode.ts picks the encoders when Node has them).
    const chunk = Buffer.allocUnsafeSlow(65_536)
    let offset = 0
    const rawRound = (encode: typeof encodeWithWrite) => () => {
      for (let i = 0; i < batchSize; i += 1) {
        offset += encode(chunk, reply(), offset, encoding)
        if (offset > 60_000) offset = 0
      }
      sink += offset
    }
    const oldQueue = new SendingQueue({ highWaterMark, coalesce: false })
    const fromRound = () => {
      for (let i = 0; i < batchSize; i += 1) {
        if (!oldQueue.enqueue(Buffer.from(reply(), encoding))) throw new Error('refused')
      }
      const batch = oldQueue.takeBatch()
      sink += batch.length
      oldQueue.complete(oldQueue.inFlightByteLength)
    }
    const results = compare([
      { name: 'encoders', round: rawRound(encodeWithEncoders), perRound: batchSize },
      { name: 'write', round: rawRound(encodeWithWrite), perRound: batchSize },
      { name: 'queue', round: queueRound, perRound: batchSize },
      { name: 'from', round: fromRound, perRound: batchSize },
    ])
    const encoders = results.get('encoders') ?? 0
    const write = results.get('write') ?? 0
    const ours = results.get('queue') ?? 0
    const from = results.get('from') ?? 0
    console.log(
      row(
        [
          name,
          format(encoders),
          format(write),
          format(from),
          `${(encoders / write).toFixed(2)}x`,
          `${(ours / from).toFixed(2)}x`,
        ],
        [24, 9, 12, 21, 14, 13],
      ),
    )
  }
  console.log('   (encoders, Buffer#write: the chunk write alone; encoders/from: the whole queue path, new vs old)')
}

// ---- 4. the gain through a socket ---------------------------------------------------------------------------------
if (process.env.BENCH_SOCKET !== '0') {
  console.log('')
  console.log('4. through a loopback socket: ~8 KiB of payloads per write, payloads per CPU-second of this process')
  console.log(row(['payload', 'copied', 'by reference (writev)', 'gain'], [8, 10, 21, 5]))
  const child = fork(fileURLToPath(new URL('./discard-server.mjs', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve) => child.once('message', (message) => resolve(message as number)))
  const socket = net.connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.setNoDelay(true)
  const pool = new SmartPool()
  const writeAll = (queue: SendingQueue, done: () => void) => {
    const batch = queue.takeBatch()
    const bytes = queue.inFlightByteLength
    const finished = () => {
      queue.complete(bytes)
      done()
    }
    if (batch.length === 1) {
      socket.write(batch[0] as Uint8Array, finished)
      return
    }
    socket.cork()
    for (let index = 0; index < batch.length - 1; index += 1) socket.write(batch[index] as Uint8Array)
    socket.write(batch[batch.length - 1] as Uint8Array, finished)
    socket.uncork()
  }
  const run = (coalesce: boolean, size: number, ms: number) =>
    new Promise<number>((resolve) => {
      const count = Math.max(1, Math.floor(8_192 / size))
      const payloads = Array.from({ length: count }, (_, index) => Buffer.alloc(size, index))
      const queue = new SendingQueue({ highWaterMark, pool, coalesce })
      let sent = 0
      const cpu = process.cpuUsage()
      const end = performance.now() + ms
      const step = () => {
        if (performance.now() > end) {
          const used = process.cpuUsage(cpu)
          resolve(sent / ((used.user + used.system) / 1e6))
          return
        }
        // Coalescing: copied into the chunk (enqueueCopy copies any size up to a chunk); else one writev entry each.
        if (coalesce) for (const payload of payloads) queue.enqueueCopy(payload)
        else for (const payload of payloads) queue.enqueue(payload)
        sent += count
        writeAll(queue, step)
      }
      step()
    })
  for (const size of [36, 256, 1_024, 2_048, 4_096, 8_192]) {
    const coalesced: number[] = []
    const referenced: number[] = []
    for (let round = 0; round < 5; round += 1) {
      coalesced.push(await run(true, size, (seconds * 1000) / 5))
      referenced.push(await run(false, size, (seconds * 1000) / 5))
    }
    const ours = median(coalesced)
    const theirs = median(referenced)
    console.log(row([`${size} B`, format(ours), format(theirs), `${(ours / theirs).toFixed(2)}x`], [8, 10, 21, 5]))
  }
  socket.destroy()
  child.kill()
}

// ---- 5. pools -----------------------------------------------------------------------------------------------------
console.log('')
console.log('5. the chunk pool: take + give per batch (what a queue does per write), and batch arrays')
{
  /** The same contract as SmartPool, with every chunk tracked in a Map (a general object pool's bookkeeping). */
  class TrackedChunkPool extends SmartPool {
    readonly #chunks = new TrackedPool<Chunk>(() => new Chunk(this.chunkSize, this), this.maxChunks)
    override take(owner: object): Chunk | undefined {
      const chunk = this.#chunks.tryAcquire()
      if (chunk !== undefined) chunk.owner = owner
      return chunk
    }
    override give(chunk: Chunk, owner: object): void {
      if (chunk.owner !== owner) throw new Error('not held by owner')
      chunk.owner = undefined
      this.#chunks.release(chunk)
    }
  }
  const payload = Buffer.alloc(36, 1)
  for (const perBatch of [1, batchSize]) {
    const queueRound = (queue: SendingQueue) => () => {
      for (let i = 0; i < perBatch; i += 1) queue.enqueueCopy(payload)
      sink += queue.takeBatch().length
      queue.complete(queue.inFlightByteLength)
    }
    const results = compare([
      { name: 'free', round: queueRound(new SendingQueue({ highWaterMark, pool: new SmartPool() })), perRound: 1 },
      {
        name: 'smart',
        round: queueRound(new SendingQueue({ highWaterMark, pool: new TrackedChunkPool() })),
        perRound: 1,
      },
      { name: 'none', round: queueRound(new SendingQueue({ highWaterMark })), perRound: 1 },
    ])
    const free = results.get('free') ?? 0
    console.log(`   ${perBatch} payload${perBatch === 1 ? '' : 's'} of 36 B per batch, batches/s:`)
    for (const [name, label] of [
      ['free', 'SmartPool (a free list)'],
      ['smart', 'the same, tracked in a Map'],
      ['none', 'no pool (a new chunk per batch)'],
    ] as const) {
      const value = results.get(name) ?? 0
      console.log(`   ${label.padEnd(32)} ${format(value).padStart(10)}  ${(value / free).toFixed(2)}x`)
    }
  }
}
{
  const payload = Buffer.alloc(16)
  const pool = new TrackedPool<Uint8Array[]>(() => [], 16)
  const poolRound = () => {
    const array = pool.tryAcquire()
    if (array === undefined) throw new Error('exhausted')
    for (let i = 0; i < batchSize; i += 1) array.push(payload)
    sink += array.length
    array.length = 0
    pool.release(array)
  }
  const allocateRound = () => {
    const array: Uint8Array[] = []
    for (let i = 0; i < batchSize; i += 1) array.push(payload)
    sink += array.length
  }
  let current: Uint8Array[] = []
  let spare: Uint8Array[] = []
  const swapRound = () => {
    for (let i = 0; i < batchSize; i += 1) current.push(payload)
    const batch = current
    current = spare
    sink += batch.length
    batch.length = 0
    spare = batch
  }
  const pools = compare([
    { name: 'pool', round: poolRound, perRound: 1 },
    { name: 'allocate', round: allocateRound, perRound: 1 },
    { name: 'swap', round: swapRound, perRound: 1 },
  ])
  const allocate = pools.get('allocate') ?? 0
  console.log(`   batch arrays (${batchSize} references each), batches/s:`)
  for (const [name, label] of [
    ['pool', 'tracked pool acquire/release'],
    ['allocate', 'new array + GC'],
    ['swap', 'two arrays swapped'],
  ] as const) {
    const value = pools.get(name) ?? 0
    console.log(`   ${label.padEnd(32)} ${format(value).padStart(10)}  ${(value / allocate).toFixed(2)}x`)
  }
}
if (sink < 0) console.log(sink)
