import { expect, test } from 'vitest'
import { metricFamily, parseExposition, sampleValue } from '../src/exposition.js'

// The tests' parser must be able to fail: what it rejects, and what it reads.

test('reads families, types, labels (with escapes) and special values', () => {
  const families = parseExposition(
    [
      '# HELP a_total Things.',
      '# TYPE a_total counter',
      'a_total{listener="tcp://127.0.0.1:1",note="q\\"\\\\\\n"} 3',
      '# TYPE h histogram',
      'h_bucket{le="0.5"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 1.5e0',
      'h_count 2',
      '# TYPE g gauge',
      'g NaN',
      '',
    ].join('\n'),
  )
  const counter = metricFamily(families, 'a_total', 'counter')
  expect(counter.help).toBe('Things.')
  expect(counter.samples[0]?.labels).toEqual({ listener: 'tcp://127.0.0.1:1', note: 'q"\\\n' })
  expect(sampleValue(metricFamily(families, 'h', 'histogram'), { le: '+Inf' }, 'h_bucket')).toBe(2)
  expect(sampleValue(metricFamily(families, 'h', 'histogram'), {}, 'h_sum')).toBe(1.5)
  expect(sampleValue(metricFamily(families, 'g', 'gauge'))).toBeNaN()
  expect(() => metricFamily(families, 'g', 'counter')).toThrow(/not a counter/)
})

test.each([
  ['no final line feed', '# TYPE a gauge\na 1'],
  ['a sample before its TYPE', 'a 1\n'],
  ['a sample of another family', '# TYPE a gauge\nb 1\n'],
  ['a histogram sample without suffix', '# TYPE h histogram\nh 1\n'],
  ['a bad value', '# TYPE a gauge\na one\n'],
  ['unquoted label value', '# TYPE a gauge\na{x=1} 1\n'],
  ['a label twice', '# TYPE a gauge\na{x="1",x="2"} 1\n'],
  ['a bad escape', '# TYPE a gauge\na{x="\\t"} 1\n'],
  ['the same series twice', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'],
  ['a TYPE twice', '# TYPE a gauge\n# TYPE a gauge\n'],
  ['an unknown type', '# TYPE a thing\n'],
  ['an unknown comment', '# EOF\n'],
])('rejects %s', (_, text) => {
  expect(() => parseExposition(text)).toThrow()
})
