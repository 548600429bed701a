import type { ListenerInfo } from '@socketlite/app-server'
import { metricFamily, parseExposition, seededRandom } from '@socketlite/testing'
import { Histogram, Registry } from 'prom-client'
import { expect, test } from 'vitest'
import { HandlerDurationHistogram } from '../src/handler-duration-histogram.js'

const listeners: (ListenerInfo | undefined)[] = [
  { ip: '127.0.0.1', port: 1, family: 'IPv4', security: 'none', mode: 'tcp' },
  { ip: '::1', port: 2, family: 'IPv6', security: 'tls', mode: 'tcp' },
  undefined,
]
const labelOf = ['tcp://127.0.0.1:1', 'tls://[::1]:2', 'outbound']

// The model: prom-client's own Histogram fed the same observations must expose the same text and the same JSON.
test.each([1, 2, 3, 4, 5])(
  'exposes what prom-client’s Histogram exposes for the same observations (seed %i)',
  async (seed) => {
    const random = seededRandom(seed)
    const buckets = [0.001, 0.01, 0.1, 1]
    const fast = new HandlerDurationHistogram('h', 'help', buckets, [new Registry()])
    const model = new Histogram({ name: 'h', help: 'help', labelNames: ['listener'], buckets, registers: [] })
    const count = Math.floor(random() * 200)
    const seen = new Set<number>()
    for (let index = 0; index < count; index++) {
      const which = Math.floor(random() * listeners.length)
      // Bounds themselves too: a value equal to a bound belongs to that bucket (le = less or equal).
      const seconds = random() < 0.2 ? (buckets[Math.floor(random() * buckets.length)] as number) : random() * 2
      seen.add(which)
      fast.record(listeners[which], seconds)
      model.observe({ listener: labelOf[which] as string }, seconds)
    }
    const fastRegistry = new Registry()
    const modelRegistry = new Registry()
    fastRegistry.registerMetric(fast)
    modelRegistry.registerMetric(model)
    const sortLines = (text: string) => text.split('\n').sort()
    expect(sortLines(await fastRegistry.metrics())).toEqual(sortLines(await modelRegistry.metrics()))
    const byName = <T extends { metricName?: string; labels: object }>(values: readonly T[]) =>
      [...values].sort((a, b) =>
        `${a.metricName}${JSON.stringify(a.labels)}`.localeCompare(`${b.metricName}${JSON.stringify(b.labels)}`),
      )
    type Json = {
      name: string
      type: string
      aggregator: string
      values: { metricName?: string; labels: object; value: number }[]
    }
    const [fastJson] = (await fastRegistry.getMetricsAsJSON()) as unknown as Json[]
    const [modelJson] = (await modelRegistry.getMetricsAsJSON()) as unknown as Json[]
    expect({ ...fastJson, values: byName(fastJson?.values ?? []) }).toMatchObject({
      name: modelJson?.name,
      type: modelJson?.type,
      aggregator: modelJson?.aggregator,
      values: byName(modelJson?.values ?? []).map(({ labels, value, metricName }) => ({ labels, value, metricName })),
    })
    // A strict parser reads it: per listener seen, a bucket per bound, +Inf, _sum and _count.
    const family = metricFamily(parseExposition(await fastRegistry.metrics()), 'h', 'histogram')
    expect(family.samples).toHaveLength(seen.size * (buckets.length + 3))
  },
)

test('reset() (registry.resetMetrics()) empties it; unsorted buckets are sorted', async () => {
  const registry = new Registry()
  const histogram = new HandlerDurationHistogram('h', 'help', [1, 0.1], [registry])
  histogram.record(undefined, 0.05)
  histogram.record(undefined, 5)
  const values = (await histogram.get()).values
  expect(values.map((value) => [value.metricName, (value.labels as { le?: unknown }).le, value.value])).toEqual([
    ['h_bucket', 0.1, 1],
    ['h_bucket', 1, 1],
    ['h_bucket', '+Inf', 2],
    ['h_sum', undefined, 5.05],
    ['h_count', undefined, 2],
  ])
  registry.resetMetrics()
  expect((await histogram.get()).values).toEqual([])
})
