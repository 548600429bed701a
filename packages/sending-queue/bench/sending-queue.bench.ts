// Benchmark of the hot path (enqueue + takeBatch + complete) against a bare-Node baseline doing the same work
// (a plain Buffer[] with push / splice(0), the same byte accounting and room check), and of SmartPool against
// plain allocation for batch arrays (the comparison that decides whether SendingQueue uses the pool).
//
//   pnpm --filter @socketlite/sending-queue bench
//   BENCH_SECONDS=5 BENCH_BATCH=64 pnpm --filter @socketlite/sending-queue bench
//
// BENCH_SECONDS: measuring time per case (default 0.9), split into alternating slices; the median slice is shown.
// BENCH_BATCH: payloads per batch (default 32).
import { SendingQueue, SmartPool } from '../src/index.js'

const seconds = Number(process.env.BENCH_SECONDS ?? '0.9')
const batchSize = Number(process.env.BENCH_BATCH ?? '32')
const slices = 9
const highWaterMark = 1 << 20
if (!(seconds > 0) || !Number.isSafeInteger(batchSize) || batchSize < 1) {
  throw new Error('BENCH_SECONDS must be > 0 and BENCH_BATCH a positive integer')
}

/** Runs `round` (which does `perRound` operations) for about `ms` milliseconds; returns operations per second. */
function measure(round: () => void, perRound: number, ms: number): number {
  let rounds = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    for (let i = 0; i < 64; i += 1) round()
    rounds += 64
    now = performance.now()
  }
  return (rounds * perRound * 1000) / (now - start)
}

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
  for (const [name, values] of results)
    medians.set(name, values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0)
  return medians
}

const format = (opsPerSecond: number) => `${(opsPerSecond / 1e6).toFixed(2)} M/s`
let sink = 0

console.log(`sending-queue bench: batch ${batchSize} payloads, ${seconds} s per case (median of ${slices} slices)`)
console.log('')
console.log('enqueue + takeBatch + complete, payloads/s')
console.log('payload  | SendingQueue | Buffer[] push/splice(0) | ratio')
for (const size of [16, 64, 1024]) {
  const payloads = Array.from({ length: 1024 }, (_, index) => Buffer.alloc(size, index))
  let next = 0

  const queue = new SendingQueue({ highWaterMark })
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
  console.log(
    `${`${size} B`.padEnd(8)} | ${format(ours).padStart(12)} | ${format(theirs).padStart(23)} | ${(ours / theirs).toFixed(2)}x`,
  )
}

console.log('')
console.log(`batch arrays (${batchSize} references each): SmartPool vs new array + GC vs two arrays swapped`)
const payload = Buffer.alloc(16)
const pool = new SmartPool<Uint8Array[]>({
  create: () => [],
  reset: (array) => {
    array.length = 0
  },
  maxSize: 16,
})
const poolRound = () => {
  const array = pool.acquire()
  for (let i = 0; i < batchSize; i += 1) array.push(payload)
  sink += array.length
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
console.log('variant                   | batches/s  | vs new array')
for (const [name, label] of [
  ['pool', 'SmartPool acquire/release'],
  ['allocate', 'new array + GC'],
  ['swap', 'two arrays swapped'],
] as const) {
  const value = pools.get(name) ?? 0
  console.log(`${label.padEnd(25)} | ${format(value).padStart(10)} | ${(value / allocate).toFixed(2)}x`)
}
if (sink < 0) console.log(sink)
