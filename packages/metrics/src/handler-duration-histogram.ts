import type { ListenerInfo } from '@socketlite/app-server'
import { Histogram, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client'
import { listenerLabel } from './listener-label.js'

/** One listener's observations: a count per bucket (not cumulative), their sum and their count. */
interface Series {
  readonly listener: string
  readonly counts: Float64Array
  sum: number
  count: number
}

/**
 * The handler latency histogram, per listener. A request's observation costs a map lookup, a scan of the bucket
 * bounds and three additions: prom-client's own `observe` (label validation and hashing, about 0.6 µs here) would
 * cost more than an echo request itself. It is still a prom-client `Histogram` (registered, merged, aggregated
 * across a cluster and reset like any other); only where its counts are kept and how they are read differ: `get()`
 * and the text exposition read these series, in prom-client's own value layout (checked by the tests' strict
 * parser).
 */
export class HandlerDurationHistogram extends Histogram<'listener'> {
  readonly #bounds: Float64Array
  readonly #series = new Map<ListenerInfo | undefined, Series>()

  constructor(name: string, help: string, buckets: readonly number[], registers: Registry[]) {
    const sorted = [...buckets].sort((a, b) => a - b)
    super({ name, help, labelNames: ['listener'], buckets: sorted, registers })
    this.#bounds = Float64Array.from(sorted)
  }

  /** Count one handler of a session of `listener` that took `seconds`. */
  record(listener: ListenerInfo | undefined, seconds: number): void {
    let series = this.#series.get(listener)
    if (series === undefined) {
      series = { listener: listenerLabel(listener), counts: new Float64Array(this.#bounds.length), sum: 0, count: 0 }
      this.#series.set(listener, series)
    }
    const bounds = this.#bounds
    let index = 0
    while (index < bounds.length && seconds > (bounds[index] as number)) index++
    if (index < bounds.length) (series.counts[index] as number)++
    series.sum += seconds
    series.count++
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<'listener'>>> {
    const name = this.#name()
    const values: MetricValueWithName<'listener'>[] = []
    for (const series of this.#series.values()) {
      const listener = series.listener
      let cumulative = 0
      for (let index = 0; index < this.#bounds.length; index++) {
        cumulative += series.counts[index] as number
        values.push({
          labels: { le: this.#bounds[index] as number, listener } as never,
          value: cumulative,
          metricName: `${name}_bucket`,
        })
      }
      values.push({ labels: { le: '+Inf', listener } as never, value: series.count, metricName: `${name}_bucket` })
      values.push({ labels: { listener }, value: series.sum, metricName: `${name}_sum` })
      values.push({ labels: { listener }, value: series.count, metricName: `${name}_count` })
    }
    const metric = { name, help: this.#help(), type: 'histogram', values, aggregator: 'sum' }
    return metric as unknown as MetricObjectWithValues<MetricValueWithName<'listener'>>
  }

  /** What prom-client's registry reads for the text exposition (the same as {@link get}). */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<'listener'>>> {
    return this.get()
  }

  override reset(): void {
    super.reset()
    // (prom-client's constructor calls reset() before this class's fields exist.)
    if (#series in this) this.#series.clear()
  }

  #name(): string {
    return (this as unknown as { name: string }).name
  }

  #help(): string {
    return (this as unknown as { help: string }).help
  }
}
