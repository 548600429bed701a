import { describe, expect, test } from 'vitest'
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  LatencyRecorder,
  mergeHistograms,
  percentileSpectrum,
  summarizeHistogram,
} from '../src/index.js'
import { bucketIndex, bucketLowValue } from '../src/latency-recorder.js'

function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 4_294_967_296
  }
}

describe('LatencyRecorder', () => {
  test('its buckets are exactly the HdrHistogram (3 digits) buckets', () => {
    const random = seeded(3)
    const direct = createHistogram()
    const viaRecorder = createHistogram()
    const recorder = new LatencyRecorder()
    for (let index = 0; index < 20_000; index++) {
      // log-uniform from 1 µs to ~1 hour
      const value = Math.floor(Math.exp(random() * Math.log(3.6e9)))
      direct.recordValue(value)
      recorder.record(value)
    }
    expect(recorder.count).toBe(20_000)
    recorder.drainInto(viaRecorder)
    expect(recorder.count).toBe(0)
    expect(viaRecorder.totalCount).toBe(direct.totalCount)
    for (const percentile of [0, 1, 10, 50, 90, 99, 99.9, 99.99, 100]) {
      expect(viaRecorder.getValueAtPercentile(percentile)).toBe(direct.getValueAtPercentile(percentile))
    }
  })

  test('bucket boundaries: exact below 2048, then 1/1024 relative precision', () => {
    for (const value of [0, 1, 2047]) expect(bucketLowValue(bucketIndex(value))).toBe(value)
    expect(bucketIndex(2048)).toBe(2048)
    expect(bucketIndex(2049)).toBe(2048)
    expect(bucketIndex(2050)).toBe(2049)
    expect(bucketLowValue(bucketIndex(1_000_000))).toBeLessThanOrEqual(1_000_000)
    expect(1_000_000 - bucketLowValue(bucketIndex(1_000_000))).toBeLessThan(1_000_000 / 1024)
    expect(bucketIndex(-5)).toBe(0)
    expect(bucketIndex(2 ** 40)).toBe(bucketIndex(0xffff_ffff))
  })

  test('drainInto adds to what the histogram has, and clear forgets', () => {
    const recorder = new LatencyRecorder()
    const histogram = createHistogram()
    recorder.record(5)
    recorder.drainInto(histogram)
    recorder.record(7)
    recorder.drainInto(histogram)
    expect(histogram.totalCount).toBe(2)
    recorder.record(9)
    recorder.clear()
    recorder.drainInto(histogram)
    expect(histogram.totalCount).toBe(2)
    expect(histogram.maxValue).toBe(7)
  })
})

describe('histograms across workers', () => {
  test('merging the encoded histograms of workers equals one histogram of every value', () => {
    const random = seeded(11)
    const all = createHistogram()
    const parts = [createHistogram(), createHistogram(), createHistogram()]
    for (let index = 0; index < 30_000; index++) {
      const value = 1 + Math.floor(random() * 50_000)
      all.recordValue(value)
      parts[index % 3]?.recordValue(value)
    }
    const merged = mergeHistograms(parts.map(encodeHistogram))
    expect(merged.totalCount).toBe(all.totalCount)
    // merged per-worker histograms = the merge of one histogram holding every value (max is bucket-precise)
    expect(summarizeHistogram(merged)).toEqual(summarizeHistogram(mergeHistograms([encodeHistogram(all)])))
    expect(merged.getValueAtPercentile(99)).toBe(all.getValueAtPercentile(99))
    expect(Math.abs(merged.maxValue - all.maxValue)).toBeLessThanOrEqual(all.maxValue / 1024)
  })

  test('an empty encoded part and histogram objects are accepted', () => {
    const one = createHistogram()
    one.recordValue(1500)
    const merged = mergeHistograms(['', one, encodeHistogram(createHistogram())])
    expect(merged.totalCount).toBe(1)
    expect(decodeHistogram(encodeHistogram(merged)).maxValue).toBe(1500)
  })

  test('summaries are in ms with µs precision; empty ones are zero', () => {
    const histogram = createHistogram()
    for (const value of [1000, 2000, 3000, 4000]) histogram.recordValue(value)
    const summary = summarizeHistogram(histogram)
    // HdrHistogram reports the highest equivalent value of a bucket (3 significant digits)
    expect(summary).toMatchObject({ count: 4, min: 1, p50: 2 })
    expect(summary.max).toBeCloseTo(4, 2)
    expect(summary.mean).toBeCloseTo(2.5, 2)
    expect(summary.stdev).toBeCloseTo(1.118, 2)
    expect(summarizeHistogram(createHistogram())).toMatchObject({ count: 0, min: 0, p99: 0, max: 0 })
  })

  test('the percentile spectrum is ascending, ends at 100 and at the max', () => {
    const histogram = createHistogram()
    for (let value = 1; value <= 10_000; value++) histogram.recordValue(value)
    const spectrum = percentileSpectrum(histogram)
    expect(spectrum.at(-1)?.percentile).toBe(100)
    expect(spectrum.at(-1)?.ms).toBeCloseTo(10, 1)
    for (let index = 1; index < spectrum.length; index++) {
      expect(spectrum[index]?.percentile).toBeGreaterThan(spectrum[index - 1]?.percentile ?? -1)
      expect(spectrum[index]?.ms).toBeGreaterThanOrEqual(spectrum[index - 1]?.ms ?? -1)
    }
    expect(percentileSpectrum(createHistogram())).toEqual([])
  })
})
