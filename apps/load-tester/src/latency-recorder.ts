import type { Histogram } from 'hdr-histogram-js'

/** Values below this are counted exactly; above, with 1/1024 relative precision (3 significant digits). */
const linearLimit = 2048
const subBuckets = 1024
/** Enough buckets for every value up to 2³² − 1 µs (71 minutes). */
const bucketCount = linearLimit + 21 * subBuckets
const maxValue = 0xffff_ffff

/**
 * A recorder for the hot path: counts values (integer microseconds) in the same log-linear buckets as an
 * HdrHistogram with 3 significant digits, at the cost of one array increment, and hands them to a real
 * `hdr-histogram-js` histogram in {@link LatencyRecorder.drainInto} (measured here: about 20–30 ns per value,
 * against about 160 ns for `recordValue`).
 * The transfer is lossless: each bucket's lowest value lands in the identical HDR bucket.
 */
export class LatencyRecorder {
  readonly #counts = new Float64Array(bucketCount)
  #lowest = bucketCount
  #highest = -1
  #total = 0

  /** Values recorded since the last drain. */
  get count(): number {
    return this.#total
  }

  /**
   * Records one value.
   *
   * @param value - microseconds; negatives count as 0, values past 2³² − 1 as that
   */
  record(value: number): void {
    const index = bucketIndex(value)
    this.#counts[index] = (this.#counts[index] as number) + 1
    if (index < this.#lowest) this.#lowest = index
    if (index > this.#highest) this.#highest = index
    this.#total++
  }

  /**
   * Adds every value recorded so far to `histogram` and clears this recorder.
   *
   * @param histogram - the destination (any HdrHistogram whose precision is at least 3 digits)
   */
  drainInto(histogram: Histogram): void {
    for (let index = this.#lowest; index <= this.#highest; index++) {
      const count = this.#counts[index] as number
      if (count > 0) {
        histogram.recordValueWithCount(bucketLowValue(index), count)
        this.#counts[index] = 0
      }
    }
    this.#lowest = bucketCount
    this.#highest = -1
    this.#total = 0
  }

  /** Forgets everything recorded since the last drain. */
  clear(): void {
    if (this.#highest >= this.#lowest) this.#counts.fill(0, this.#lowest, this.#highest + 1)
    this.#lowest = bucketCount
    this.#highest = -1
    this.#total = 0
  }
}

/**
 * The bucket of a value (exported for tests).
 *
 * @param value - microseconds
 */
export function bucketIndex(value: number): number {
  const clamped = value <= 0 ? 0 : value >= maxValue ? maxValue : Math.floor(value)
  if (clamped < linearLimit) return clamped
  const shift = 31 - Math.clz32(clamped) - 10
  return linearLimit + (shift - 1) * subBuckets + ((clamped >>> shift) - subBuckets)
}

/**
 * The lowest value of a bucket (exported for tests).
 *
 * @param index - a bucket index
 */
export function bucketLowValue(index: number): number {
  if (index < linearLimit) return index
  const shift = Math.floor((index - linearLimit) / subBuckets) + 1
  const sub = ((index - linearLimit) % subBuckets) + subBuckets
  return sub * 2 ** shift
}
